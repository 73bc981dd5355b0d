"""Writes for cases: opening, moving between stages, editing, assignment,
checklists and timeline notes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.audit.services import happened, record
from corridor.cases import summaries, transitions
from corridor.cases.checklists import ALL_KEYS
from corridor.cases.events import CaseEvent
from corridor.cases.models import (
    EXITS,
    JOURNEY,
    Case,
    ChecklistTick,
    Note,
    Person,
    Stage,
    StageChange,
)
from corridor.cases.services._common import (
    CLOCK_SKEW,
    StaleEdit,
    check_when,
    claim_version,
    clean_text,
    user_or_none,
    when_label,
)

# Stages after which the person no longer sleeps in our safe houses.
LEAVES_SHELTER = {Stage.DEPARTED, Stage.RESETTLED, Stage.DETAINED, Stage.RETURNED, Stage.DECEASED,
                  Stage.LOST_CONTACT}


def _history_checked(history, now) -> list[tuple[str, datetime, str]]:
    """A case's first steps, given at once (opening from a vetted contact, or an
    import of earlier records): dated in order, none in the future, along the
    journey with at most one exit, at the end."""
    steps = []
    for stage, at, reason in history:
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        steps.append((stage, at, reason or ""))
    if not steps:
        raise ValidationError(_("A case needs at least its first step."))
    for i, (stage, at, _reason) in enumerate(steps):
        if stage not in Stage.values:
            raise ValidationError({"opened": _("Unknown stage.")})
        if at > now + CLOCK_SKEW:
            raise ValidationError({"opened": _("This date is in the future.")})
        if i == 0:
            continue
        before, before_at, _r = steps[i - 1]
        if at < before_at:
            raise ValidationError({"opened": _("“%(stage)s” is dated before “%(before)s”. Dates must be in order.")
                                   % {"stage": Stage(stage).label, "before": Stage(before).label}})
        if before in EXITS or (stage in JOURNEY and JOURNEY.index(stage) <= JOURNEY.index(before)):
            raise ValidationError({"opened": _("“%(stage)s” cannot follow “%(before)s”.")
                                   % {"stage": Stage(stage).label, "before": Stage(before).label}})
    return steps


def case_open(*, actor, person: Person, summary: str = "", worker=None, household=None,
              opened: datetime | None = None, history=None, intake: dict | None = None) -> Case:
    """Open a case at first contact (`opened`, default now), or with its first steps
    already known (`history`: (stage, when it happened, reason) in order), e.g. a
    contact vetted and accepted in triage, which starts at "accepted"."""
    now = timezone.now()
    if history is None:
        history = [(Stage.CONTACTED, check_when(opened, field="opened"), "")]
    steps = _history_checked(history, now)
    last_stage, last_at, _reason = steps[-1]
    reached = max(JOURNEY.index(s) for s, _a, _r in steps if s in JOURNEY) if any(
        s in JOURNEY for s, _a, _r in steps) else 0
    with transaction.atomic():
        case = Case(
            organisation=person.organisation, code=person.code, person=person, worker=worker,
            household=household or person.household, stage=last_stage, opened=steps[0][1],
            stage_since=last_at, reached=reached,
            closed=last_at if (last_stage in EXITS or last_stage == Stage.RESETTLED) else None,
        )
        case.summary = summary
        case.intake = intake
        case.save(force_insert=True)
        summaries.case_counted(case)
        previous = ""
        for i, (stage, at, reason) in enumerate(steps):
            # Steps given at once may share a moment (a vetting and an acceptance on
            # the same day): the recording order, a microsecond apart, keeps theirs.
            change = StageChange(case=case, from_stage=previous, to_stage=stage, actor=user_or_none(actor), at=at,
                                 recorded=now + timedelta(microseconds=i))
            change.reason = reason
            change.save(force_insert=True)
            previous = stage
        record(CaseEvent.CASE_OPENED, actor=actor, organisation=person.organisation, obj=case,
               worker=str(worker.pk) if worker else "", happened=happened(case.opened), stage=last_stage,
               steps=len(steps))
    return case


def case_transition(*, actor, case: Case, to_stage: str, reason: str, at: datetime | None = None,
                    expected_version: int | None = None) -> StageChange:
    """Move a case to another stage, recording who, when and why.

    A date before the current stage began records a step that was missed: it is
    inserted in its place in the history (`_insert_step`). Refused with a reason
    when the move is impossible (see `transitions`), when the date is in the future
    or before the case began, or when someone else changed the case since the form
    was loaded.
    """
    reason = clean_text(reason, limit=4000)
    if not reason:
        raise ValidationError({"reason": _("Write why the case moves: the next person to read it needs to know.")})
    with transaction.atomic():
        fresh = (Case.objects.select_for_update().select_related("person__data_key")
                 .get(pk=case.pk))
        if expected_version is not None and fresh.version != int(expected_version):
            raise StaleEdit(fresh.version)
        counted = summaries.snapshot(fresh)
        if at is not None and check_when(at) < fresh.stage_since:
            change = _insert_step(actor, fresh, to_stage, reason, check_when(at))
        else:
            change = _move(actor, fresh, to_stage, reason, at)
        summaries.case_changed(counted, fresh)
    for name in ("stage", "stage_since", "reached", "closed", "version", "checkin_every_hours", "next_checkin_due"):
        setattr(case, name, getattr(fresh, name))
    return change


def _move(actor, fresh: Case, to_stage: str, reason: str, at: datetime | None) -> StageChange:
    problems = transitions.refusals(fresh, to_stage)
    if problems:
        raise ValidationError({"to_stage": problems})
    when = check_when(at, not_before=fresh.stage_since)
    claim_version(Case, fresh, fresh.version)
    from_stage = fresh.stage
    fresh.stage = to_stage
    fresh.stage_since = when
    if to_stage in JOURNEY:
        fresh.reached = max(fresh.reached, JOURNEY.index(to_stage))
    if to_stage in EXITS or to_stage == Stage.RESETTLED:
        fresh.closed = when
        # Nobody can answer a check-in from a cell, or needs to after asylum:
        # stop the schedule so the duty phone is not flooded with alerts.
        fresh.checkin_every_hours = None
        fresh.next_checkin_due = None
    else:
        fresh.closed = None
    fresh.save(update_fields=["stage", "stage_since", "reached", "closed", "checkin_every_hours",
                              "next_checkin_due"])
    if to_stage in LEAVES_SHELTER:
        from corridor.housing.services import stays_end_for_person

        stays_end_for_person(actor=actor, person=fresh.person, day=timezone.localtime(when).date())
    change = StageChange(case=fresh, from_stage=from_stage, to_stage=to_stage, actor=user_or_none(actor), at=when)
    change.reason = reason
    change.save(force_insert=True)
    record(CaseEvent.CASE_STAGE_CHANGED, actor=actor, organisation=str(fresh.organisation_id),
           obj=fresh, happened=happened(when), **{"from": from_stage, "to": to_stage})
    return change


def _insert_step(actor, fresh: Case, to_stage: str, reason: str, when: datetime) -> StageChange:
    """Record a journey step that happened before the current stage began (it was
    not entered at the time), between the steps around its date. The order of the
    journey is kept: the step must come after the one before it and before the one
    after it; the current stage does not change. Requirements of the stage are not
    asked again: the case has already gone past it."""
    changes = list(fresh.stage_changes.order_by("at", "recorded"))
    before = [c for c in changes if c.at <= when]
    after = [c for c in changes if c.at > when]
    if when < fresh.opened or not before or not after:
        raise ValidationError({"at": _("This date is before the case began (%(date)s).")
                               % {"date": when_label(fresh.opened)}})
    previous, following = before[-1], after[0]
    fits = (to_stage in JOURNEY and previous.to_stage in JOURNEY
            and JOURNEY.index(previous.to_stage) < JOURNEY.index(to_stage)
            and (JOURNEY.index(to_stage) < JOURNEY.index(following.to_stage) if following.to_stage in JOURNEY
                 else following.to_stage in transitions.EXITS_FROM[to_stage]))
    if not fits:
        raise ValidationError({"at": _(
            "On that date the case was at “%(previous)s”, and the next step was “%(next)s” on %(date)s: "
            "“%(stage)s” does not fit between them. Check the date, or the stage.") % {
            "previous": Stage(previous.to_stage).label, "next": Stage(following.to_stage).label,
            "date": when_label(following.at), "stage": Stage(to_stage).label}})
    claim_version(Case, fresh, fresh.version)
    fresh.reached = max(fresh.reached, JOURNEY.index(to_stage))
    fresh.save(update_fields=["reached"])
    change = StageChange(case=fresh, from_stage=previous.to_stage, to_stage=to_stage, actor=user_or_none(actor),
                         at=when)
    change.reason = reason
    change.save(force_insert=True)
    StageChange.objects.filter(pk=following.pk).update(from_stage=to_stage)
    record(CaseEvent.CASE_STAGE_CHANGED, actor=actor, organisation=str(fresh.organisation_id), obj=fresh,
           happened=happened(when), inserted=True, **{"from": previous.to_stage, "to": to_stage,
                                                  "next": following.to_stage})
    return change


def case_update(*, actor, case: Case, summary: str | None = None, travel_plan: str | None = None,
                expected_version: int | None = None) -> Case:
    fields = []
    with transaction.atomic():
        claim_version(Case, case, expected_version)
        if summary is not None:
            case.summary = clean_text(summary)
            fields.append("summary")
        if travel_plan is not None:
            case.travel_plan = clean_text(travel_plan)
            fields.append("travel_plan")
        if fields:
            case.save(update_fields=fields)
        record(CaseEvent.CASE_UPDATED, actor=actor, organisation=str(case.organisation_id), obj=case, fields=fields)
    return case


def case_assign(*, actor, case: Case, worker: User | None, expected_version: int | None = None) -> Case:
    if worker is not None and (worker.organisation_id != case.organisation_id or not worker.is_active
                               or not worker.can(Perm.CASE_VIEW_ASSIGNED)):
        raise ValidationError({"worker": _("Choose an active case worker or coordinator of this organisation.")})
    with transaction.atomic():
        claim_version(Case, case, expected_version)
        counted = summaries.snapshot(Case.objects.only("organisation", "stage", "reached", "stage_since", "worker")
                                     .get(pk=case.pk))
        case.worker = worker
        case.save(update_fields=["worker"])
        summaries.case_changed(counted, case)
        record(CaseEvent.CASE_ASSIGNED, actor=actor, organisation=str(case.organisation_id), obj=case,
               worker=str(worker.pk) if worker else "")
    return case


def checklist_set(*, actor, case: Case, key: str, done: bool) -> None:
    if key not in ALL_KEYS:
        raise ValidationError(_("Unknown checklist item."))
    with transaction.atomic():
        if done:
            ChecklistTick.objects.get_or_create(case=case, key=key, defaults={"done_by": user_or_none(actor)})
        else:
            ChecklistTick.objects.filter(case=case, key=key).delete()
        record(CaseEvent.CHECKLIST_CHANGED, actor=actor, organisation=str(case.organisation_id), obj=case,
               item=key, done=bool(done))


def note_add(*, actor, case: Case, kind: str, text: str, at: datetime | None = None) -> Note:
    text = clean_text(text)
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    if kind not in Note.Kind.values:
        raise ValidationError({"kind": _("Choose what kind of entry this is.")})
    with transaction.atomic():
        note = Note(case=case, kind=kind, actor=user_or_none(actor), at=check_when(at, not_before=case.opened))
        note.text = text
        note.save(force_insert=True)
        record(CaseEvent.NOTE_ADDED, actor=actor, organisation=str(case.organisation_id), obj=case, kind=kind,
               happened=happened(note.at))
    return note


def case_viewed(*, actor, case: Case, via: str) -> None:
    """Every opening of a case is in the audit log, with how access was granted."""
    with transaction.atomic():
        record(CaseEvent.CASE_VIEWED, actor=actor, organisation=str(case.organisation_id), obj=case, via=via)
