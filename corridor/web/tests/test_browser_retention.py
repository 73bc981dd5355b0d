"""The administrators' retention page in Chromium, under the production headers."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_reads_what_retention_will_erase(browser, cast, screenshot):
    page = browser(user=cast.admin)
    page.goto("/staff/")
    with page.expect_navigation():
        page.click("a[href='/staff/retention/']")
    assert page.url.endswith("/staff/retention/")
    assert page.locator("#rule-closed_cases").count() == 1
    assert page.locator("tbody tr").count() == 5
    screenshot(page, "retention-page")
