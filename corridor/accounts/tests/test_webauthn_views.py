"""The security-key pages through Django's client: sign-in with a key and no code,
the requirement by role, removal only after another factor, and who may see what."""

from __future__ import annotations

import html
import re
import time

import pytest
from django.urls import reverse

from corridor.accounts.permissions import Role
from corridor.accounts.services import totp_device
from corridor.accounts.tests.soft_authenticator import SoftAuthenticator
from corridor.accounts.webauthn_models import SecurityKeyRequirement, WebAuthnCredential
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "a long test password 1"


def _code(user) -> str:
    device = totp_device(user)
    from corridor.accounts.totp_store import code_now

    return code_now(device)


def options_in(response, action: str | None = None) -> str:
    page = response.content.decode()
    forms = re.findall(r'<form[^>]*data-options="([^"]*)"[^>]*>', page)
    if action:
        forms = [m.group(1) for m in re.finditer(rf'<form[^>]*action="{re.escape(action)}[^"]*"[^>]*data-options="([^"]*)"', page)]
    assert forms, "no security-key form on the page"
    return html.unescape(forms[0])


def add_key(client, auth, name="blue key"):
    page = client.get(reverse("accounts:webauthn_keys"))
    return client.post(reverse("accounts:webauthn_register"), {"name": name, "credential": auth.create(options_in(page))})


def password_step(client, username):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


@pytest.fixture
def alice_with_key(cast, staff_client):
    auth = SoftAuthenticator()
    response = add_key(staff_client(cast.alice), auth)
    assert response.status_code == 302
    return auth


def test_a_key_signs_in_without_the_code(client, cast, alice_with_key):
    assert password_step(client, "alice").url == reverse("accounts:code")
    page = client.get(reverse("accounts:code"))
    assert "accounts/webauthn.js" in page.content.decode()
    response = client.post(reverse("accounts:webauthn_sign_in"), {"credential": alice_with_key.get(options_in(page))})
    assert response.status_code == 302 and response.url == reverse("web:dashboard")
    assert client.get("/staff/").status_code == 200
    assert client.session["otp_device_id"].startswith("accounts.webauthncredential/")
    assert AuditEntry.objects.filter(code=CoreEvent.LOGIN_SUCCEEDED, object_id=str(cast.alice.pk)).count() == 1
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_SIGNED_IN).count() == 1


def test_a_key_answer_without_the_password_step_signs_nobody_in(client, cast, alice_with_key):
    response = client.post(reverse("accounts:webauthn_sign_in"), {"credential": "{}"})
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert client.get("/staff/").status_code == 302


def test_a_phished_answer_is_refused_at_the_sign_in_page(client, cast, alice_with_key):
    password_step(client, "alice")
    page = client.get(reverse("accounts:code"))
    forged = alice_with_key.get(options_in(page), origin="https://corridor-staff.example.net")
    response = client.post(reverse("accounts:webauthn_sign_in"), {"credential": forged})
    assert response.url == reverse("accounts:code")
    assert client.get("/staff/").status_code == 302
    refused = [e.data for e in AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REFUSED)]
    assert [d["reason"] for d in refused] == ["origin"]
    assert AuditEntry.objects.filter(code=CoreEvent.LOGIN_FAILED).count() == 1


def test_a_replayed_sign_in_answer_is_refused_in_a_new_session(client, cast, alice_with_key):
    from django.test import Client

    password_step(client, "alice")
    answer = alice_with_key.get(options_in(client.get(reverse("accounts:code"))))
    assert client.post(reverse("accounts:webauthn_sign_in"), {"credential": answer}).url == reverse("web:dashboard")
    thief = Client()
    password_step(thief, "alice")
    thief.get(reverse("accounts:code"))
    assert thief.post(reverse("accounts:webauthn_sign_in"), {"credential": answer}).url == reverse("accounts:code")
    assert thief.get("/staff/").status_code == 302


def test_without_a_key_the_code_page_offers_none(client, cast):
    password_step(client, "alice")
    page = client.get(reverse("accounts:code")).content.decode()
    assert "data-webauthn" not in page and "webauthn.js" not in page


def test_removing_a_key_ends_the_sessions_it_signed_in(client, cast, alice_with_key, staff_client):
    password_step(client, "alice")
    answer = alice_with_key.get(options_in(client.get(reverse("accounts:code"))))
    client.post(reverse("accounts:webauthn_sign_in"), {"credential": answer})
    assert client.get("/staff/").status_code == 200
    key = WebAuthnCredential.objects.get(user=cast.alice)
    other = staff_client(cast.alice)  # signed in with the code
    response = other.post(reverse("accounts:webauthn_remove", args=[key.public_id]), {"code": _code(cast.alice)})
    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert client.get("/staff/").status_code == 302  # the key's session is over
    assert AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_REMOVED).data["proof"] == "totp"


def test_removal_needs_a_fresh_second_factor(cast, staff_client, alice_with_key):
    client = staff_client(cast.alice)
    key = WebAuthnCredential.objects.get(user=cast.alice)
    url = reverse("accounts:webauthn_remove", args=[key.public_id])
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"code": "000000" if _code(cast.alice) != "000000" else "111111"}).status_code == 400
    # The key itself is no proof for its own removal, even answering a real challenge.
    add_key(client, SoftAuthenticator(), name="spare")
    answer = alice_with_key.get(options_in(client.get(url)))
    assert client.post(url, {"credential": answer}).status_code == 400
    refused = [e.data for e in AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REFUSED)]
    assert [(d["reason"], d["purpose"]) for d in refused] == [("unknown_key", "reauth")]
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
    assert not AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REMOVED).exists()


def test_another_key_proves_it_for_the_removal(cast, staff_client, alice_with_key):
    client = staff_client(cast.alice)
    spare = SoftAuthenticator()
    add_key(client, spare, name="spare")
    first = WebAuthnCredential.objects.get(user=cast.alice, name="blue key")
    url = reverse("accounts:webauthn_remove", args=[first.public_id])
    page = client.get(url)
    # Only the other key is asked for.
    assert first.credential_id not in options_in(page) and spare.id in options_in(page)
    response = client.post(url, {"credential": spare.get(options_in(page))})
    assert response.status_code == 302
    assert list(WebAuthnCredential.objects.filter(user=cast.alice).values_list("name", flat=True)) == ["spare"]
    assert AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_REMOVED).data["proof"] == "key"


def test_nobody_else_reaches_your_key(cast, staff_client, alice_with_key):
    key = WebAuthnCredential.objects.get(user=cast.alice)
    url = reverse("accounts:webauthn_remove", args=[key.public_id])
    for who in (cast.bob, cast.admin, cast.charlie, cast.coordinator):
        client = staff_client(who)
        assert client.get(url).status_code == 404
        assert client.post(url, {"code": _code(who)}).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_a_user_names_several_keys(cast, staff_client):
    client = staff_client(cast.alice)
    for name in ("синий ключ", "телефон"):
        assert add_key(client, SoftAuthenticator(), name=name).status_code == 302
    page = client.get(reverse("accounts:webauthn_keys")).content.decode()
    assert "синий ключ" in page and "телефон" in page
    # A name is required, checked before the key is asked to sign anything.
    assert add_key(client, SoftAuthenticator(), name=" ").status_code == 400
    assert WebAuthnCredential.objects.filter(user=cast.alice).count() == 2


def _require(client, roles):
    return client.post(reverse("accounts:webauthn_requirements"), {"roles": roles})


def test_administrators_require_keys_by_role_and_see_who_complies(cast, staff_client):
    admin = staff_client(cast.admin)
    assert _require(admin, [Role.ADMIN, Role.COORDINATOR]).status_code == 302
    assert set(SecurityKeyRequirement.objects.values_list("role", flat=True)) == {"admin", "coordinator"}
    assert AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_REQUIREMENT_SET).data["roles"] == ["admin", "coordinator"]
    auth = SoftAuthenticator()
    add_key(staff_client(cast.coordinator), auth)
    response = admin.get(reverse("accounts:webauthn_requirements"))
    rows = {r.user.username: r for r in response.context["rows"]}
    assert rows["cora"].complies and rows["cora"].keys == 1
    assert not rows["colin"].complies and not rows["ada"].complies
    assert rows["alice"].complies and not rows["alice"].required
    assert "charlie" not in rows  # another organisation
    page = response.content.decode()
    key = WebAuthnCredential.objects.get(user=cast.coordinator)
    # Counts, never key material.
    assert key.credential_id not in page and str(key.public_id) not in page and "blue key" not in page


def test_only_administrators_set_the_requirement(cast, staff_client):
    for who in (cast.coordinator, cast.alice, cast.auditor):
        client = staff_client(who)
        assert client.get(reverse("accounts:webauthn_requirements")).status_code == 404
        assert _require(client, [Role.CASE_WORKER]).status_code == 404
    assert not SecurityKeyRequirement.objects.exists()


def test_a_required_role_with_a_key_cannot_sign_in_with_the_code(client, cast, staff_client):
    auth = SoftAuthenticator()
    add_key(staff_client(cast.coordinator), auth)
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    password_step(client, "cora")
    page = client.get(reverse("accounts:code"))
    assert 'name="code"' not in page.content.decode()
    response = client.post(reverse("accounts:code"), {"code": _code(cast.coordinator)})
    assert response.status_code == 200 and client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_CODE_REFUSED_KEY_REQUIRED).count() == 1
    # Each rendering of the page carries a new challenge; the last one counts.
    response = client.post(reverse("accounts:webauthn_sign_in"), {"credential": auth.get(options_in(response))})
    assert response.url == reverse("web:dashboard") and client.get("/staff/").status_code == 200


def test_a_code_session_of_a_required_role_with_a_key_is_ended(cast, staff_client):
    """Whatever path signed in with the code (the locked-name path takes password and
    code together), the first staff page ends it."""
    add_key(staff_client(cast.coordinator), SoftAuthenticator())
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    client = staff_client(cast.coordinator)
    response = client.get("/staff/cases/")
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert client.get("/staff/").status_code == 302


def test_a_required_role_without_a_key_must_register_one_first(cast, staff_client):
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    client = staff_client(cast.coordinator)
    response = client.get("/staff/cases/")
    assert response.status_code == 302 and response.url == reverse("accounts:webauthn_keys")
    assert client.get(reverse("accounts:webauthn_keys")).status_code == 200
    assert add_key(client, SoftAuthenticator()).status_code == 302
    assert client.get("/staff/cases/").status_code == 200
    # Not required: nothing changes for a case worker.
    assert staff_client(cast.alice).get("/staff/cases/").status_code == 200


def test_the_last_key_of_a_required_role_stays_until_another_is_registered(cast, staff_client):
    client = staff_client(cast.coordinator)
    add_key(client, SoftAuthenticator())
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    key = WebAuthnCredential.objects.get(user=cast.coordinator)
    response = client.post(reverse("accounts:webauthn_remove", args=[key.public_id]), {"code": _code(cast.coordinator)})
    assert response.status_code == 400 and WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_an_administrator_removes_the_keys_of_someone_who_lost_them(cast, staff_client):
    add_key(staff_client(cast.coordinator), SoftAuthenticator())
    admin = staff_client(cast.admin)
    url = reverse("accounts:webauthn_admin_remove", args=[cast.coordinator.pk])
    assert staff_client(cast.coordinator2).post(url).status_code == 404
    assert admin.post(reverse("accounts:webauthn_admin_remove", args=[cast.charlie.pk])).status_code == 404
    assert admin.post(url).status_code == 302
    assert not WebAuthnCredential.objects.filter(user=cast.coordinator).exists()
    assert AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_KEYS_REMOVED_BY_ADMIN).data["removed"] == 1


def test_wrong_codes_on_the_removal_page_count_towards_the_lock(cast, staff_client, alice_with_key, settings):
    from corridor.accounts.services import login_locked

    client = staff_client(cast.alice)
    key = WebAuthnCredential.objects.get(user=cast.alice)
    url = reverse("accounts:webauthn_remove", args=[key.public_id])
    wrong = "000000" if _code(cast.alice) != "000000" else "111111"
    for _ in range(settings.CORRIDOR_LOGIN_MAX_FAILURES):
        assert client.post(url, {"code": wrong}).status_code == 400
    assert login_locked("alice")
    # Locked: even the right code removes nothing until the lock ends.
    assert client.post(url, {"code": _code(cast.alice)}).status_code == 400
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_a_clone_ends_the_session_the_key_signed_in(client, cast, alice_with_key):
    from django.test import Client

    twin = alice_with_key.clone()
    password_step(client, "alice")
    client.post(reverse("accounts:webauthn_sign_in"),
                {"credential": alice_with_key.get(options_in(client.get(reverse("accounts:code"))))})
    assert client.get("/staff/").status_code == 200
    thief = Client()
    password_step(thief, "alice")
    answer = twin.get(options_in(thief.get(reverse("accounts:code"))))  # counter 1 again
    assert thief.post(reverse("accounts:webauthn_sign_in"), {"credential": answer}).url == reverse("accounts:code")
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_CLONE_SUSPECTED).count() == 1


def test_a_requirement_set_later_applies_from_the_next_sign_in(client, cast, staff_client):
    coordinator = staff_client(cast.coordinator)
    assert coordinator.get("/staff/cases/").status_code == 200  # checked once, at the first page
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    assert coordinator.get("/staff/cases/").status_code == 200
    password_step(client, "cora")
    client.post(reverse("accounts:code"), {"code": _code(cast.coordinator)})
    assert client.get("/staff/cases/").url == reverse("accounts:webauthn_keys")


def test_registration_asks_for_no_attestation_and_no_name_on_the_key(cast, staff_client):
    import json

    options = json.loads(options_in(staff_client(cast.alice).get(reverse("accounts:webauthn_keys"))))
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"
    assert options["rp"]["id"] == "localhost"
    from webauthn.helpers import base64url_to_bytes

    assert base64url_to_bytes(options["user"]["id"]) == cast.alice.pk.bytes


def test_removal_by_an_administrator_ends_the_persons_sessions(cast, staff_client):
    coordinator = staff_client(cast.coordinator)
    add_key(coordinator, SoftAuthenticator())
    staff_client(cast.admin).post(reverse("accounts:webauthn_admin_remove", args=[cast.coordinator.pk]))
    assert coordinator.get("/staff/").status_code == 302


def test_a_lock_does_not_keep_a_key_only_person_out(client, cast, staff_client, settings):
    """Someone guessing passwords locks the name; the owner still signs in with
    password and code together, and then the key, which the lock does not block."""
    from django.test import Client

    from corridor.accounts.services import login_locked

    auth = SoftAuthenticator()
    add_key(staff_client(cast.coordinator), auth)
    _require(staff_client(cast.admin), [Role.COORDINATOR])
    attacker = Client()
    for _ in range(settings.CORRIDOR_LOGIN_MAX_FAILURES):
        attacker.post(reverse("accounts:login"), {"username": "cora", "password": "wrong guess 123456"})
    assert login_locked("cora")
    # Without having passed password and code together, a locked name gets no key step.
    other = Client()
    session = other.session
    session.update({"pending_uid": str(cast.coordinator.pk), "pending_name": "cora", "pending_at": time.time()})
    session.save()
    response = other.post(reverse("accounts:webauthn_sign_in"), {"credential": "{}"})
    assert response.url == reverse("accounts:login")
    # The attacker's phished code and the password get only as far as the key.
    response = client.post(reverse("accounts:login"),
                           {"username": "cora", "password": PASSWORD, "code": _code(cast.coordinator)})
    assert response.url == reverse("accounts:code") and client.get("/staff/").status_code == 302
    page = client.get(reverse("accounts:code"))
    assert 'name="code"' not in page.content.decode()
    response = client.post(reverse("accounts:webauthn_sign_in"), {"credential": auth.get(options_in(page))})
    assert response.url == reverse("web:dashboard") and client.get("/staff/cases/").status_code == 200


def test_the_key_pages_carry_no_inline_script(client, cast, staff_client, alice_with_key):
    alice = staff_client(cast.alice)
    key = WebAuthnCredential.objects.get(user=cast.alice)
    add_key(alice, SoftAuthenticator(), name="spare")
    password_step(client, "alice")
    pages = [client.get(reverse("accounts:code")), alice.get(reverse("accounts:webauthn_keys")),
             alice.get(reverse("accounts:webauthn_remove", args=[key.public_id])),
             staff_client(cast.admin).get(reverse("accounts:webauthn_requirements"))]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        scripts = re.findall(r"<script\b[^>]*>", body)
        assert all('src="/static/' in tag for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+\s*=", body)
        assert "'unsafe-inline'" not in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]
