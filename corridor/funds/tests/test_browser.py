"""The staff funds pages in Chromium (screenshots for review)."""

from __future__ import annotations

import random
from datetime import date

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def books(cast):
    from corridor.funds.demo import scenario_2017
    from corridor.funds.services import budget_create, expense_record

    scenario_2017(cast.org, actor=cast.finance, approver=cast.finance2, rng=random.Random(7), close=False)
    budget_create(actor=cast.finance, organisation=cast.org, category="housing", start=date(2017, 4, 1),
                  end=date(2017, 12, 1), amount="24000", currency="USD")
    return expense_record(actor=cast.finance2, organisation=cast.org, date=date(2017, 12, 28), amount="150000",
                          currency="RUB", category="relocation", payee="Night driver")


def test_the_funds_pages_for_a_finance_officer(browser, screenshot, cast, books):
    page = browser(javascript=False, user=cast.finance)
    page.goto("/staff/funds/")
    assert page.locator("h1").inner_text() == "Финансы"
    screenshot(page, "funds-overview-ru")
    page.goto(f"/staff/funds/expenses/{books.pk}/")
    screenshot(page, "funds-expense-approval-ru")
    assert page.locator("form[action$='/approve/'] button").count() == 1
    page.goto("/staff/funds/budgets/")
    page.get_by_role("link", name="Жильё").first.click()
    assert page.locator("svg.chart").count() == 1
    screenshot(page, "funds-budget-burndown-ru")
    page.goto("/staff/funds/expenses/?month=2017-11")
    screenshot(page, "funds-expenses-ru")
