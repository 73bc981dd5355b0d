"""Donors: identities encrypted under a key of their own, named only with consent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.crypto.keys import destroy_data_key, new_data_key
from corridor.crypto.models import DataKey
from corridor.funds.events import FundsEvent
from corridor.funds.models import Donor
from corridor.funds.services.common import require


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter the donor's name."), code="required")
    return name[:300]


def _consent_fields(donor: Donor, consent: str, public_name: str) -> None:
    if consent not in Donor.Consent.values:
        raise ValidationError(_("Choose whether the donor may be named."), code="consent")
    if consent == Donor.Consent.NAMED:
        public_name = (public_name or "").strip()
        if not public_name:
            raise ValidationError(
                _("Enter the name exactly as the donor agreed to see it published."), code="public_name")
        donor.public_name = public_name[:200]
    else:
        donor.public_name = ""
    donor.consent = consent


def donor_create(*, actor, organisation, kind: str, name: str, contact: str = "", notes: str = "",
                 consent: str = Donor.Consent.PRIVATE, public_name: str = "") -> Donor:
    require(actor, Perm.FUNDS_EDIT)
    if kind not in Donor.Kind.values:
        raise ValidationError(_("Choose whether the donor is an organisation or a private person."), code="kind")
    with transaction.atomic():
        donor = Donor(organisation=organisation, kind=kind,
                      data_key=new_data_key(scope=DataKey.Scope.DONOR, organisation=organisation))
        donor.identity = {"name": _clean_name(name), "contact": contact.strip(), "notes": notes.strip()}
        _consent_fields(donor, consent, public_name)
        if donor.consent == Donor.Consent.NAMED:
            donor.consent_changed = timezone.now()
        donor.save(force_insert=True)
        record(FundsEvent.DONOR_CREATED, actor=actor, organisation=organisation, obj=donor,
               kind=kind, consent=donor.consent)
    return donor


def donor_update(*, actor, donor: Donor, name: str, contact: str = "", notes: str = "") -> Donor:
    require(actor, Perm.FUNDS_EDIT)
    if donor.erased:
        raise ValidationError(_("This donor was erased."), code="erased")
    with transaction.atomic():
        donor.identity = {"name": _clean_name(name), "contact": contact.strip(), "notes": notes.strip()}
        donor.save(update_fields=["identity"])
        record(FundsEvent.DONOR_UPDATED, actor=actor, organisation=str(donor.organisation_id), obj=donor)
    return donor


def donor_set_consent(*, actor, donor: Donor, consent: str, public_name: str = "") -> Donor:
    """Record (or withdraw) consent to be named. Withdrawal applies to every report
    published afterwards; the name is removed from the database's clear columns."""
    require(actor, Perm.FUNDS_EDIT)
    if donor.erased:
        raise ValidationError(_("This donor was erased."), code="erased")
    with transaction.atomic():
        before = donor.consent
        _consent_fields(donor, consent, public_name)
        donor.consent_changed = timezone.now()
        donor.save(update_fields=["consent", "public_name", "consent_changed"])
        record(FundsEvent.DONOR_CONSENT_CHANGED, actor=actor, organisation=str(donor.organisation_id),
               obj=donor, before=before, after=donor.consent)
    return donor


def donor_erase(*, actor, donor: Donor) -> None:
    """Cryptographic erasure: the identity becomes unreadable; the donations stay
    (the books must still add up) but can no longer be tied to anyone."""
    require(actor, Perm.FUNDS_EDIT)
    with transaction.atomic():
        destroy_data_key(donor.data_key)
        Donor.objects.filter(pk=donor.pk).update(erased=timezone.now(), public_name="",
                                                 consent=Donor.Consent.PRIVATE)
        record(FundsEvent.DONOR_ERASED, actor=actor, organisation=str(donor.organisation_id), obj=donor)
