"""Exchange rates, entered with their date."""

from __future__ import annotations

import datetime as dt
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.events import FundsEvent
from corridor.funds.models import ExchangeRate
from corridor.funds.money import _to_decimal, check_currency
from corridor.funds.services.common import check_rate_date_open, require

MAX_RATE = Decimal(10) ** 12


def parse_rate(value) -> Decimal:
    rate = _to_decimal(value)
    if not rate.is_finite() or rate <= 0:
        raise ValidationError(_("A rate must be a positive number."), code="rate")
    if rate >= MAX_RATE or rate != rate.quantize(Decimal("1e-10")):
        raise ValidationError(_("A rate can have at most 10 digits after the decimal mark."), code="rate")
    return rate


def rate_record(*, actor, organisation, currency: str, quote: str, date: date, rate, source: str = "") -> ExchangeRate:
    """Record 1 `currency` = `rate` `quote` from `date`; replaces a rate of the same
    pair and date while that date's month is open."""
    require(actor, Perm.FUNDS_EDIT)
    currency, quote = check_currency(currency), check_currency(quote)
    if currency == quote:
        raise ValidationError(_("A rate needs two different currencies."), code="same")
    if not isinstance(date, dt.date):
        raise ValidationError(_("Enter the date."), code="date")
    value = parse_rate(rate)
    with transaction.atomic():
        check_rate_date_open(organisation, date)
        obj, created = ExchangeRate.objects.update_or_create(
            organisation=organisation, currency=currency, quote=quote, date=date,
            defaults={"rate": value, "source": source.strip()[:200],
                      "created_by": None if isinstance(actor, str) else actor},
        )
        record(FundsEvent.RATE_RECORDED, actor=actor, organisation=organisation, obj=obj,
               pair=f"{currency}/{quote}", date=date.isoformat(), rate=str(value), replaced=not created)
    return obj


def rate_delete(*, actor, rate: ExchangeRate) -> None:
    require(actor, Perm.FUNDS_EDIT)
    with transaction.atomic():
        check_rate_date_open(rate.organisation, rate.date)
        record(FundsEvent.RATE_DELETED, actor=actor, organisation=str(rate.organisation_id), obj=rate,
               pair=f"{rate.currency}/{rate.quote}", date=rate.date.isoformat())
        rate.delete()


def rates_import(*, actor, organisation, rows: list[dict], dry_run: bool = False) -> int:
    """Many rates at once (a central bank's CSV); all or nothing, one audit entry."""
    require(actor, Perm.FUNDS_EDIT)
    cleaned = []
    for i, row in enumerate(rows, start=1):
        try:
            currency, quote = check_currency(row["currency"]), check_currency(row["quote"])
            day = row["date"] if isinstance(row["date"], date) else date.fromisoformat(str(row["date"]).strip())
            if currency == quote:
                raise ValidationError(_("A rate needs two different currencies."), code="same")
            cleaned.append((currency, quote, day, parse_rate(row["rate"])))
        except (KeyError, ValueError) as exc:
            raise ValidationError(_("Line %(line)s: %(error)s") % {"line": i, "error": exc}, code="row") from exc
        except ValidationError as exc:
            raise ValidationError(_("Line %(line)s: %(error)s") % {"line": i, "error": " ".join(exc.messages)},
                                  code="row") from exc
    if dry_run:
        return len(cleaned)
    with transaction.atomic():
        for currency, quote, day, value in cleaned:
            check_rate_date_open(organisation, day)
            ExchangeRate.objects.update_or_create(
                organisation=organisation, currency=currency, quote=quote, date=day,
                defaults={"rate": value, "created_by": None if isinstance(actor, str) else actor},
            )
        record(FundsEvent.RATES_IMPORTED, actor=actor, organisation=organisation, count=len(cleaned))
    return len(cleaned)
