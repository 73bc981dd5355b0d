"""Disclosure control: properties that must hold for every table and policy.

The attacker in these tests is independent of `publish_table`'s own check: it
derives what each label allows from `publish_count` alone and enumerates every
table consistent with what was published.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from corridor.reports.disclosure import (
    Cell,
    Policy,
    bounds,
    exposed_ranges,
    is_uniform,
    last_published_month,
    publication_cutoff,
    publish_count,
    publish_table,
    publish_total,
)

policies = st.builds(
    Policy,
    threshold=st.integers(1, 25),
    rounding=st.integers(1, 12),
    delay_days=st.integers(0, 400),
)
counts = st.integers(0, 5000)
tables = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=2), st.integers(0, 300), max_size=10)


def _max_error(policy: Policy) -> int:
    ceil_threshold = -(-policy.threshold // policy.rounding) * policy.rounding
    return max(policy.rounding // 2, ceil_threshold - policy.threshold)


@given(counts, policies)
def test_a_count_below_the_threshold_is_never_published(n, policy):
    cell = publish_count(n, policy)
    assert cell.suppressed == (n < policy.threshold)
    if cell.suppressed:
        assert cell.value is None
    else:
        assert cell.value is not None and cell.value >= policy.threshold


@given(counts, policies)
def test_a_rounded_count_stays_close_and_its_label_is_true(n, policy):
    assume(n >= policy.threshold)
    cell = publish_count(n, policy)
    assert cell.value % policy.rounding == 0 or cell.value == policy.threshold or policy.rounding == 1 \
        or cell.value == -(-policy.threshold // policy.rounding) * policy.rounding
    assert abs(cell.value - n) <= _max_error(policy)
    low, high = bounds(cell, policy)
    assert low <= n <= high


@given(counts, policies)
def test_a_floored_count_never_overstates(n, policy):
    assume(n >= policy.threshold)
    cell = publish_count(n, policy, floor=True)
    assert not cell.suppressed
    assert policy.threshold <= cell.value <= n
    assert n - cell.value <= policy.rounding + policy.threshold


@given(st.integers(10, 2000))
def test_floored_labels_say_more_than(n):
    with translation.override("en"):
        label = publish_count(n, Policy(), floor=True).label
    assert label.startswith("more than ") or label == "10 or more"
    if label.startswith("more than "):
        assert n > int(label.removeprefix("more than ").replace("\u202f", ""))


def test_the_issue_examples():
    policy = Policy()
    with translation.override("en"):
        assert publish_count(3, policy) == Cell(None, "fewer than 10", True)
        assert publish_count(0, policy).label == "fewer than 10"
        assert publish_count(43, policy, floor=True).label == "more than 40"
        assert publish_count(44, policy).label == "about 45"
        assert publish_count(12, policy).value == 10
        assert publish_count(150, policy, floor=True).label == "more than 145"


def test_labels_are_translated():
    with translation.override("ru"):
        assert publish_count(3, Policy()).label == "менее 10"
        assert publish_count(43, Policy(), floor=True).label == "более 40"
        assert publish_count(44, Policy()).label == "около 45"


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_bad_counts_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        publish_count(bad, Policy())


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"rounding": 0}, {"delay_days": -1}])
def test_a_policy_that_would_publish_raw_counts_is_refused(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


@given(tables, policies)
@example({"a": 1, "b": 50}, Policy())
@example({"a": 9, "b": 9, "c": 50}, Policy())
@example({"a": 1, "b": 10}, Policy())
@example({"a": 0, "b": 50, "c": 60}, Policy())
def test_no_published_cell_is_below_the_threshold_and_every_label_is_true(table, policy):
    cells = publish_table(table, policy)
    assert list(cells) == list(table)
    uniform = is_uniform(cells)
    for key, n in table.items():
        cell = cells[key]
        if n < policy.threshold:
            assert cell.suppressed
        if not cell.suppressed:
            assert cell.value >= policy.threshold
        low, high = bounds(cell, policy, uniform=uniform)
        assert low <= n and (high is None or n <= high)


@given(tables, policies)
def test_totals_stay_consistent_under_the_rounding_rules(table, policy):
    cells = publish_table(table, policy)
    total = publish_total(table, policy)
    true_total = sum(table.values())
    t_low, t_high = bounds(total, policy)
    assert t_low <= true_total <= t_high
    published = [c.value for c in cells.values() if not c.suppressed]
    if len(published) == len(table) and table:
        # Nothing hidden: the cells add up to the total within the rounding errors.
        assert abs(sum(published) - total.value) <= _max_error(policy) * (len(table) + 1)


@given(tables, policies)
@example({"a": 1, "b": 50}, Policy())
@example({"a": 9, "b": 9, "c": 50}, Policy())
@example({"a": 0, "b": 50, "c": 60}, Policy())
def test_the_total_never_narrows_a_suppressed_cell(table, policy):
    cells = publish_table(table, policy)
    total = publish_total(table, policy)
    uniform = is_uniform(cells)
    for key, (low, high) in exposed_ranges(cells, total, policy).items():
        if cells[key].secondary and not uniform:
            continue
        assert low == 0
        assert high is None or high >= policy.threshold - 1


def _preimage(cell: Cell, policy: Policy, limit: int) -> set[int]:
    """Every count that `publish_count` would have shown this way."""
    return {m for m in range(limit + 1) if publish_count(m, policy) == cell}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=3), st.sampled_from(
    [Policy(), Policy(threshold=5, rounding=3), Policy(threshold=3, rounding=1), Policy(threshold=7, rounding=5)]))
def test_brute_force_subtraction_cannot_recover_a_small_cell(values, policy):
    table = dict(enumerate(values))
    cells = publish_table(table, policy)
    total = publish_total(table, policy)
    limit = sum(values) + 2 * policy.rounding + policy.threshold
    totals = _preimage(total, policy, limit)
    uniform = is_uniform(cells)
    options = []
    for cell in cells.values():
        if not cell.suppressed:
            options.append(_preimage(cell, policy, limit))
        elif cell.secondary:
            options.append(set(range(0 if uniform else policy.threshold, limit + 1)))
        else:
            options.append(set(range(policy.threshold)))
    feasible = [set() for _ in values]
    for combo in itertools.product(*options):
        if sum(combo) in totals:
            for i, v in enumerate(combo):
                feasible[i].add(v)
    for i, cell in cells.items():
        assert values[i] in feasible[i]
        if cell.suppressed and (uniform or not cell.secondary):
            assert 0 in feasible[i]
            assert max(feasible[i]) >= policy.threshold - 1


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), policies)
def test_the_publication_cutoff_is_a_whole_month_after_the_delay(today, policy):
    cutoff = publication_cutoff(today, policy)
    assert cutoff.day == 1
    assert cutoff <= today - timedelta(days=policy.delay_days)
    assert (today - timedelta(days=policy.delay_days)) - cutoff < timedelta(days=31)
    first, last = last_published_month(today, policy)
    assert first.day == 1 and last < cutoff and last + timedelta(days=1) == cutoff


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)), policies)
def test_the_cutoff_never_moves_backwards(today, policy):
    assert publication_cutoff(today + timedelta(days=1), policy) >= publication_cutoff(today, policy)


def test_the_default_cutoff_is_three_months_back():
    assert publication_cutoff(date(2018, 6, 15), Policy()) == date(2018, 3, 1)


def test_russian_months_are_lower_case_mid_sentence():
    from datetime import date

    from django.utils import translation

    from corridor.reports.presentation import period_label

    with translation.override("ru"):
        assert period_label(date(2025, 9, 1), date(2026, 8, 1)) == "сентябрь 2025 г. – август 2026 г."
        assert period_label(date(2025, 9, 1), date(2025, 9, 1)) == "сентябрь 2025 г."
    with translation.override("en"):
        assert period_label(date(2025, 9, 1), date(2026, 8, 1)) == "September 2025 – August 2026"
