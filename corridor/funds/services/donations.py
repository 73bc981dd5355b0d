"""Donations: recorded, edited while their month is open, corrected afterwards."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.events import FundsEvent
from corridor.funds.models import Category, Donation, Donor, Source
from corridor.funds.money import check_currency, parse_amount, to_minor
from corridor.funds.services.common import check_open, check_same_org, require


def _check_date(day) -> date:
    if not isinstance(day, date):
        raise ValidationError(_("Enter the date."), code="date")
    if day > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future")
    return day


def _check_restriction(restriction: str) -> str:
    if restriction and restriction not in Category.values:
        raise ValidationError(_("Choose a purpose from the list, or none."), code="restriction")
    return restriction or ""


def _source(donor: Donor | None) -> str:
    return donor.source if donor is not None else Source.ANONYMOUS


def donation_record(*, actor, organisation, date: date, amount, currency: str, donor: Donor | None = None,
                    campaign=None, restriction: str = "") -> Donation:
    require(actor, Perm.FUNDS_EDIT)
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    check_same_org(organisation, donor, campaign)
    donation = Donation(
        organisation=organisation, date=_check_date(date), amount_minor=to_minor(value, currency),
        currency=currency, donor=donor, campaign=campaign, source=_source(donor),
        restriction=_check_restriction(restriction), created_by=None if isinstance(actor, str) else actor,
    )
    with transaction.atomic():
        check_open(organisation, donation.date)
        donation.save(force_insert=True)
        record(FundsEvent.DONATION_RECORDED, actor=actor, organisation=organisation, obj=donation,
               month=donation.month.isoformat()[:7], source=donation.source)
    return donation


def donation_update(*, actor, donation: Donation, date: date, amount, currency: str, campaign=None,
                    restriction: str = "") -> Donation:
    """Only while both the old and the new date are in open months."""
    require(actor, Perm.FUNDS_EDIT)
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    check_same_org(donation.organisation, campaign)
    with transaction.atomic():
        check_open(donation.organisation, donation.date, _check_date(date))
        donation.date, donation.currency = date, currency
        donation.amount_minor = to_minor(value, currency)
        donation.campaign, donation.restriction = campaign, _check_restriction(restriction)
        donation.save()
        record(FundsEvent.DONATION_UPDATED, actor=actor, organisation=str(donation.organisation_id),
               obj=donation, month=donation.month.isoformat()[:7])
    return donation


def donation_delete(*, actor, donation: Donation) -> None:
    require(actor, Perm.FUNDS_EDIT)
    with transaction.atomic():
        check_open(donation.organisation, donation.date)
        if donation.corrections.exists():
            raise ValidationError(_("This donation has corrections; correct it instead of deleting it."),
                                  code="corrected")
        record(FundsEvent.DONATION_DELETED, actor=actor, organisation=str(donation.organisation_id),
               obj=donation, month=donation.month.isoformat()[:7])
        donation.delete()


def donation_correct(*, actor, original: Donation, amount, date: date | None = None) -> Donation:
    """A new entry in an open month that adds `amount` (negative to reduce) to what
    `original` recorded; the original, and its closed month, stay as they were."""
    require(actor, Perm.FUNDS_EDIT)
    value = parse_amount(amount, original.currency, allow_negative=True)
    day = _check_date(date or timezone.localdate())
    correction = Donation(
        organisation=original.organisation, date=day, amount_minor=to_minor(value, original.currency),
        currency=original.currency, donor=original.donor, campaign=original.campaign, source=original.source,
        restriction=original.restriction, corrects=original,
        created_by=None if isinstance(actor, str) else actor,
    )
    with transaction.atomic():
        check_open(original.organisation, day)
        correction.save(force_insert=True)
        record(FundsEvent.DONATION_CORRECTED, actor=actor, organisation=str(original.organisation_id),
               obj=correction, corrects=str(original.pk), month=correction.month.isoformat()[:7])
    return correction
