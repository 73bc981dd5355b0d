"""Erasing a person in Chromium: one coordinator asks on the confirmation page,
another approves from the erasures list. Screenshots: test-artifacts/screenshots/erasure-*.png."""

from __future__ import annotations

import pytest

from corridor.cases.models import ErasureRequest, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REASON = "She asked in writing that we delete everything about her."


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_a_coordinator_asks_and_another_approves_in_the_browser(cast, make_case, browser, screenshot):
    case = make_case(cast.org, worker=cast.alice, phone="+79281234567")
    page = browser(user=_english(cast.coordinator))
    page.goto(f"/staff/cases/{case.code}/")
    page.get_by_role("link", name="Erase…").click()
    page.wait_for_url(f"**/{case.code}/erase/")
    plan = page.locator("#erasure-plan")
    assert case.person.code in plan.inner_text() and "cannot be undone" in plan.inner_text()
    page.fill("textarea[name=reason]", REASON)
    # Without "I understand" the form comes back and nothing is asked.
    page.get_by_role("button", name="Ask for approval to erase").click()
    page.wait_for_load_state()
    assert not ErasureRequest.objects.exists()
    page.check("input[name=confirm]")
    screenshot(page, "erasure-01-request")
    page.get_by_role("button", name="Ask for approval to erase").click()
    page.wait_for_url("**/erasures/")
    assert "Waiting for a second person" in page.content()
    assert page.get_by_role("button", name="Approve and erase").count() == 0  # not for the asker

    other = browser(user=_english(cast.coordinator2))
    other.goto("/staff/cases/erasures/")
    assert REASON in other.content()
    screenshot(other, "erasure-02-approve")
    other.get_by_role("button", name="Approve and erase").click()
    other.wait_for_load_state()
    assert "Erased." in other.content()
    assert Person.objects.get(pk=case.person.pk).erased is not None
    screenshot(other, "erasure-03-done")
