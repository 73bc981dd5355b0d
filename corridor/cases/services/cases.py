"""Writes for cases: opening, moving between stages, editing, assignment,
checklists and timeline notes."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.audit.services import record
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
    StaleEdit,
    check_when,
    claim_version,
    clean_text,
    user_or_none,
)

# Stages after which the person no longer sleeps in our safe houses.
LEAVES_SHELTER = {Stage.DEPARTED, Stage.RESETTLED, Stage.DETAINED, Stage.RETURNED, Stage.DECEASED,
                  Stage.LOST_CONTACT}


def case_open(*, actor, person: Person, summary: str = "", worker=None, household=None,
              opened: datetime | None = None) -> Case:
    with transaction.atomic():
        when = opened or timezone.now()
        case = Case(
            organisation=person.organisation, code=person.code, person=person, worker=worker,
            household=household or person.household, stage=Stage.CONTACTED, opened=when, stage_since=when,
        )
        case.summary = summary
        case.save(force_insert=True)
        summaries.case_counted(case)
        change = StageChange(case=case, from_stage="", to_stage=Stage.CONTACTED, actor=user_or_none(actor), at=when)
        change.reason = ""
        change.save(force_insert=True)
        record(CaseEvent.CASE_OPENED, actor=actor, organisation=person.organisation, obj=case,
               worker=str(worker.pk) if worker else "")
    return case


def case_transition(*, actor, case: Case, to_stage: str, reason: str, at: datetime | None = None,
                    expected_version: int | None = None) -> StageChange:
    """Move a case to another stage, recording who, when and why.

    Refused with a reason when the move is impossible (see `transitions`), when
    the date is before the current stage began or in the future, or when someone
    else changed the case since the form was loaded.
    """
    reason = clean_text(reason, limit=4000)
    if not reason:
        raise ValidationError({"reason": _("Write why the case moves: the next person to read it needs to know.")})
    with transaction.atomic():
        fresh = (Case.objects.select_for_update().select_related("person__data_key")
                 .get(pk=case.pk))
        if expected_version is not None and fresh.version != int(expected_version):
            raise StaleEdit(fresh.version)
        problems = transitions.refusals(fresh, to_stage)
        if problems:
            raise ValidationError({"to_stage": problems})
        when = check_when(at, not_before=fresh.stage_since)
        claim_version(Case, fresh, fresh.version)
        counted = summaries.snapshot(fresh)
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
        summaries.case_changed(counted, fresh)
        if to_stage in LEAVES_SHELTER:
            from corridor.housing.services import stays_end_for_person

            stays_end_for_person(actor=actor, person=fresh.person, day=timezone.localtime(when).date())
        change = StageChange(case=fresh, from_stage=from_stage, to_stage=to_stage, actor=user_or_none(actor),
                             at=when)
        change.reason = reason
        change.save(force_insert=True)
        record(CaseEvent.CASE_STAGE_CHANGED, actor=actor, organisation=str(fresh.organisation_id),
               obj=fresh, **{"from": from_stage, "to": to_stage})
    for name in ("stage", "stage_since", "reached", "closed", "version", "checkin_every_hours", "next_checkin_due"):
        setattr(case, name, getattr(fresh, name))
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
        record(CaseEvent.NOTE_ADDED, actor=actor, organisation=str(case.organisation_id), obj=case, kind=kind)
    return note


def case_viewed(*, actor, case: Case, via: str) -> None:
    """Every opening of a case is in the audit log, with how access was granted."""
    with transaction.atomic():
        record(CaseEvent.CASE_VIEWED, actor=actor, organisation=str(case.organisation_id), obj=case, via=via)
