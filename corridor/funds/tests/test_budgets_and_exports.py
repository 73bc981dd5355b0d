"""Budgets with burn-down; the HXL CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from corridor.audit.models import AuditEntry
from corridor.funds.budgeting import burndown
from corridor.funds.events import FundsEvent
from corridor.funds.rates import MissingRate
from corridor.funds.services import budget_create, expense_record, funds_export

pytestmark = pytest.mark.django_db


def test_the_burndown_converts_and_accumulates_spending(org, cast, expense, rates):
    expense_record(actor=cast.finance, organisation=org, date=date(2017, 4, 2), amount="100", currency="EUR",
                   category="housing")
    budget = budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 3, 1),
                           end=date(2017, 6, 1), amount="1000", currency="USD")
    result = burndown(budget)
    assert [m.spent for m in result.months] == [Decimal("204.00"), Decimal("106.00"), 0, 0]
    assert result.remaining == Decimal("690.00") and result.percent == 31
    assert result.months[-1].pace == 0 and result.months[0].pace == Decimal("750.00")


def test_a_missing_rate_is_reported_not_guessed(org, cast, expense, rates):
    budget = budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 3, 1),
                           end=date(2017, 3, 1), amount="1000", currency="GEL")
    assert isinstance(burndown(budget).error, MissingRate)


def test_a_budget_period_must_make_sense(org, cast):
    with pytest.raises(ValidationError):
        budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 6, 1),
                      end=date(2017, 3, 1), amount="10", currency="USD")
    budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 1, 1),
                  end=date(2017, 3, 1), amount="10", currency="USD")
    with pytest.raises(ValidationError):
        budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 1, 1),
                      end=date(2017, 3, 1), amount="20", currency="USD")


def test_the_export_carries_hxl_hashtags_and_nothing_private(org, cast, expense, donation, rates):
    body = "".join(funds_export(actor=cast.auditor, organisation=org, start=date(2017, 1, 1),
                                end=date(2017, 12, 1), currency="USD"))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    tags = rows[1]
    assert tags[:6] == ["#meta +id", "#meta +type", "#date", "#value", "#currency", "#value +converted +usd"]
    assert "#sector" in tags and "#org +funder +name" in tags
    assert len(rows) == 4
    assert "Landlord" not in body and "March rent" not in body
    assert "Rainbow Fund" in body  # consented to be named
    expense_row = next(r for r in rows[2:] if r[0] == str(expense.pk))
    assert expense_row[3:6] == ["12000.00", "RUB", "204.00"]
    assert AuditEntry.objects.filter(code=FundsEvent.EXPORTED).count() == 1


def test_the_export_neutralises_spreadsheet_formulas(org, cast):
    from corridor.funds.services import campaign_create, donation_record

    campaign = campaign_create(actor=cast.finance, organisation=org, name="=HYPERLINK(\"x\")", status="official")
    donation_record(actor=cast.finance, organisation=org, date=date(2017, 3, 1), amount="5", currency="USD",
                    campaign=campaign)
    body = "".join(funds_export(actor=cast.finance, organisation=org, start=date(2017, 3, 1),
                                end=date(2017, 3, 1), currency="USD"))
    assert "'=HYPERLINK" in body


def test_an_export_with_a_missing_rate_fails_before_anything_is_sent(org, cast, expense):
    with pytest.raises(MissingRate):
        funds_export(actor=cast.finance, organisation=org, start=date(2017, 1, 1), end=date(2017, 12, 1),
                     currency="GBP")
    assert not AuditEntry.objects.filter(code=FundsEvent.EXPORTED).exists()
