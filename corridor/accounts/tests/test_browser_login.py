from __future__ import annotations

import pytest

from corridor.accounts import totp_store
from corridor.accounts.services import totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(user) -> str:
    device = totp_device(user)
    return totp_store.code_now(device)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_staff_member_signs_in_with_password_and_code(browser, cast, screenshot, lang):
    page = browser(javascript=False)
    page.goto(f"/staff/login/?lang={lang}")
    screenshot(page, f"staff-login-{lang}")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "a long test password 1")
    page.click("button.btn-primary")
    screenshot(page, f"staff-after-password-{lang}")
    assert "/staff/login/code/" in page.url
    page.fill("input[name=code]", _code(cast.alice))
    page.click("button.btn-primary")
    assert page.url.endswith("/staff/")
    page.goto(f"/staff/?lang={lang}")
    screenshot(page, f"staff-dashboard-{lang}")
    assert page.locator("header.topbar").is_visible()


def test_the_authenticator_enrolment_page_shows_a_scannable_code(browser, org, screenshot):
    from corridor.accounts.services import user_create

    user_create(actor="system:test", organisation=org, username="newcomer", role="case_worker",
                password="a long test password 2")
    page = browser(javascript=False)
    page.goto("/staff/login/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", "a long test password 2")
    page.click("button.btn-primary")
    image = page.locator("img.qr")
    assert image.is_visible()
    box = image.bounding_box()
    assert box["width"] >= 150 and box["height"] >= 150
    screenshot(page, "staff-enrol-ru")
