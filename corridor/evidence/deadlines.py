"""Deadlines for legal filings, above all the ECHR time limit (Article 35 § 1).

Since Protocol No. 15 (in force 1 August 2021, its Article 4 from 1 February 2022)
an application must reach the Court within four months of the final domestic
decision; before that it was six months, and Article 8 § 3 of the Protocol keeps
six months for final decisions taken before 1 February 2022.

The Court counts calendar months from the day after the final decision (in
practice, the day the applicant or their lawyer learnt of it), and the period ends
on the same day-number four months later, even on a weekend or holiday (Sabri
Güneş v. Turkey [GC], 2012). When that day does not exist (decision on 31 October:
there is no 31 February), Corridor takes the last day of that month: the earliest
date any reading allows, because a late application is lost for good.
"""

from __future__ import annotations

import calendar
from datetime import date

PROTOCOL_15_APPLIES_FROM = date(2022, 2, 1)
WARN_DAYS = 30
URGENT_DAYS = 7


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def echr_months(final_decision: date) -> int:
    return 4 if final_decision >= PROTOCOL_15_APPLIES_FROM else 6


def echr_time_limit(final_decision: date) -> date:
    """The last day on which an application may be lodged."""
    return add_months(final_decision, echr_months(final_decision))


def urgency(deadline: date, today: date) -> str:
    """"expired", "urgent" (a week or less), "soon" (a month or less) or "ok"."""
    left = (deadline - today).days
    if left < 0:
        return "expired"
    if left <= URGENT_DAYS:
        return "urgent"
    if left <= WARN_DAYS:
        return "soon"
    return "ok"
