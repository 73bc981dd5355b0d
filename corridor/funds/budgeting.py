"""Budget burn-down: what a budget has left, month by month, against an even pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from corridor.funds.ledger import cents, converted, spending_in
from corridor.funds.models import Budget
from corridor.funds.rates import MissingRate, RateBook


@dataclass
class Month:
    month: date
    spent: Decimal
    cumulative: Decimal
    remaining: Decimal
    pace: Decimal  # what would remain at an even rate of spending


@dataclass
class Burndown:
    budget: Budget
    months: list[Month]
    spent: Decimal
    remaining: Decimal
    error: MissingRate | None = None

    @property
    def percent(self) -> int:
        total = self.budget.money.amount
        return int(min(Decimal(999), self.spent * 100 / total)) if total else 0

    @property
    def over(self) -> bool:
        return self.remaining < 0


def months_between(start: date, end: date) -> list[date]:
    out, m = [], start
    while m <= end:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def burndown(budget: Budget, *, today: date | None = None) -> Burndown:
    total = budget.money.amount
    months = months_between(budget.start, budget.end)
    qs = spending_in(budget.organisation_id, budget.start, budget.end).filter(category=budget.category)
    try:
        sums = converted(qs, ["month"], RateBook(budget.organisation_id, budget.currency)).by(0)
    except MissingRate as exc:
        return Burndown(budget, [], Decimal(0), total, error=exc)
    rows, cumulative = [], Decimal(0)
    for i, m in enumerate(months, start=1):
        if today is not None and m > today:
            break
        spent = cents(sums.get(m, Decimal(0)))
        cumulative += spent
        rows.append(Month(m, spent, cumulative, total - cumulative, cents(total - total * i / len(months))))
    return Burndown(budget, rows, cumulative, total - cumulative)
