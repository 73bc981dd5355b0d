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
