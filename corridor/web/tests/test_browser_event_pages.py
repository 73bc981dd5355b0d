"""The violation events list in Chromium: Next and Previous walk it by keyset,
undated events last."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lawyer_pages_through_the_violation_events(browser, cast, screenshot):
    from corridor.evidence import services

    for n in range(53):
        services.violation_create(actor=cast.legal, title=f"event {n:02d}",
                                  starts=None if n < 3 else date(2019, 1, 1) + timedelta(days=n))
    page = browser(user=cast.legal)
    page.goto("/staff/evidence/events/")
    titles = page.locator("tbody tr td:nth-child(2)")
    first = titles.all_inner_texts()
    assert len(first) == 50 and first[:2] == ["event 52", "event 51"]  # the latest date first
    assert page.locator("a[rel=prev]").count() == 0
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert "after=" in page.url
    # the undated ones, after every dated one, newest record first
    assert titles.all_inner_texts() == ["event 02", "event 01", "event 00"]
    assert page.locator("a[rel=next]").count() == 0
    screenshot(page, "violation-events-second-page")
    with page.expect_navigation():
        page.click("a[rel=prev]")
    assert "before=" in page.url
    assert titles.all_inner_texts() == first
