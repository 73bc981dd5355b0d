"""The sign-in safety forms in Chromium: duress passphrase, duress sign-in, lifting a
restriction, recovery codes, the two-administrator reset and self re-enrolment."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts import duress, totp_store
from corridor.accounts.services import totp_device
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long test password 1"
DURESS = "the river is quiet tonight"


def _code(user) -> str:
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    return totp_store.code_now(totp_device(user))


def _sign_in(page, username: str, secret: str, user) -> None:
    page.goto("/staff/login/")
    submit(page, selector="main form[method=post]", values={"username": username, "password": secret})
    submit(page, selector="main form[method=post]", values={"code": _code(user)})


@submits("accounts:duress_set", "accounts:duress_remove")
def test_a_staff_member_sets_and_removes_a_duress_passphrase(forms, cast, screenshot):
    page = forms(user=cast.alice)
    page.goto("/staff/security/")
    submit(page, "/staff/security/duress/", {"duress-current": PASSWORD, "duress-passphrase": DURESS,
                                             "duress-repeat": DURESS})
    screenshot(page, "security-duress-set-ru")
    assert duress.DuressPassphrase.objects.get(user=cast.alice).passphrase
    assert "Тревожная фраза сохранена" in text(page)
    submit(page, "/staff/security/duress/remove/")
    assert not duress.DuressPassphrase.objects.get(user=cast.alice).passphrase


@submits("accounts:user_duress_lift")
def test_a_forced_sign_in_looks_normal_and_an_administrator_lifts_the_restriction(forms, cast, screenshot):
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    page = forms(javascript=False)
    _sign_in(page, "alice", DURESS, cast.alice)
    assert page.url.endswith("/staff/")
    assert page.locator("header.topbar").is_visible()
    screenshot(page, "duress-dashboard-ru")
    page.goto("/staff/cases/")
    assert "Для вашей роли здесь пока ничего нет" in text(page)
    assert AuditEntry.objects.filter(code=CoreEvent.DURESS_SIGN_IN).count() == 1

    admin = forms(user=cast.admin)
    admin.goto("/staff/")
    assert "под принуждением" in text(admin)
    admin.goto(f"/staff/users/{cast.alice.pk}/")
    screenshot(admin, "duress-restricted-user-ru")
    submit(admin, f"/staff/users/{cast.alice.pk}/lift-restriction/")
    assert not duress.is_restricted(cast.alice)


@submits("accounts:recovery_codes", "accounts:recovery_login")
def test_recovery_codes_are_shown_once_and_one_signs_in_after_a_lost_phone(forms, cast, screenshot):
    from corridor.accounts import recovery

    page = forms(user=cast.alice)
    page.goto("/staff/security/")
    submit(page, "/staff/security/recovery-codes/", {"codes-current": PASSWORD})
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    screenshot(page, "recovery-codes-ru")
    assert len(codes) == 10 and recovery.unused_count(cast.alice) == 10
    lost = forms(javascript=False)
    lost.goto("/staff/login/")
    submit(lost, selector="main form[method=post]", values={"username": "alice", "password": PASSWORD})
    with lost.expect_navigation():
        lost.click("a[href^='/staff/login/recovery/']")
    screenshot(lost, "recovery-login-ru")
    submit(lost, selector="main form[method=post]", values={"code": codes[0]})
    assert lost.locator("img.qr").is_visible()  # a new authenticator, now
    submit(lost, selector="main form[method=post]", values={"code": _code(cast.alice)})
    assert lost.url.endswith("/staff/") and recovery.unused_count(cast.alice) == 9


@submits("accounts:totp_replace_start", "accounts:totp_replace")
def test_a_staff_member_replaces_their_authenticator_app(forms, cast, screenshot):
    from corridor.accounts import recovery

    page = forms(user=cast.alice)
    page.goto("/staff/security/")
    submit(page, "/staff/security/authenticator/new/", {"replace-current": PASSWORD})
    assert page.locator("img.qr").is_visible()
    screenshot(page, "authenticator-replace-ru")
    new = recovery.totp_replacement(cast.alice)
    submit(page, selector="main form[method=post]:not([action])", values={"code": totp_store.code_now(new)})
    assert page.url.endswith("/staff/security/")
    assert list(TOTPDevice.objects.filter(user=cast.alice).values_list("pk", flat=True)) == [new.pk]


@submits("accounts:factor_reset_cancel", "accounts:factor_reset_approve")
def test_one_administrator_asks_for_a_reset_and_another_approves(forms, cast, screenshot):
    from corridor.accounts import services

    second, device = services.user_create(actor="system:test", organisation=cast.org, username="abe",
                                          role="admin", password=PASSWORD)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    first = forms(user=cast.admin)
    first.goto(f"/staff/users/{cast.alice.pk}/")
    submit(first, f"/staff/users/{cast.alice.pk}/reset-totp/")
    reset = recovery_reset(cast.alice)
    submit(first, f"/staff/resets/{reset.pk}/cancel/")
    submit(first, f"/staff/users/{cast.alice.pk}/reset-totp/")
    assert first.locator(f"form[action='/staff/resets/{recovery_reset(cast.alice).pk}/approve/']").count() == 0
    assert totp_device(cast.alice).confirmed
    other = forms(user=second)
    other.goto(f"/staff/users/{cast.alice.pk}/")
    screenshot(other, "factor-reset-approve-ru")
    submit(other, f"/staff/resets/{recovery_reset(cast.alice).pk}/approve/")
    assert not totp_device(cast.alice).confirmed


def recovery_reset(user):
    from corridor.accounts import recovery

    return recovery.open_reset(user)
