"""Currency conversion at the rate of each transaction's date.

A rate "1 EUR = 98.5 RUB on 2017-03-01" holds from its date until the next rate of
the same pair; a transaction uses the latest rate on or before its own date. A
pair may be entered either way round (EUR→USD or USD→EUR); there is no silent
triangulation through a third currency, so every converted figure can be traced to
a rate someone typed in. A missing rate is an error that names what to enter.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Q
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


class RateBook:
    """All rates an organisation has into one target currency, loaded in one query."""

    def __init__(self, organisation, target: str, *, currencies: Iterable[str] | None = None) -> None:
        self.target = target
        wanted = Q(quote=target) | Q(currency=target)
        rows = ExchangeRate.objects.filter(wanted, organisation=organisation)
        if currencies is not None:
            others = set(currencies) - {target}
            rows = rows.filter(Q(currency__in=others) | Q(quote__in=others))
        timelines: dict[str, dict[date, Decimal]] = {}
        inverse: dict[str, dict[date, Decimal]] = {}
        for currency, quote, day, rate in rows.values_list("currency", "quote", "date", "rate"):
            if quote == target and currency != target:
                timelines.setdefault(currency, {})[day] = Decimal(rate)
            elif currency == target and quote != target:
                inverse.setdefault(quote, {})[day] = Decimal(1) / Decimal(rate)
        for currency, points in inverse.items():
            merged = timelines.setdefault(currency, {})
            for day, rate in points.items():
                merged.setdefault(day, rate)  # a rate entered in the target's direction wins
        self._dates = {c: sorted(points) for c, points in timelines.items()}
        self._rates = {c: [timelines[c][d] for d in self._dates[c]] for c in timelines}

    def rate(self, currency: str, on: date) -> Decimal:
        if currency == self.target:
            return Decimal(1)
        dates = self._dates.get(currency)
        if not dates:
            raise MissingRate(currency, self.target, on)
        i = bisect_right(dates, on) - 1
        if i < 0:
            raise MissingRate(currency, self.target, on)
        return self._rates[currency][i]

    def convert(self, amount: Decimal, currency: str, on: date) -> Decimal:
        """Unrounded: callers add many converted sums and round once at the end."""
        return amount * self.rate(currency, on)
