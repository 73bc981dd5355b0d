"""Conversion at the rate of each transaction's date; missing rates are named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from corridor.audit.models import AuditEntry
from corridor.funds.events import FundsEvent
from corridor.funds.models import ExchangeRate
from corridor.funds.rates import MissingRate, RateBook
from corridor.funds.services import rate_record, rates_import

pytestmark = pytest.mark.django_db


def _rate(org, currency, quote, day, rate):
    return rate_record(actor="system:test", organisation=org, currency=currency, quote=quote, date=day,
                       rate=Decimal(rate))


def test_each_date_uses_the_latest_rate_on_or_before_it(org):
    _rate(org, "RUB", "USD", date(2017, 1, 1), "0.016")
    _rate(org, "RUB", "USD", date(2017, 2, 1), "0.017")
    book = RateBook(org, "USD")
    assert book.rate("RUB", date(2017, 1, 31)) == Decimal("0.016")
    assert book.rate("RUB", date(2017, 2, 1)) == Decimal("0.017")
    assert book.rate("RUB", date(2018, 5, 5)) == Decimal("0.017")
    assert book.convert(Decimal(1000), "RUB", date(2017, 1, 15)) == Decimal("16.000")
    assert book.rate("USD", date(2000, 1, 1)) == 1


def test_a_pair_entered_the_other_way_round_is_inverted(org):
    _rate(org, "USD", "RUB", date(2017, 1, 1), "50")
    assert RateBook(org, "USD").rate("RUB", date(2017, 3, 1)) == Decimal("0.02")


def test_a_missing_rate_names_the_currency_and_the_date(org):
    _rate(org, "RUB", "USD", date(2017, 2, 1), "0.017")
    book = RateBook(org, "USD")
    with pytest.raises(MissingRate) as exc:
        book.rate("RUB", date(2017, 1, 20))
    with translation.override("en"):
        assert "from RUB to USD on or before" in exc.value.message and "2017" in exc.value.message
    with pytest.raises(MissingRate) as exc:
        book.rate("EUR", date(2017, 3, 1))
    with translation.override("ru"):
        assert "Нет курса EUR к USD" in exc.value.message


def test_rates_are_per_organisation(org, other_org):
    _rate(other_org, "RUB", "USD", date(2017, 1, 1), "0.5")
    with pytest.raises(MissingRate):
        RateBook(org, "USD").rate("RUB", date(2017, 6, 1))


@pytest.mark.parametrize("rate", ["0", "-1", "abc", "0.00000000001"])
def test_bad_rates_are_refused(org, rate):
    with pytest.raises(ValidationError):
        rate_record(actor="system:test", organisation=org, currency="RUB", quote="USD", date=date(2017, 1, 1),
                    rate=rate)


def test_a_rate_needs_two_known_currencies(org):
    with pytest.raises(ValidationError):
        _rate(org, "RUB", "RUB", date(2017, 1, 1), "1")
    with pytest.raises(ValidationError):
        _rate(org, "RUB", "XXX", date(2017, 1, 1), "1")


def test_the_same_pair_and_date_replaces_the_rate_and_is_audited(org):
    _rate(org, "EUR", "USD", date(2017, 1, 1), "1.05")
    _rate(org, "EUR", "USD", date(2017, 1, 1), "1.07")
    assert ExchangeRate.objects.get().rate == Decimal("1.07")
    assert AuditEntry.objects.filter(code=FundsEvent.RATE_RECORDED).count() == 2


def test_an_import_is_all_or_nothing(org):
    rows = [{"currency": "RUB", "quote": "USD", "date": "2017-01-01", "rate": "0.017"},
            {"currency": "EUR", "quote": "USD", "date": "not a date", "rate": "1.1"}]
    with pytest.raises(ValidationError) as exc:
        rates_import(actor="system:test", organisation=org, rows=rows)
    assert "2" in exc.value.messages[0]
    assert not ExchangeRate.objects.exists()
    assert rates_import(actor="system:test", organisation=org, rows=rows[:1]) == 1


def test_a_pair_with_no_rate_converts_through_a_common_currency(org, rates):
    from corridor.funds.rates import RateBook

    book = RateBook(org, "EUR")
    # RUB→USD (0.0170), then USD→EUR (1 / 1.06, from the EUR→USD rate entered).
    assert book.rate("RUB", date(2017, 5, 1)) == Decimal("0.0170") / Decimal("1.0600")
    assert book.convert(Decimal(1060), "RUB", date(2017, 5, 1)) == Decimal("17.0")


def test_a_direct_rate_wins_over_a_common_currency(org, rates):
    from corridor.funds.rates import RateBook
    from corridor.funds.services import rate_record

    rate_record(actor="system:test", organisation=org, currency="RUB", quote="EUR", date=date(2017, 1, 1),
                rate=Decimal("0.0150"), source="test")
    assert RateBook(org, "EUR").rate("RUB", date(2017, 5, 1)) == Decimal("0.0150")


def test_no_path_at_all_is_still_a_clear_error(org, rates):
    from corridor.funds.rates import MissingRate, RateBook

    with pytest.raises(MissingRate) as exc:
        RateBook(org, "GBP").rate("RUB", date(2017, 5, 1))
    assert "RUB" in exc.value.message and "GBP" in exc.value.message
    with pytest.raises(MissingRate):  # before the first rate
        RateBook(org, "EUR").rate("RUB", date(2016, 12, 31))
