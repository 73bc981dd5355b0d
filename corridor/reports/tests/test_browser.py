"""The public report in Chromium with JavaScript off, in both languages (screenshots
go to test-artifacts/screenshots/ for review)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from corridor.reports.tests.conftest import FUNNEL_2017, make_cases

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(cast):
    """The 2017 report, published without closing the months: a live-server test
    ends with a table flush, which the closed-month triggers would rightly refuse."""
    from corridor.funds.demo import scenario_2017
    from corridor.reports.models import Publication
    from corridor.reports.pdf import render_pdf
    from corridor.reports.services import digest_of
    from corridor.reports.transparency import build

    scenario_2017(cast.org, actor=cast.finance, approver=cast.finance2, rng=random.Random(2017), close=False)
    make_cases(cast.org, FUNNEL_2017)
    snapshot = build(cast.org, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD",
                     today=date(2018, 6, 1))
    digest = digest_of(snapshot)
    return Publication.objects.create(
        organisation=cast.org, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", data=snapshot,
        digest=digest, pdf_ru=render_pdf(snapshot, "ru", digest=digest), pdf_en=render_pdf(snapshot, "en", digest=digest))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_public_report_without_javascript(browser, screenshot, published, lang):
    page = browser(javascript=False)
    response = page.goto(f"/transparency/?lang={lang}")
    assert response.status == 200
    heading = page.locator("h1").inner_text()
    assert heading == ("Отчёт о прозрачности 2017" if lang == "ru" else "Transparency report 2017")
    assert page.locator("svg[role=img]").count() == 4
    assert page.context.cookies() == []
    screenshot(page, f"transparency-report-{lang}")
    page.goto(f"/transparency/campaigns/?lang={lang}")
    assert page.locator(".t-campaign").count() == 4
    screenshot(page, f"transparency-campaigns-{lang}")
