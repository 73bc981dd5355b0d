"""A closed month is immutable: services refuse, the database refuses, corrections
land in an open month, and closing is in the audit log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from corridor.audit.models import AuditEntry
from corridor.funds.events import FundsEvent
from corridor.funds.models import ClosedPeriod, Donation, ExchangeRate, Expense
from corridor.funds.services import (
    PeriodClosed,
    donation_correct,
    donation_delete,
    donation_record,
    donation_update,
    expense_correct,
    expense_delete,
    expense_record,
    expense_update,
    month_digest,
    period_close,
    rate_record,
)

pytestmark = pytest.mark.django_db

MARCH = date(2017, 3, 1)


def _close(org, cast, month=MARCH):
    return period_close(actor=cast.finance, organisation=org, month=month, today=date(2017, 6, 1))


def test_closing_is_audited_with_a_fingerprint_of_the_month(org, cast, expense, donation):
    period = _close(org, cast)
    entry = AuditEntry.objects.get(code=FundsEvent.PERIOD_CLOSED)
    assert entry.data == {"month": "2017-03", "donations": 1, "expenses": 1, "digest": period.digest}
    assert period.digest == month_digest(org, MARCH)[0]
    assert entry.actor == cast.finance.principal


def test_a_closed_expense_cannot_be_updated_through_the_service(org, cast, expense):
    _close(org, cast)
    with pytest.raises(PeriodClosed):
        expense_update(actor=cast.finance, expense=expense, date=expense.date, amount="1", currency="RUB",
                       category="medical")
    with pytest.raises(PeriodClosed):
        expense_delete(actor=cast.finance, expense=expense)
    expense.refresh_from_db()
    assert expense.amount_minor == 1_200_000 and expense.category == "housing"


def test_an_entry_cannot_be_moved_into_or_out_of_a_closed_month(org, cast, donation, rates):
    _close(org, cast)
    april = donation_record(actor=cast.finance, organisation=org, date=date(2017, 4, 3), amount="10",
                            currency="USD")
    with pytest.raises(PeriodClosed):
        donation_update(actor=cast.finance, donation=april, date=date(2017, 3, 30), amount="10", currency="USD")
    with pytest.raises(PeriodClosed):
        donation_update(actor=cast.finance, donation=donation, date=date(2017, 4, 30), amount="10",
                        currency="USD")
    with pytest.raises(PeriodClosed):
        donation_delete(actor=cast.finance, donation=donation)
    with pytest.raises(PeriodClosed):
        donation_record(actor=cast.finance, organisation=org, date=date(2017, 3, 9), amount="10", currency="USD")


def test_the_database_refuses_a_direct_update_or_delete(org, cast, expense, donation):
    _close(org, cast)
    for model, obj in ((Expense, expense), (Donation, donation)):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=obj.pk).update(amount_minor=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=obj.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Donation.objects.create(organisation=org, date=date(2017, 3, 20), amount_minor=100, currency="USD",
                                source="anonymous")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_expense SET amount_minor = 1")
    expense.refresh_from_db()
    assert expense.amount_minor == 1_200_000


def test_the_database_refuses_to_reopen_a_month(org, cast):
    period = _close(org, cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClosedPeriod.objects.filter(pk=period.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClosedPeriod.objects.filter(pk=period.pk).update(digest="0" * 64)


def test_the_database_refuses_a_month_that_does_not_match_its_date(org, cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Donation.objects.bulk_create([Donation(organisation=org, date=date(2017, 5, 2), month=date(2017, 6, 1),
                                               amount_minor=1, currency="USD", source="anonymous")])


def test_rates_of_closed_months_are_fixed(org, cast, rates):
    _close(org, cast, date(2017, 1, 1))
    with pytest.raises(PeriodClosed):
        rate_record(actor=cast.finance, organisation=org, currency="RUB", quote="USD", date=date(2017, 1, 1),
                    rate="0.02")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.filter(pk=rates[0].pk).update(rate=Decimal("0.5"))
    rate_record(actor=cast.finance, organisation=org, currency="RUB", quote="USD", date=date(2017, 2, 1),
                rate="0.02")


def test_a_correction_is_a_new_entry_in_an_open_month(org, cast, expense, donation):
    _close(org, cast)
    fix = expense_correct(actor=cast.finance, original=expense, amount="-2000", date=date(2017, 4, 2))
    assert fix.corrects == expense and fix.month == date(2017, 4, 1) and fix.amount_minor == -200_000
    assert fix.category == expense.category
    moved = expense_correct(actor=cast.finance, original=expense, amount="500", date=date(2017, 4, 2),
                            category="medical")
    assert moved.category == "medical"
    gift = donation_correct(actor=cast.finance, original=donation, amount="-100", date=date(2017, 4, 5))
    assert gift.source == donation.source and gift.donor == donation.donor
    assert AuditEntry.objects.filter(code=FundsEvent.EXPENSE_CORRECTED).count() == 2
    expense.refresh_from_db()
    assert expense.amount_minor == 1_200_000  # the closed original is untouched


def test_a_correction_never_lands_in_a_closed_month(org, cast, expense):
    _close(org, cast)
    with pytest.raises(PeriodClosed):
        expense_correct(actor=cast.finance, original=expense, amount="-10", date=date(2017, 3, 31))
    assert Expense.objects.count() == 1


def test_months_are_closed_in_order_and_only_once_ended(org, cast, expense):
    with pytest.raises(ValidationError) as exc:
        period_close(actor=cast.finance, organisation=org, month=date(2017, 4, 1), today=date(2017, 6, 1))
    assert exc.value.code == "order"
    with pytest.raises(ValidationError) as exc:
        period_close(actor=cast.finance, organisation=org, month=date(2017, 6, 1), today=date(2017, 6, 20))
    assert exc.value.code == "not_ended"
    _close(org, cast)
    with pytest.raises(ValidationError) as exc:
        _close(org, cast)
    assert exc.value.code == "closed"


def test_a_month_with_a_pending_expense_cannot_be_closed(org, cast, rates):
    expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 5), amount="5000", currency="USD",
                   category="relocation")
    with pytest.raises(ValidationError) as exc:
        _close(org, cast)
    assert exc.value.code == "pending"


@pytest.mark.parametrize("who", ["coordinator", "auditor", "admin", "alice"])
def test_only_finance_closes_a_month(org, cast, who):
    with pytest.raises(ValidationError):
        period_close(actor=getattr(cast, who), organisation=org, month=MARCH, today=date(2017, 6, 1))
    assert not ClosedPeriod.objects.exists()
