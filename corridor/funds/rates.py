"""Currency conversion at the rate of each transaction's date.

A rate "1 EUR = 98.5 RUB on 2017-03-01" holds from its date until the next rate of
the same pair; a transaction uses the latest rate on or before its own date. A
pair may be entered either way round (EUR→USD or USD→EUR). When a pair has no rate,
the conversion goes through one common currency that both have a rate with (RUB→USD
then USD→EUR), trying `CORRIDOR_FUNDS_PIVOT_CURRENCIES` (USD, EUR) first, so every
converted figure can still be traced to at most two rates someone typed in. A
missing rate is an error that names what to enter.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from corridor.funds.models import ExchangeRate


class MissingRate(Exception):
    """No rate for a currency on or before a date. The message is translated."""

    def __init__(self, currency: str, target: str, on: date) -> None:
        self.currency, self.target, self.on = currency, target, on
        super().__init__(f"no {currency}->{target} rate on or before {on.isoformat()}")

    @property
    def message(self) -> str:
        return _(
            "There is no exchange rate from %(currency)s to %(target)s on or before %(date)s. "
            "Enter one under Funds → Exchange rates."
        ) % {"currency": self.currency, "target": self.target, "date": date_format(self.on, "DATE_FORMAT")}

    def __str__(self) -> str:
        return self.message


DEFAULT_PIVOTS = ("USD", "EUR")


def _pivots() -> list[str]:
    from django.conf import settings

    return list(getattr(settings, "CORRIDOR_FUNDS_PIVOT_CURRENCIES", DEFAULT_PIVOTS))


class _Timeline:
    def __init__(self, points: dict[date, Decimal]) -> None:
        self.dates = sorted(points)
        self.rates = [points[d] for d in self.dates]

    def at(self, on: date) -> Decimal | None:
        i = bisect_right(self.dates, on) - 1
        return self.rates[i] if i >= 0 else None


class RateBook:
    """All rates an organisation has (one query; the table is small): into one
    target currency directly, or through one common currency."""

    def __init__(self, organisation, target: str, *, currencies: Iterable[str] | None = None) -> None:
        self.target = target
        # `currencies` is accepted for callers that know what they convert; every rate
        # is loaded regardless, since a conversion may need a common currency.
        direct: dict[tuple[str, str], dict[date, Decimal]] = {}
        inverse: dict[tuple[str, str], dict[date, Decimal]] = {}
        rows = ExchangeRate.objects.filter(organisation=organisation)
        for currency, quote, day, rate in rows.values_list("currency", "quote", "date", "rate"):
            if currency == quote or not rate:
                continue
            direct.setdefault((currency, quote), {})[day] = Decimal(rate)
            inverse.setdefault((quote, currency), {})[day] = Decimal(1) / Decimal(rate)
        for pair, points in inverse.items():
            merged = direct.setdefault(pair, {})
            for day, rate in points.items():
                merged.setdefault(day, rate)  # a rate entered in this direction wins
        self._pairs = {pair: _Timeline(points) for pair, points in direct.items()}
        known = {c for pair in self._pairs for c in pair}
        preferred = [c for c in _pivots() if c in known]
        self._pivots = preferred + sorted(known - set(preferred))
        self._cache: dict[tuple[str, date], Decimal] = {}

    def _pair(self, currency: str, quote: str, on: date) -> Decimal | None:
        timeline = self._pairs.get((currency, quote))
        return timeline.at(on) if timeline is not None else None

    def rate(self, currency: str, on: date) -> Decimal:
        if currency == self.target:
            return Decimal(1)
        key = (currency, on)
        if key in self._cache:
            return self._cache[key]
        rate = self._pair(currency, self.target, on)
        if rate is None:
            for pivot in self._pivots:
                if pivot in (currency, self.target):
                    continue
                first, second = self._pair(currency, pivot, on), self._pair(pivot, self.target, on)
                if first is not None and second is not None:
                    rate = first * second
                    break
        if rate is None:
            raise MissingRate(currency, self.target, on)
        self._cache[key] = rate
        return rate

    def convert(self, amount: Decimal, currency: str, on: date) -> Decimal:
        """Unrounded: callers add many converted sums and round once at the end."""
        return amount * self.rate(currency, on)
