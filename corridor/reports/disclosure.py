"""Statistical disclosure control for everything Corridor publishes.

A published figure must never let a reader learn something about one person: that
"one man from village X reached Germany in March" is a death sentence for his
relatives. Three rules, applied to every public count:

* a publication delay (`publication_cutoff`): only whole months that ended at least
  `delay_days` ago are published, so no figure tracks a recent movement;
* small-cell suppression: a count below `threshold` is never shown, only
  "fewer than 10" — and, in a table, enough other cells are hidden as well
  ("not shown") that the hidden ones cannot be recovered by subtracting the
  published cells from the published total (secondary suppression);
* rounding: larger counts are rounded to a multiple of `rounding` ("about 45"),
  or, for headline figures, floored ("more than 40"), so differences between two
  reports cannot single out one person either.

Callers publish a table's total with `publish_count(sum(counts.values()), policy)`
(or `publish_total`); `publish_table` assumes that total is public when it decides
what else to hide.
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from django.utils.translation import gettext

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Policy:
    threshold: int = 10
    rounding: int = 5
    delay_days: int = 90

    def __post_init__(self) -> None:
        # A policy that would publish raw counts must be a deliberate code change,
        # not a stray setting: refuse nonsense loudly.
        if not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError("threshold must be a positive integer")
        if not isinstance(self.rounding, int) or self.rounding < 1:
            raise ValueError("rounding must be a positive integer")
        if not isinstance(self.delay_days, int) or self.delay_days < 0:
            raise ValueError("delay_days must be a non-negative integer")


@dataclass(frozen=True)
class Cell:
    """One published figure. `value` is None when suppressed; otherwise the rounded
    figure (nearest mode) or the lower bound (floor mode), fit for a chart."""

    value: int | None
    label: str
    suppressed: bool
    # True for a cell hidden only to protect a small neighbour (secondary
    # suppression): its label says "not shown", not "fewer than 10".
    secondary: bool = False


def _check(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"counts must be integers, not {type(n).__name__}")
    if n < 0:
        raise ValueError("counts cannot be negative")
    return n


def _fmt(n: int) -> str:
    # Thin spaces as thousands separators read well in both languages and are
    # unambiguous (a comma is a decimal mark in Russian).
    return f"{n:,}".replace(",", "\u202f")


def _ceil_to(n: int, step: int) -> int:
    return -(-n // step) * step


def _nearest(n: int, policy: Policy) -> int:
    r = policy.rounding
    value = ((n + r // 2) // r) * r
    # Never publish a figure below the threshold, even when the threshold is not a
    # multiple of the rounding base.
    return max(value, _ceil_to(policy.threshold, r))


def _floor_value(n: int, policy: Policy) -> tuple[int, bool]:
    """(bound, strict): the label says "more than bound" when strict, else
    "bound or more". The bottom band [threshold, first multiple above it] shares
    one label so that no label pins an exact count."""
    r = policy.rounding
    below = ((n - 1) // r) * r
    if below <= policy.threshold:
        return policy.threshold, False
    return below, True


def suppressed_cell(policy: Policy) -> Cell:
    return Cell(None, gettext("fewer than %(n)s") % {"n": _fmt(policy.threshold)}, True)


def hidden_cell() -> Cell:
    """A cell hidden only so that a small neighbour cannot be recovered."""
    return Cell(None, gettext("not shown"), True, secondary=True)


def publish_count(n: int, policy: Policy, *, floor: bool = False) -> Cell:
    """Publish one count. Below the threshold: suppressed ("fewer than 10").
    Otherwise rounded to the nearest multiple of `policy.rounding` ("about 45"), or
    with `floor=True` shown as a lower bound ("more than 40") — for headline figures
    where an understatement is the honest choice."""
    _check(n)
    if n < policy.threshold:
        return suppressed_cell(policy)
    if policy.rounding == 1:
        return Cell(n, _fmt(n), False)
    if floor:
        bound, strict = _floor_value(n, policy)
        if strict:
            return Cell(bound, gettext("more than %(n)s") % {"n": _fmt(bound)}, False)
        return Cell(bound, gettext("%(n)s or more") % {"n": _fmt(bound)}, False)
    value = _nearest(n, policy)
    return Cell(value, gettext("about %(n)s") % {"n": _fmt(value)}, False)


def publish_total(counts: Mapping[K, int], policy: Policy) -> Cell:
    """The total that goes with `publish_table(counts, policy)`."""
    return publish_count(sum(_check(n) for n in counts.values()), policy)


def bounds(cell: Cell, policy: Policy, *, uniform: bool = False) -> tuple[int, int | None]:
    """What a reader can infer about the true count behind one cell from its label
    alone: an inclusive range (upper None = unbounded). A "not shown" cell next to
    "fewer than 10" cells is known to be at least the threshold (else it would say
    "fewer than"); in a table where every cell is "not shown" (`uniform`) it could
    be anything. Used by `publish_table` and, as the attacker, by the tests."""
    if cell.suppressed:
        if cell.secondary:
            return (0 if uniform else policy.threshold), None
        return 0, policy.threshold - 1
    assert cell.value is not None
    r = policy.rounding
    if r == 1:
        return cell.value, cell.value
    low = cell.value - r // 2
    if cell.value == _ceil_to(policy.threshold, r):
        low = policy.threshold  # the lowest published value also stands for clamped counts
    return max(policy.threshold, low), cell.value - r // 2 + r - 1


def is_uniform(cells: Mapping[K, Cell]) -> bool:
    """True when every cell of the table is "not shown" (the last-resort form)."""
    return bool(cells) and all(c.secondary for c in cells.values())


def exposed_ranges(
    cells: Mapping[K, Cell], total: Cell, policy: Policy
) -> dict[K, tuple[int, int | None]]:
    """For each suppressed cell, the range a reader gets by subtracting the
    published cells (each within its rounding interval) from the published total,
    combined with what every label says."""
    uniform = is_uniform(cells)
    ranges = {k: bounds(c, policy, uniform=uniform) for k, c in cells.items()}
    t_lo, t_hi = bounds(total, policy)
    assert t_hi is not None  # a total is never "not shown"
    hidden = [k for k, c in cells.items() if c.suppressed]
    pub_lo = sum(ranges[k][0] for k in cells if not cells[k].suppressed)
    pub_hi = sum(ranges[k][1] or 0 for k in cells if not cells[k].suppressed)
    s_lo, s_hi = max(0, t_lo - pub_hi), t_hi - pub_lo  # the hidden cells' sum
    out: dict[K, tuple[int, int | None]] = {}
    for k in hidden:
        own_lo, own_hi = ranges[k]
        others = [ranges[j] for j in hidden if j != k]
        others_lo = sum(lo for lo, _ in others)
        unbounded = any(hi is None for _, hi in others)
        others_hi = 0 if unbounded else sum(hi or 0 for _, hi in others)
        lower = own_lo if unbounded else max(own_lo, s_lo - others_hi)
        upper = s_hi - others_lo if own_hi is None else min(own_hi, s_hi - others_lo)
        out[k] = (lower, upper)
    return out


def _protected(cells: Mapping[K, Cell], total: Cell, policy: Policy) -> bool:
    """True when no small cell can be narrowed below what "fewer than 10" already
    says: its range must still run from 0 to threshold - 1. In the all-"not shown"
    form every cell must still look as if it could be zero or above the threshold."""
    uniform = is_uniform(cells)
    for k, (lower, upper) in exposed_ranges(cells, total, policy).items():
        if cells[k].secondary and not uniform:
            continue  # known to be large already; hiding it only protects others
        if lower > 0 or (upper is not None and upper < policy.threshold - 1):
            return False
    return True


def publish_table(counts: Mapping[K, int], policy: Policy) -> dict[K, Cell]:
    """Publish a one-way table (e.g. people by stage, or by quarter) whose total is
    published too. Small cells are suppressed; if the total would then give them
    away, the smallest published cells are hidden as well until it cannot.

    The result keeps the order of `counts`.
    """
    for n in counts.values():
        _check(n)
    total = publish_total(counts, policy)
    cells = {k: publish_count(n, policy) for k, n in counts.items()}
    if _protected(cells, total, policy):
        return cells
    # Hide the smallest published cells first: that loses the least information.
    for k in sorted((k for k, c in cells.items() if not c.suppressed), key=lambda k: counts[k]):
        cells[k] = hidden_cell()
        if _protected(cells, total, policy):
            return cells
    # Everything is hidden and the labels still say too much (say, one small and
    # one cell of exactly the threshold): say nothing about any cell's size.
    return {k: hidden_cell() for k in counts}


def publication_cutoff(today: date, policy: Policy) -> date:
    """The first day that may NOT be published yet: events dated strictly before
    the returned date are publishable. It is the first day of the month containing
    `today - delay_days`, so only whole months are ever published and no figure
    moves day by day."""
    boundary = today - timedelta(days=policy.delay_days)
    return boundary.replace(day=1)


def last_published_month(today: date, policy: Policy) -> tuple[date, date]:
    """(first, last) day of the most recent month a report may include."""
    end = publication_cutoff(today, policy) - timedelta(days=1)
    return end.replace(day=1), end.replace(day=calendar.monthrange(end.year, end.month)[1])
