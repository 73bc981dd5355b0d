"""Money as `Decimal` plus an ISO 4217 code — never floats.

The database keeps integer minor units (kopecks, cents): SQLite has no decimal
type and would store a DecimalField as a binary float, and SUM over integers is
exact on every backend, which the report needs for a million rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from corridor.funds.currencies import is_currency, minor_units

# Ten trillion units of any currency is more than any programme will see; the
# limit keeps amounts inside a signed 64-bit column with room for sums.
MAX_AMOUNT = Decimal(10) ** 13
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if not is_currency(code):
        raise ValidationError(
            _("Unknown currency “%(code)s”: use a three-letter ISO 4217 code such as RUB, USD or EUR."),
            code="currency", params={"code": code[:8]},
        )
    return code


def _to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amounts must never be floats")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    text = _SPACES.sub("", str(value or ""))
    if "," in text and "." in text:
        # Both marks: the last one is the decimal mark, the other groups thousands.
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")  # Russian decimal comma
    if not _NUMBER.fullmatch(text):
        raise ValidationError(
            _("“%(value)s” is not an amount. Write digits, with a point or comma before the decimals, "
              "for example 1500.50."),
            code="malformed", params={"value": str(value)[:40]},
        )
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above already filters
        raise ValidationError(_("This is not an amount."), code="malformed") from None


def parse_amount(value, currency: str, *, allow_negative: bool = False) -> Decimal:
    """A validated amount in `currency`. Corrections may be negative, nothing else."""
    currency = check_currency(currency)
    amount = _to_decimal(value)
    if not amount.is_finite():
        raise ValidationError(_("This is not an amount."), code="malformed")
    if amount.is_zero():
        raise ValidationError(_("The amount cannot be zero."), code="zero")
    if amount < 0 and not allow_negative:
        raise ValidationError(
            _("The amount cannot be negative. To reduce an entry of a closed month, record a correction."),
            code="negative",
        )
    if abs(amount) >= MAX_AMOUNT:
        raise ValidationError(_("This amount is too large."), code="too_large")
    digits = minor_units(currency)
    if amount.quantize(Decimal(1).scaleb(-digits)) != amount:
        raise ValidationError(
            _("%(currency)s amounts have at most %(digits)s digits after the decimal mark."),
            code="precision", params={"currency": currency, "digits": digits},
        )
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount.scaleb(minor_units(currency))).to_integral_value())


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(int(minor)).scaleb(-minor_units(currency))


def format_amount(amount: Decimal, currency: str, *, decimals: int | None = None) -> str:
    """`1 234,50 RUB` in Russian, `1,234.50 RUB` in English (the active language)."""
    places = minor_units(currency) if decimals is None else decimals
    return f"{number_format(amount, places, use_l10n=True, force_grouping=True)}\u00a0{currency}"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        return cls(from_minor(minor, currency), currency)

    def __str__(self) -> str:
        return format_amount(self.amount, self.currency)
