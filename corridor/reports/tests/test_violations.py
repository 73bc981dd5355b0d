"""Public violation statistics: counts only, under disclosure control, in both
languages and in the PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from corridor.evidence.tests.conftest import ensure_shipped_data, term
from corridor.reports.pdf import render_pdf
from corridor.reports.presentation import present
from corridor.reports.transparency import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def violations_2017(cast, books_2017):
    from corridor.evidence import services as s

    ensure_shipped_data()
    for i in range(14):
        event = s.violation_create(actor=cast.legal, title=f"Event {i}", starts=date(2017, 2 + i % 9, 1))
        s.act_add(actor=cast.legal, event=event, act_type=term("arbitrary_detention"), victim_label="a man")
        if i < 12:
            s.act_add(actor=cast.legal, event=event, act_type=term("torture"), victim_label="a man")
    # One disappearance: a small cell, never shown as a number.
    s.act_add(actor=cast.legal, event=event, act_type=term("enforced_disappearance"), victim_label="a man")
    # Outside the period.
    s.violation_create(actor=cast.legal, title="Later", starts=date(2018, 3, 1))
    return books_2017


def test_events_and_acts_are_published_as_bounds_with_small_cells_hidden(violations_2017, report_day):
    report = build(violations_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD",
                   today=report_day)
    v = report["violations"]
    assert v["events"]["label"]["en"] == "10 or more"
    assert v["acts"]["label"]["en"] == "more than 25"
    by_type = {row["key"]: row for row in v["by_type"]}
    assert by_type["enforced_disappearance"]["suppressed"] and by_type["enforced_disappearance"]["value"] is None
    assert by_type["arbitrary_detention"]["label"]["ru"] in ("около 15", "не показано")
    assert "Event" not in str(report) and "a man" not in str(report)


def test_the_page_and_the_pdf_show_them_in_both_languages(violations_2017, report_day):
    report = build(violations_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD",
                   today=report_day)
    ru = present(report, "ru")
    assert ru["violations"]["by_type"] and all(r["label"] for r in ru["violations"]["by_type"])
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDF")
    for lang, heading in (("ru", "Задокументированные нарушения"), ("en", "Documented violations")):
        pdf = render_pdf(report, lang, digest="0" * 64)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert heading in text


def test_reports_published_before_violations_existed_still_render(books_2017, report_day):
    report = build(books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=report_day)
    del report["violations"]
    assert present(report, "en")["violations"] is None
    assert render_pdf(report, "en", digest="0" * 64).startswith(b"%PDF")
