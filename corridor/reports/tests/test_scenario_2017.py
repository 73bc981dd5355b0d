"""The organisation's published 2017 figures come out of Corridor unchanged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from corridor.reports.transparency import build

pytestmark = pytest.mark.django_db


def test_the_2017_books_produce_the_published_totals(books_2017, programme_2017, report_day):
    report = build(books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=report_day)
    by_source = {row["key"]: Decimal(row["amount"]) for row in report["income"]["by_source"]}
    assert by_source == {"organisation": Decimal(170_000), "individual": Decimal(26_000)}
    assert Decimal(report["income"]["total"]) == Decimal(196_000)
    assert Decimal(report["spending"]["total"]) == Decimal(70_000)
    categories = {row["key"] for row in report["spending"]["by_category"]}
    assert {"housing", "medical", "psychological", "relocation", "security"} <= categories
    assert report["donors"]["organisations"] == sorted(
        ["Northern Lights Foundation", "Fonds Passage Libre", "Open Borders Trust", "Stiftung Regenbogenbrücke",
         "Harbour Relief Network"], key=str.casefold)
    assert "Quiet Help Foundation" not in str(report)
    months_total = sum(Decimal(m["total"]) for m in report["spending"]["months"])
    assert abs(months_total - Decimal(70_000)) <= len(report["spending"]["months"])


def test_the_2017_programme_figures_are_published_under_disclosure_control(books_2017, programme_2017,
                                                                          report_day):
    report = build(books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=report_day)
    labels = {row["key"]: row["label"]["en"] for row in report["programme"]["period"]}
    assert labels == {
        "contacted": "more than 85", "assisted": "more than 60", "left_region": "more than 45",
        "left_country": "10 or more", "asylum": "fewer than 10",
    }
    assert report["programme"]["period"][4]["value"] is None
    ru = {row["key"]: row["label"]["ru"] for row in report["programme"]["period"]}
    assert ru["contacted"] == "более 85" and ru["asylum"] == "менее 10"
