"""Sums of the books, converted at each transaction's date.

Aggregation runs in the database: one GROUP BY over (the caller's keys, currency,
date) sums integer minor units exactly, and only the groups — at most one per
day, currency and key — are converted in Python at that day's rate. Converting a
day's sum equals summing the day's converted amounts, so nothing is lost, and a
million rows cost one indexed scan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, QuerySet, Sum

from corridor.funds.models import Donation, Expense
from corridor.funds.money import from_minor
from corridor.funds.rates import RateBook


@dataclass
class Group:
    amount: Decimal = Decimal(0)
    count: int = 0


@dataclass
class Sums:
    currency: str
    groups: dict[tuple, Group] = field(default_factory=lambda: defaultdict(Group))

    def total(self) -> Decimal:
        return sum((g.amount for g in self.groups.values()), Decimal(0))

    def by(self, index: int) -> dict:
        out: dict = defaultdict(Decimal)
        for key, group in self.groups.items():
            out[key[index]] += group.amount
        return dict(out)


def converted(queryset: QuerySet, keys: list[str], book: RateBook) -> Sums:
    rows = (queryset.order_by().values(*keys, "currency", "date")
            .annotate(total=Sum("amount_minor"), n=Count("*")))
    sums = Sums(book.target)
    for row in rows.iterator(chunk_size=10_000):
        amount = book.convert(from_minor(row["total"], row["currency"]), row["currency"], row["date"])
        group = sums.groups[tuple(row[k] for k in keys)]
        group.amount += amount
        group.count += row["n"]
    return sums


def donations_in(organisation, start: date, end: date) -> QuerySet:
    """Donations dated in the months start..end (both first days of months)."""
    return Donation.objects.filter(organisation=organisation, month__gte=start, month__lte=end)


def spending_in(organisation, start: date, end: date) -> QuerySet:
    """Approved spending only: a pending or rejected expense is not money spent."""
    return Expense.objects.filter(organisation=organisation, month__gte=start, month__lte=end,
                                  status=Expense.Status.APPROVED)


def whole(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
