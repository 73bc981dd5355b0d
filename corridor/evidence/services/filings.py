from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import Body, Filing, FilingStatus, FilingStep, StepKind
from corridor.evidence.services.common import EvidenceError, same_org, save_with_code


def _check(body: str, status: str, final_decision_on, lodged_on, events, people, organisation) -> None:
    if body not in Body.values or status not in FilingStatus.values:
        raise EvidenceError(_("Choose the body and status from the list."))
    if final_decision_on and lodged_on and lodged_on < final_decision_on and body == Body.ECHR:
        raise EvidenceError(_("An application to the ECHR is lodged after the final domestic decision."))
    same_org(organisation, *events, *people)


def filing_create(
    *, actor, body: str, title: str, status: str = FilingStatus.DRAFT, reference: str = "", notes: str = "",
    final_decision_on: date | None = None, lodged_on: date | None = None, next_deadline: date | None = None,
    next_step: str = "", events=(), people=(),
) -> Filing:
    organisation = actor.organisation
    if not title.strip():
        raise EvidenceError(_("Give the filing a title."))
    _check(body, status, final_decision_on, lodged_on, events, people, organisation)
    with transaction.atomic():
        filing = Filing(
            organisation=organisation, body=body, status=status, final_decision_on=final_decision_on,
            lodged_on=lodged_on, next_deadline=next_deadline, created_by=actor,
            data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation),
        )
        filing.title = title
        filing.reference = reference
        filing.notes = notes
        filing.next_step = next_step
        save_with_code(filing, "L")
        filing.events.set(events)
        filing.people.set(people)
        record(EvidenceEvent.FILING_CREATED, actor=actor, organisation=organisation, obj=filing, body=body,
               events=sorted(e.code for e in events), people=sorted(p.code for p in people))
    return filing


def filing_update(*, actor, filing: Filing, events=None, people=None, **changes) -> Filing:
    allowed = {"body", "status", "title", "reference", "notes", "final_decision_on", "lodged_on",
               "next_deadline", "next_step"}
    if set(changes) - allowed:
        raise EvidenceError("unknown field")
    merged = {k: changes.get(k, getattr(filing, k)) for k in ("body", "status", "final_decision_on", "lodged_on")}
    _check(**merged, events=events or [], people=people or [], organisation=filing.organisation)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(filing, name, value)
        filing.save()
        if events is not None:
            filing.events.set(events)
        if people is not None:
            filing.people.set(people)
        record(EvidenceEvent.FILING_UPDATED, actor=actor, organisation=filing.organisation, obj=filing,
               status=filing.status, fields=sorted(changes))
    return filing


def filing_step_add(*, actor, filing: Filing, on: date, kind: str, text: str = "",
                    next_deadline: date | None = None, next_step: str = "") -> FilingStep:
    """A dated response, decision or submission; it may set the filing's next deadline."""
    if kind not in StepKind.values:
        raise EvidenceError(_("Choose the kind of step from the list."))
    with transaction.atomic():
        step = FilingStep(filing=filing, on=on, kind=kind, next_deadline=next_deadline, actor=actor)
        step.text = text
        step.save(force_insert=True)
        fields = []
        if next_deadline is not None:
            filing.next_deadline = next_deadline
            filing.next_step = next_step
            fields = ["next_deadline", "next_step"]
        if kind == StepKind.SUBMISSION and filing.lodged_on is None:
            filing.lodged_on = on
            filing.status = "lodged"
            fields += ["lodged_on", "status"]
        if fields:
            filing.save(update_fields=fields)
        record(EvidenceEvent.FILING_STEP_ADDED, actor=actor, organisation=filing.organisation, obj=filing,
               kind=kind, on=on.isoformat())
    return step
