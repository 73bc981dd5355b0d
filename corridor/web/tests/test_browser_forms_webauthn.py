"""Security keys in Chromium, with the DevTools virtual authenticator standing in for
a USB key (WebAuthn.addVirtualAuthenticator over CDP): register a key, sign in with
it and no code, remove it after the code; administrators require keys by role and
remove a lost key. Under the production headers: the ceremony script is the page's
only script besides htmx, and the CSP allows no inline script."""

from __future__ import annotations

import pytest

from corridor.accounts.permissions import Role
from corridor.accounts.services import totp_device
from corridor.accounts.webauthn_models import SecurityKeyRequirement, WebAuthnCredential
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _relying_party(settings, live_server):
    settings.CORRIDOR_WEBAUTHN_RP_ID = "localhost"
    settings.CORRIDOR_WEBAUTHN_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _code(user) -> str:
    device = totp_device(user)
    from corridor.accounts.totp_store import code_now

    return code_now(device)


def virtual_key(page) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp, found["authenticatorId"]


def _password(page, user):
    page.goto("/staff/login/?lang=en")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "a long test password 1")
    with page.expect_navigation():
        page.click("button.btn-primary")
    assert "/staff/login/code/" in page.url


@submits("accounts:webauthn_register", "accounts:webauthn_sign_in", "accounts:webauthn_remove")
def test_a_staff_member_registers_a_key_signs_in_with_it_and_removes_it(forms, cast, screenshot):
    page = forms(user=_english(cast.alice))
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    cdp, authenticator = virtual_key(page)
    page.goto("/staff/security/keys/?lang=en")
    screenshot(page, "webauthn-keys-empty-en")
    submit(page, "/staff/security/keys/register/", {"name": "Blue key on my keyring"})
    assert "Security key added" in text(page) and "Blue key on my keyring" in text(page)
    key = WebAuthnCredential.objects.get(user=cast.alice)
    assert key.confirmed and key.name == "Blue key on my keyring"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost"
    screenshot(page, "webauthn-keys-one-en")

    # Sign out, and sign in again with the key instead of the code.
    with page.expect_navigation():
        page.click("header form[action='/staff/logout/'] button")
    _password(page, cast.alice)
    screenshot(page, "webauthn-second-factor-en")
    assert page.locator("input[name=code]").is_visible()  # the code stays beside the key
    submit(page, selector="form[data-webauthn]")
    assert page.url.endswith("/staff/") and page.locator("header.topbar").is_visible()
    key.refresh_from_db()
    assert key.last_used is not None
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_SIGNED_IN).count() == 1

    # Removing the key needs another factor now: the code from the app.
    page.goto("/staff/security/keys/?lang=en")
    with page.expect_navigation():
        page.click(f"a[href='/staff/security/keys/{key.public_id}/remove/']")
    screenshot(page, "webauthn-remove-en")
    submit(page, f"/staff/security/keys/{key.public_id}/remove/", {"code": _code(cast.alice)},
           selector="form:has(input[name=code])")
    # The session was signed in with that key, so it ends with it.
    assert "/staff/login/" in page.url
    assert not WebAuthnCredential.objects.exists()
    assert AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_REMOVED).data["proof"] == "totp"
    assert not violations, violations


@submits("accounts:webauthn_requirements", "accounts:webauthn_admin_remove")
def test_an_administrator_requires_keys_for_coordinators_and_removes_a_lost_one(forms, cast, screenshot):
    coordinator = forms(user=cast.coordinator)
    virtual_key(coordinator)
    coordinator.goto("/staff/security/keys/")
    submit(coordinator, "/staff/security/keys/register/", {"name": "ключ"})
    assert WebAuthnCredential.objects.filter(user=cast.coordinator).count() == 1

    admin = forms(user=_english(cast.admin))
    admin.goto("/staff/users/?lang=en")
    with admin.expect_navigation():
        admin.click("a[href='/staff/users/security-keys/']")
    submit(admin, "/staff/users/security-keys/", {"roles": [Role.ADMIN, Role.COORDINATOR]},
           selector="form:has(input[name=roles])")
    assert set(SecurityKeyRequirement.objects.values_list("role", flat=True)) == {"admin", "coordinator"}
    body = text(admin)
    assert "must still register a key" in body
    screenshot(admin, "webauthn-requirements-en")
    row = admin.locator("tr", has_text="cora")
    assert "complies" in row.inner_text()
    assert "ключ" not in body  # the owner's name for the key is theirs
    submit(admin, f"/staff/users/{cast.coordinator.pk}/security-keys/remove/",
           selector=f"form[action='/staff/users/{cast.coordinator.pk}/security-keys/remove/']")
    assert not WebAuthnCredential.objects.filter(user=cast.coordinator).exists()
    assert "no key yet" in admin.locator("tr", has_text="cora").inner_text()


def test_a_coordinator_made_to_use_a_key_signs_in_with_it_in_russian(browser, cast, screenshot):
    SecurityKeyRequirement.objects.create(organisation=cast.org, role=Role.COORDINATOR)
    page = browser()
    virtual_key(page)
    _password(page, cast.coordinator)
    page.fill("input[name=code]", _code(cast.coordinator))
    with page.expect_navigation():
        page.click("button.btn-primary")
    # Signed in with the code, but only the key page opens until a key is registered.
    page.goto("/staff/cases/?lang=ru")
    assert "/staff/security/keys/" in page.url
    screenshot(page, "webauthn-required-ru")
    page.fill("input[name=name]", "Рабочий ключ")
    with page.expect_navigation():
        page.click("form[data-webauthn] button")
    assert WebAuthnCredential.objects.filter(user=cast.coordinator).exists()
    with page.expect_navigation():
        page.click("header form[action='/staff/logout/'] button")
    _password(page, cast.coordinator)
    page.goto("/staff/login/code/?lang=ru")
    assert page.locator("input[name=code]").count() == 0
    screenshot(page, "webauthn-key-only-ru")
    with page.expect_navigation():
        page.click("form[data-webauthn] button")
    page.goto("/staff/cases/")
    assert page.url.endswith("/staff/cases/")


def test_without_javascript_the_code_still_works_and_no_key_button_shows(browser, cast):
    WebAuthnCredential.objects.create(user=cast.alice, name="k", credential_id="AAAA", public_key=b"x")
    page = browser(javascript=False)
    _password(page, cast.alice)
    assert not page.locator("form[data-webauthn]").is_visible()
    page.fill("input[name=code]", _code(cast.alice))
    with page.expect_navigation():
        page.click("button.btn-primary")
    assert page.url.endswith("/staff/")
