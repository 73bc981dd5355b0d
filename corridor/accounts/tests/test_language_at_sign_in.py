"""The language chosen on the sign-in page carries into the staff pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts.models import User
from corridor.accounts.tests.test_login import PASSWORD, _code

pytestmark = pytest.mark.django_db


def test_english_chosen_at_sign_in_carries_through_the_code_step_into_the_staff_ui(cast):
    c = Client()
    page = c.get(reverse("accounts:login") + "?lang=en")
    assert page["Content-Language"] == "en" and 'action="?lang=en"' in page.content.decode()
    c.post(reverse("accounts:login") + "?lang=en", {"username": "alice", "password": PASSWORD})
    code_page = c.get(reverse("accounts:code"))
    assert code_page["Content-Language"] == "en" and "Second factor" in code_page.content.decode()
    c.post(reverse("accounts:code") + "?lang=en", {"code": _code(cast.alice)})
    dashboard = c.get("/staff/")
    assert dashboard.status_code == 200 and dashboard["Content-Language"] == "en"
    assert "Dashboard" in dashboard.content.decode()
    assert User.objects.get(pk=cast.alice.pk).language == "en"  # and it is remembered next time
    again = Client()
    again.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    TOTPDevice.objects.filter(user=cast.alice).update(last_t=-1)  # the same 30 s step once more
    again.post(reverse("accounts:code"), {"code": _code(cast.alice)})
    assert again.get("/staff/")["Content-Language"] == "en"


def test_signing_in_without_choosing_keeps_the_saved_preference(cast):
    User.objects.filter(pk=cast.bob.pk).update(language="en")
    c = Client()
    page = c.get(reverse("accounts:login"))
    assert page["Content-Language"] == "ru" and "action=" not in page.content.decode().split("<form", 1)[1][:60]
    c.post(reverse("accounts:login"), {"username": "bob", "password": PASSWORD})
    c.post(reverse("accounts:code"), {"code": _code(cast.bob)})
    assert c.get("/staff/")["Content-Language"] == "en"
    assert User.objects.get(pk=cast.bob.pk).language == "en"
