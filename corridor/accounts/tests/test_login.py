from __future__ import annotations

import time

import pytest
from django.urls import reverse

from corridor.accounts import totp_store
from corridor.accounts.models import LoginThrottle
from corridor.accounts.services import totp_device
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "a long test password 1"


def _code(user, at: float | None = None) -> str:
    return totp_store.code_now(totp_device(user), at)


def _password_step(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_needs_password_then_code(client, cast):
    response = _password_step(client, "alice")
    assert response.status_code == 302 and response.url == reverse("accounts:code")
    assert client.get("/staff/").status_code == 302  # not signed in yet
    response = client.post(reverse("accounts:code"), {"code": _code(cast.alice)})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert AuditEntry.objects.filter(code=CoreEvent.LOGIN_SUCCEEDED).count() == 1


def test_the_session_key_rotates_at_login(client, cast):
    client.get(reverse("accounts:login"))
    _password_step(client, "alice")
    before = client.session.session_key
    client.post(reverse("accounts:code"), {"code": _code(cast.alice)})
    assert client.session.session_key != before


def test_a_replayed_code_is_refused(client, cast, staff_client):
    code = _code(cast.alice)
    _password_step(client, "alice")
    assert client.post(reverse("accounts:code"), {"code": code}).status_code == 302
    other = client.__class__()
    _password_step(other, "alice")
    response = other.post(reverse("accounts:code"), {"code": code})
    assert response.status_code == 200
    assert "not right" in response.content.decode() or "неверн" in response.content.decode().lower()
    assert other.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(code=CoreEvent.TOTP_REPLAY_REFUSED).exists()


def test_a_wrong_password_and_an_unknown_user_look_the_same(client, cast):
    wrong = _password_step(client, "alice", "not the password at all")
    unknown = _password_step(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().replace("alice", "").replace("nobody-here", "")  # noqa: E731
    assert strip(wrong).split("<form")[1].split("csrfmiddlewaretoken")[0] == strip(unknown).split("<form")[1].split("csrfmiddlewaretoken")[0]


def test_failures_lock_the_account_name_without_storing_addresses(client, cast, settings):
    settings.CORRIDOR_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _password_step(client, "alice", "wrong password here")
    # Even the right password is refused while locked.
    assert _password_step(client, "alice").status_code == 200
    row = LoginThrottle.objects.get()
    assert "alice" not in row.key and len(row.key) == 64
    field_names = {f.name for f in LoginThrottle._meta.get_fields()}
    assert not field_names & {"ip", "address", "user_agent", "remote_addr"}


def test_unknown_names_are_throttled_too(client, db, settings):
    settings.CORRIDOR_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        _password_step(client, "ghost", "whatever password")
    assert LoginThrottle.objects.get().locked_until is not None


def test_wrong_codes_count_as_failures(client, cast, settings):
    settings.CORRIDOR_LOGIN_MAX_FAILURES = 2
    _password_step(client, "alice")
    client.post(reverse("accounts:code"), {"code": "000000"})
    client.post(reverse("accounts:code"), {"code": "000001"})
    response = client.post(reverse("accounts:code"), {"code": _code(cast.alice)})
    # locked: the code step alone no longer signs in; password and code go together
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert client.get("/staff/").status_code == 302


def test_first_login_enrols_the_authenticator(client, org):
    from corridor.accounts.services import user_create

    user, device = user_create(actor="system:test", organisation=org, username="newbie", role="case_worker",
                               password=PASSWORD)
    _password_step(client, "newbie")
    page = client.get(reverse("accounts:code")).content.decode()
    assert "data:image/svg+xml;base64," in page
    client.post(reverse("accounts:code"), {"code": _code(user)})
    device.refresh_from_db()
    assert device.confirmed


def test_end_all_sessions_signs_out_every_device(cast, staff_client):
    laptop, phone = staff_client(cast.alice), staff_client(cast.alice)
    assert phone.get("/staff/").status_code == 200
    laptop.post(reverse("accounts:end_sessions"))
    assert phone.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 302


def test_the_absolute_session_limit_is_enforced(cast, staff_client, settings):
    c = staff_client(cast.alice)
    session = c.session
    session["auth_time"] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert c.get("/staff/").status_code == 302


def test_the_idle_timeout_is_thirty_minutes_and_cookies_are_strict(settings, cast, client):
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_COOKIE_SAMESITE == "Strict"
    _password_step(client, "alice")
    response = client.post(reverse("accounts:code"), {"code": _code(cast.alice)})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "Strict" and cookie["httponly"]


def test_a_password_without_a_verified_second_factor_reaches_no_staff_page(client, cast):
    client.force_login(cast.alice, backend="corridor.accounts.backends.ThrottledBackend")
    assert client.get("/staff/").status_code == 302
