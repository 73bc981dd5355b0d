"""A duress passphrase followed by a security key instead of the code: the sign-in
is still a duress sign-in (decoy workspace, alert, no LOGIN_SUCCEEDED)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts import duress
from corridor.accounts.tests.soft_authenticator import SoftAuthenticator
from corridor.accounts.tests.test_duress import DURESS, _case
from corridor.accounts.tests.test_webauthn_views import add_key, options_in
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditAlert, AuditEntry

pytestmark = pytest.mark.django_db


def test_a_key_after_the_duress_passphrase_signs_in_under_duress(cast, staff_client):
    auth = SoftAuthenticator()
    assert add_key(staff_client(cast.alice), auth).status_code == 302
    duress.duress_passphrase_set(actor=cast.alice, user=cast.alice, passphrase=DURESS)
    _case(cast)
    forced = Client()
    first = forced.post(reverse("accounts:login"), {"username": "alice", "password": DURESS})
    assert first.status_code == 302 and first.url == reverse("accounts:code")
    page = forced.get(reverse("accounts:code"))
    response = forced.post(reverse("accounts:webauthn_sign_in"), {"credential": auth.get(options_in(page))})
    assert response.status_code == 302 and response.url == reverse("web:dashboard")
    assert "Иван" not in forced.get("/staff/cases/").content.decode()
    assert AuditEntry.objects.filter(code=CoreEvent.DURESS_SIGN_IN, object_id=str(cast.alice.pk)).count() == 1
    assert not AuditEntry.objects.filter(code=CoreEvent.LOGIN_SUCCEEDED, object_id=str(cast.alice.pk)).exists()
    assert AuditAlert.objects.filter(kind=AuditAlert.Kind.DURESS).exists()
