from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence.consent import PARTNERS
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import Testimony
from corridor.evidence.services.common import EvidenceError, same_org, save_with_code


def _consent_codes(testimony: Testimony) -> list[str]:
    uses = (["public"] if testimony.consent_public else []) + (["legal"] if testimony.consent_legal else [])
    return uses + sorted(testimony.consent_partners) or ["internal"]


def _check_partners(partners: list[str]) -> list[str]:
    unknown = set(partners) - set(PARTNERS)
    if unknown:
        raise EvidenceError(_("Unknown partner."))
    return sorted(set(partners))


def testimony_record(
    *, actor, person=None, source_label: str = "", language: str, transcript: str, summary: str = "",
    interviewer, interviewed_on: date, consent_public: bool = False, consent_legal: bool = False,
    consent_partners: list[str] | None = None, consent_note: str = "",
) -> Testimony:
    organisation = actor.organisation
    if person is None and not source_label.strip():
        raise EvidenceError(_("Name the witness by pseudonym, or describe the anonymous source."))
    if interviewer.organisation_id != organisation.pk:
        raise EvidenceError(_("The interviewer must be a member of your organisation."))
    same_org(organisation, person)
    _check_interview_date(interviewed_on)
    with transaction.atomic():
        testimony = Testimony(
            organisation=organisation, person=person, language=language, interviewer=interviewer,
            interviewed_on=interviewed_on, consent_public=consent_public, consent_legal=consent_legal,
            consent_partners=_check_partners(consent_partners or []), recorded_by=actor,
            data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation),
        )
        testimony.source_label = source_label
        testimony.transcript = transcript
        testimony.summary = summary
        testimony.consent_note = consent_note
        save_with_code(testimony, "T")
        record(EvidenceEvent.TESTIMONY_RECORDED, actor=actor, organisation=organisation, obj=testimony,
               person=person.code if person else "", consent=_consent_codes(testimony),
               happened=interviewed_on.isoformat())
    return testimony


def _check_interview_date(interviewed_on: date) -> None:
    # Testimonies are often typed up from notes later: the date is the interview's,
    # and an interview cannot have happened tomorrow.
    if interviewed_on and interviewed_on > timezone.localdate():
        raise EvidenceError(_("The date of the interview is in the future."))


def testimony_update(*, actor, testimony: Testimony, **changes) -> Testimony:
    """Edit text fields and consent; a consent change is its own audit entry."""
    allowed = {"source_label", "language", "transcript", "summary", "interviewed_on", "consent_public",
               "consent_legal", "consent_partners", "consent_note"}
    if set(changes) - allowed:
        raise EvidenceError("unknown field")
    if "consent_partners" in changes:
        changes["consent_partners"] = _check_partners(changes["consent_partners"])
    if changes.get("interviewed_on"):
        _check_interview_date(changes["interviewed_on"])
    with transaction.atomic():
        before = _consent_codes(testimony)
        for name, value in changes.items():
            setattr(testimony, name, value)
        testimony.save()
        after = _consent_codes(testimony)
        record(EvidenceEvent.TESTIMONY_UPDATED, actor=actor, organisation=testimony.organisation, obj=testimony)
        if before != after:
            record(EvidenceEvent.TESTIMONY_CONSENT_CHANGED, actor=actor, organisation=testimony.organisation,
                   obj=testimony, before=before, after=after)
    return testimony


def testimony_viewed(*, actor, testimony: Testimony) -> None:
    """Reading a transcript is logged: it is the most sensitive text in the system."""
    with transaction.atomic():
        record(EvidenceEvent.TESTIMONY_VIEWED, actor=actor, organisation=testimony.organisation, obj=testimony)
