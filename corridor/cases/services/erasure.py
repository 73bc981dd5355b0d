"""Erasing a person for good, with two people: one coordinator asks, another
coordinator or an administrator approves, and the approval carries it out.

What goes: the person (and the household members' records if asked), with
everything encrypted under their data key — identity, phones, notes, identifiers,
documents, check-ins and services' notes, case summaries — plus the blind indexes
that could confirm a guessed number, the intake contacts linked to their cases,
and their testimonies, unless a lodged filing names them and a legal officer
decided to keep them. Statistics keep the skeleton (codes, stages, dates, counts).
Audit entries carry pseudonym codes and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm, Role
from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import (
    CheckIn,
    Document,
    ErasureRequest,
    Person,
    PersonIdentifier,
    Service,
)
from corridor.cases.services._common import clean_text
from corridor.crypto.keys import destroy_data_keys, new_data_key
from corridor.crypto.models import DataKey

REASON_MIN_CHARS = 15


@dataclass
class ErasurePlan:
    people: list[Person]
    identifiers: int = 0
    documents: int = 0
    services: int = 0
    checkins: int = 0
    contacts: list = field(default_factory=list)
    testimonies: list = field(default_factory=list)
    testimonies_for_court: list = field(default_factory=list)
    # Testimonies a lodged or communicated filing names: kept only on a legal officer's decision.
    court_needed: list = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"people": len(self.people), "identifiers": self.identifiers, "documents": self.documents,
                "services": self.services, "checkins": self.checkins, "contacts": len(self.contacts),
                "testimonies": len(self.testimonies), "testimonies_kept": len(self.testimonies_for_court)}


def erasure_plan(person: Person, *, include_household: bool, legal_hold: bool = False) -> ErasurePlan:
    """Exactly what an erasure takes (the confirmation page shows it)."""
    from corridor.evidence.models import Filing, Testimony
    from corridor.intake.models import Contact

    people = [person]
    if include_household and person.household_id:
        people += list(Person.objects.filter(household_id=person.household_id, erased__isnull=True)
                       .exclude(pk=person.pk).order_by("code"))
    ids = [p.pk for p in people]
    plan = ErasurePlan(people=people)
    from corridor.evidence.models import FilingStatus

    open_filings = (FilingStatus.LODGED, FilingStatus.COMMUNICATED)
    plan.identifiers = PersonIdentifier.objects.filter(person_id__in=ids).count()
    plan.documents = Document.objects.filter(person_id__in=ids).count()
    plan.services = Service.objects.filter(case__person_id__in=ids).count()
    plan.checkins = CheckIn.objects.filter(case__person_id__in=ids).count()
    plan.contacts = list(Contact.objects.filter(case__person_id__in=ids, erased__isnull=True))
    in_court = set(Filing.objects.filter(status__in=open_filings, people__in=ids).values_list("people", flat=True))
    for testimony in Testimony.objects.filter(person_id__in=ids).select_related("data_key"):
        if testimony.person_id in in_court:
            plan.court_needed.append(testimony)
        if testimony.person_id in in_court and legal_hold:
            plan.testimonies_for_court.append(testimony)
        else:
            plan.testimonies.append(testimony)
    return plan


def _may_decide(actor) -> bool:
    return actor.can(Perm.CASE_EXPORT_APPROVE) or actor.role == Role.ADMIN


def erasure_request(*, actor, person: Person, reason: str, include_household: bool = False) -> ErasureRequest:
    if not actor.can(Perm.CASE_EXPORT_APPROVE) or actor.organisation_id != person.organisation_id:
        raise ValidationError(_("Only a coordinator of this organisation can ask for an erasure."))
    if person.erased:
        raise ValidationError(_("This person was already erased."))
    reason = clean_text(reason, limit=2000)
    if len(reason) < REASON_MIN_CHARS:
        raise ValidationError({"reason": _("Write the reason (at least %(n)d characters): the approver reads it.")
                               % {"n": REASON_MIN_CHARS}})
    with transaction.atomic():
        if ErasureRequest.objects.filter(person=person, status=ErasureRequest.Status.PENDING).exists():
            raise ValidationError(_("An erasure of this person is already waiting for approval."))
        req = ErasureRequest(organisation_id=person.organisation_id, person=person, person_code=person.code,
                             include_household=bool(include_household), requested_by=actor,
                             data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=person.organisation))
        req.reason = reason
        req.save(force_insert=True)
        record(CaseEvent.PERSON_ERASURE_REQUESTED, actor=actor, organisation=str(person.organisation_id), obj=req,
               household=req.include_household, reason_chars=len(reason))
    return req


def erasure_legal_hold(*, actor, request: ErasureRequest) -> ErasureRequest:
    """A legal officer decides that testimonies a lodged filing relies on are kept."""
    if actor.role != Role.LEGAL or actor.organisation_id != request.organisation_id:
        raise ValidationError(_("Only a legal officer of this organisation can keep testimonies for a court."))
    with transaction.atomic():
        updated = ErasureRequest.objects.filter(pk=request.pk, status=ErasureRequest.Status.PENDING).update(
            legal_hold_by=actor, legal_hold_at=timezone.now())
        if not updated:
            raise ValidationError(_("This erasure was already decided."))
        request.refresh_from_db()
        record(CaseEvent.PERSON_ERASURE_LEGAL_HOLD, actor=actor, organisation=str(request.organisation_id),
               obj=request)
    return request


def erasure_decide(*, actor, request: ErasureRequest, approve: bool) -> ErasureRequest:
    """The second person's decision; approving erases at once."""
    if not _may_decide(actor) or actor.organisation_id != request.organisation_id:
        raise ValidationError(_("Only another coordinator or an administrator of this organisation can decide."))
    if actor.pk == request.requested_by_id:
        raise ValidationError(_("A second person must approve this erasure, not the one who asked for it."))
    with transaction.atomic():
        locked = ErasureRequest.objects.select_for_update().filter(
            pk=request.pk, status=ErasureRequest.Status.PENDING).first()
        if locked is None:
            raise ValidationError(_("This erasure was already decided."))
        if not approve:
            ErasureRequest.objects.filter(pk=request.pk).update(
                status=ErasureRequest.Status.DECLINED, decided_by=actor, decided_at=timezone.now())
            record(CaseEvent.PERSON_ERASURE_DECLINED, actor=actor, organisation=str(request.organisation_id),
                   obj=request)
        else:
            summary = _carry_out(actor, locked)
            ErasureRequest.objects.filter(pk=request.pk).update(
                status=ErasureRequest.Status.DONE, decided_by=actor, decided_at=timezone.now(), summary=summary)
            record(CaseEvent.PERSON_ERASURE_APPROVED, actor=actor, organisation=str(request.organisation_id),
                   obj=request, **summary)
        request.refresh_from_db()
    return request


def _carry_out(actor, request: ErasureRequest) -> dict:
    from corridor.cases.services.people import person_erase
    from corridor.intake.services.housekeeping import contact_erase

    person = Person.objects.select_related("data_key", "organisation").get(pk=request.person_id)
    plan = erasure_plan(person, include_household=request.include_household,
                        legal_hold=request.legal_hold_by_id is not None)
    if plan.court_needed and request.legal_hold_by_id is None:
        raise ValidationError(_(
            "A lodged court filing names this person. A legal officer must first decide whether "
            "their testimonies are kept for the court."))
    for contact in plan.contacts:
        contact_erase(actor=actor, contact=contact, reason="person erasure")
    for p in plan.people:
        person_erase(actor=actor, person=p)
    if plan.testimonies:
        destroy_data_keys([t.data_key for t in plan.testimonies])
    # The reason named the person: it goes with them.
    destroy_data_keys([request.data_key])
    return {**plan.counts(), "codes": [p.code for p in plan.people]}
