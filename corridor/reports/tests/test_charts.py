"""Chart axes fit the data and write numbers as the tables beside them do."""

from __future__ import annotations

import re

from django.utils import translation

from corridor.reports.charts import Series, _ticks, lines, stacked


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)


def test_a_burn_down_of_a_1_2_million_budget_stops_near_1_2_million():
    ticks = _ticks(0, 1_200_000)
    assert ticks[-1] < 1_500_000 and ticks[0] == 0
    with translation.override("en"):
        svg = lines(["01", "02"], [Series("left", [1_200_000, 600_000])], title="t", desc="d", unit="USD")
    labels = _axis_labels(svg)
    assert "2,000,000" not in labels and "1,200,000" in labels


def test_axis_numbers_are_grouped_like_the_tables_in_each_language():
    with translation.override("en"):
        en = _axis_labels(stacked(["a"], [Series("x", [10_000])], title="t", desc="d", unit="USD"))
    with translation.override("ru"):
        ru = _axis_labels(stacked(["a"], [Series("x", [10_000])], title="t", desc="d", unit="USD"))
    assert "10,000" in en
    assert any(label.replace("\xa0", " ") == "10 000" for label in ru)


def test_negative_values_get_a_round_axis_below_zero():
    ticks = _ticks(-3_000, 1_200_000)
    assert ticks[0] < -3_000 and 0 in ticks
