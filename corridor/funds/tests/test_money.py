"""Amounts and currencies: Decimal only, clear errors for bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from corridor.funds.money import check_currency, format_amount, from_minor, parse_amount, to_minor


@pytest.mark.parametrize("text,currency,expected", [
    ("1500.50", "RUB", Decimal("1500.50")),
    ("1 500,50", "RUB", Decimal("1500.50")),
    ("1,500.50", "USD", Decimal("1500.50")),
    ("1.500,50", "EUR", Decimal("1500.50")),
    ("1\u00a0500", "RUB", Decimal("1500")),
    ("12", "JPY", Decimal("12")),
    ("1.250", "KWD", Decimal("1.250")),
    (Decimal("99.99"), "usd", Decimal("99.99")),
])
def test_it_reads_amounts_as_people_write_them(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize("text,currency,code", [
    ("-5", "RUB", "negative"),
    ("0", "RUB", "zero"),
    ("abc", "RUB", "malformed"),
    ("1e5", "RUB", "malformed"),
    ("12.345", "USD", "precision"),
    ("1.5", "JPY", "precision"),
    ("NaN", "RUB", "malformed"),
    ("", "RUB", "malformed"),
    ("100000000000000", "RUB", "too_large"),
    ("10", "XYZ", "currency"),
    ("10", "", "currency"),
])
def test_bad_amounts_get_clear_errors(text, currency, code):
    with pytest.raises(ValidationError) as exc:
        parse_amount(text, currency)
    assert exc.value.code == code


def test_errors_are_translated():
    with translation.override("ru"), pytest.raises(ValidationError) as exc:
        parse_amount("-5", "RUB")
    assert "не может быть отрицательной" in exc.value.messages[0]
    with translation.override("ru"), pytest.raises(ValidationError) as exc:
        check_currency("ABC")
    assert "Неизвестная валюта «ABC»" in exc.value.messages[0]


def test_floats_are_refused_outright():
    with pytest.raises(TypeError):
        parse_amount(1.5, "USD")


def test_corrections_may_be_negative():
    assert parse_amount("-250", "RUB", allow_negative=True) == Decimal(-250)


@given(st.integers(-10**15, 10**15), st.sampled_from(["RUB", "USD", "JPY", "KWD"]))
def test_minor_units_round_trip_exactly(minor, currency):
    assert to_minor(from_minor(minor, currency), currency) == minor


def test_formatting_follows_the_language():
    with translation.override("ru"):
        assert format_amount(Decimal("170000"), "USD", decimals=0) == "170\xa0000\xa0USD"
    with translation.override("en"):
        assert format_amount(Decimal("1234.5"), "RUB") == "1,234.50\xa0RUB"


def test_currencies_come_from_maintained_data_not_a_dated_table():
    from corridor.funds import currencies

    assert currencies.is_currency("XCG") and not currencies.is_currency("ANG")  # replaced in 2025
    assert currencies.is_currency("XAF") and not currencies.is_currency("XAU")
    assert currencies.minor_units("JPY") == 0 and currencies.minor_units("BHD") == 3
    assert currencies.minor_units("XCG") == 2
    assert currencies.name("GEL", "ru") == "грузинский лари"
    assert [c for c, _ in currencies.choices()][:3] == ["RUB", "USD", "EUR"]
