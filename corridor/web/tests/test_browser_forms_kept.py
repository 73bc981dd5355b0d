"""Nothing typed is lost when the session expires: a note posted after 30 idle
minutes is kept encrypted, and after signing in again it is sent with one click."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session

from corridor.accounts import totp_store
from corridor.accounts.services import totp_device
from corridor.cases.models import Note
from corridor.web.tests.forms_harness import submit, submits, text
from corridor.web.tests.test_browser_forms_cases import _case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Позвонила сестра: его ищут у дома матери, переезжать сегодня ночью"


def _code(user) -> str:
    device = totp_device(user)
    return totp_store.code_now(device)


def _sign_in(page, user):
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "a long test password 1")
    with page.expect_navigation():
        page.click("button.btn-primary")
    page.fill("input[name=code]", _code(user))
    with page.expect_navigation():
        page.click("button.btn-primary")


def _signed_in_again(page, user):
    """Mark this browser's (anonymous, kept-work) session as signed in, as the code step does."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY

    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    user.refresh_from_db()
    store.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "corridor.accounts.backends.ThrottledBackend",
                  HASH_SESSION_KEY: user.get_session_auth_hash(),
                  DEVICE_ID_SESSION_KEY: totp_device(user).persistent_id, "auth_time": time.time(),
                  "epoch": user.session_epoch})
    store.save()


@submits("web:kept_discard")
def test_a_note_posted_after_the_session_expired_is_sent_after_signing_in(forms, cast, screenshot):
    case = _case(cast, worker=cast.alice)
    page = forms(user=cast.alice)
    base = f"/staff/cases/{case.code}/"
    page.goto(base)
    Session.objects.all().delete()  # 30 minutes without activity
    submit(page, f"{base}notes/", {"text": NOTE})
    assert "/staff/login/" in page.url and not Note.objects.exists()
    # The session store holds ciphertext only.
    for session in Session.objects.all():
        assert "Позвонила сестра" not in str(session.get_decoded())
    _sign_in(page, cast.alice)
    assert page.url.endswith("/staff/")
    with page.expect_navigation():
        page.click("a[href='/staff/kept/']")
    assert NOTE in text(page)
    screenshot(page, "kept-after-sign-in")
    with page.expect_navigation():
        page.click("#kept-form button")
    assert Note.objects.get(case=case).text == NOTE
    assert base in page.url
    page.goto("/staff/")
    assert page.locator("a[href='/staff/kept/']").count() == 0, "sent once, then forgotten"

    # Another time the person decides not to send it.
    page.goto(base)
    Session.objects.all().delete()
    submit(page, f"{base}notes/", {"text": "черновик"})
    _signed_in_again(page, cast.alice)  # the same code cannot be used twice in 30 s
    page.goto("/staff/kept/")
    submit(page, "/staff/kept/discard/")
    assert page.locator("a[href='/staff/kept/']").count() == 0
    assert Note.objects.count() == 1


def test_the_kept_post_needs_the_browsers_key(cast, client):
    """A copy of the session cookie alone (or of the session table) opens nothing."""
    from django.test import RequestFactory

    from corridor.web import kept

    request = RequestFactory().post("/staff/cases/K-0001/notes/", {"text": NOTE})
    from importlib import import_module

    from django.conf import settings
    from django.http import HttpResponse

    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    response = HttpResponse()
    kept.keep(request, response)
    key = response.cookies[kept.COOKIE].value
    assert NOTE not in str(request.session[kept.SESSION_FIELD])
    request.COOKIES = {}
    assert kept.kept(request) is None
    request.COOKIES = {kept.COOKIE: key}
    assert kept.kept(request)["fields"] == [["text", NOTE]]
    request.session[kept.SESSION_FIELD]["path"] = "/staff/cases/K-0002/notes/"  # replayed elsewhere
    assert kept.kept(request) is None
