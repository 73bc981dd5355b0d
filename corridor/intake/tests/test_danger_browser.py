"""In Chromium: a call from a known provocateur cannot be missed."""

from __future__ import annotations

import pytest

from corridor.exposure.services import provocateur_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_provocateurs_call_shows_a_red_banner_at_the_top(browser, cast, screenshot):
    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw="+7 999 000-00-01")
    page = browser(user=cast.operator)
    page.goto("/staff/intake/record/")
    page.select_option("[name=channel]", "phone")
    page.fill("[name=what]", "Предлагает встретиться у вокзала")
    page.fill("[name=phone]", "8 999 000 00 01")
    with page.expect_navigation():
        page.click("form.card button.btn-primary")
    banner = page.locator(".danger-banner").first
    assert banner.is_visible()
    assert "Этот номер или ник в списке известных провокаторов" in banner.inner_text()
    colour = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(179, 38, 30)"
    assert banner.bounding_box()["y"] < 400, "above the fold"
    screenshot(page, "intake-provocateur-banner")
