"""The WebAuthn ceremonies against a software authenticator, and the attacks on them:
a look-alike site (forged origin, its own RP ID), a replayed assertion, a cloned key,
a tampered signature, someone else's key, racing requests."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from corridor.accounts import webauthn_ceremony as ceremony
from corridor.accounts.tests.soft_authenticator import SoftAuthenticator
from corridor.accounts.webauthn_ceremony import CeremonyRefused
from corridor.accounts.webauthn_models import WebAuthnChallenge, WebAuthnCredential
from corridor.accounts.webauthn_selectors import usable_keys
from corridor.accounts.webauthn_services import (
    challenge_issue,
    webauthn_credential_register,
    webauthn_reauthenticate,
    webauthn_sign_in,
)
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.conf import ImproperSetting, check_webauthn_settings

pytestmark = pytest.mark.django_db
RP, ORIGIN = "corridor.example.org", "https://corridor.example.org"


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.CORRIDOR_WEBAUTHN_RP_ID = RP
    settings.CORRIDOR_WEBAUTHN_ORIGINS = [ORIGIN]


def authenticator(**kwargs) -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP, origin=ORIGIN, **kwargs)


def register(user, auth, *, name="blue key", **kwargs) -> WebAuthnCredential:
    ch = challenge_issue(user=user, purpose=WebAuthnChallenge.Purpose.REGISTER)
    options = ceremony.registration_options(user=user, challenge=bytes(ch.challenge), existing=[])
    return webauthn_credential_register(actor=user, challenge_id=ch.pk, response_json=auth.create(options, **kwargs),
                                        name=name)


def assertion(user, auth, *, purpose=WebAuthnChallenge.Purpose.SIGN_IN, **kwargs):
    ch = challenge_issue(user=user, purpose=purpose)
    options = ceremony.authentication_options(challenge=bytes(ch.challenge), allowed=usable_keys(user))
    return ch.pk, auth.get(options, **kwargs)


def refusals(reason: str | None = None) -> list[dict]:
    found = [e.data for e in AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REFUSED)]
    return [d for d in found if reason is None or d["reason"] == reason]


def test_a_key_registers_and_then_signs_in(cast):
    auth = authenticator()
    key = register(cast.alice, auth)
    assert key.name == "blue key" and key.confirmed and key.user == cast.alice
    assert bytes(key.public_key) == auth.cose_key() and key.transports == "usb"
    challenge_id, response = assertion(cast.alice, auth)
    signed = webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert signed.pk == key.pk and signed.sign_count == 1 and signed.last_used is not None
    codes = list(AuditEntry.objects.filter(code__in=[CoreEvent.WEBAUTHN_REGISTERED, CoreEvent.WEBAUTHN_SIGNED_IN])
                 .values_list("code", "object_id"))
    assert codes == [(CoreEvent.WEBAUTHN_REGISTERED, str(key.public_id)), (CoreEvent.WEBAUTHN_SIGNED_IN, str(key.public_id))]


def test_the_server_keeps_only_public_material(cast):
    auth = authenticator()
    key = register(cast.alice, auth, name="кольцо")
    from cryptography.hazmat.primitives import serialization

    private = auth.key.private_numbers().private_value.to_bytes(32, "big")
    der = auth.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_webauthncredential")
        row = b"".join(bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in cursor.fetchone())
    assert private not in row and der not in row
    assert auth.cose_key() in row
    # The audit entry names the key by its public id, never by the owner's label.
    entry = AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_REGISTERED)
    assert "кольцо".encode() not in bytes(entry.leaf) and str(key.public_id) == entry.object_id


def test_a_look_alike_site_relaying_our_challenge_is_refused(cast):
    """The phishing case: the victim's browser ran the ceremony on the look-alike page,
    so the signed clientDataJSON carries its origin. The key signed; we refuse."""
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, forged = assertion(cast.alice, auth, origin="https://corridor-example.org")
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=forged)
    assert refused.value.reason == "origin"
    assert refusals("origin") and refusals("origin")[0]["purpose"] == "sign_in"
    assert not AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_SIGNED_IN).exists()


def test_an_origin_rewritten_after_signing_breaks_the_signature(cast):
    """An attacker who edits clientDataJSON to say our origin invalidates the signature."""
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, phished = assertion(cast.alice, auth, origin="https://corridor-example.org")
    data = json.loads(phished)
    from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

    client = json.loads(base64url_to_bytes(data["response"]["clientDataJSON"]))
    client["origin"] = ORIGIN
    data["response"]["clientDataJSON"] = bytes_to_base64url(json.dumps(client).encode())
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=json.dumps(data))
    assert refused.value.reason == "signature"


def test_an_assertion_for_another_relying_party_is_refused(cast):
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth, rp_id="corridor-example.org")
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert refused.value.reason == "rp_id"


def test_a_registration_made_on_a_look_alike_site_is_refused(cast):
    with pytest.raises(CeremonyRefused) as refused:
        register(cast.alice, authenticator(), origin="https://corridor-example.org")
    assert refused.value.reason == "origin"
    assert not WebAuthnCredential.objects.exists()


def test_a_replayed_assertion_is_refused(cast):
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth)
    webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert refused.value.reason == "challenge"
    # Replayed against a fresh challenge, the old answer does not match it either.
    fresh = challenge_issue(user=cast.alice, purpose=WebAuthnChallenge.Purpose.SIGN_IN)
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=fresh.pk, response_json=response)
    assert refused.value.reason == "challenge"


def test_a_replay_is_refused_for_a_key_without_a_counter(cast):
    auth = authenticator(counting=False)  # many passkeys always report 0
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth)
    assert webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response).sign_count == 0
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)


def test_a_cloned_key_is_caught_by_its_counter_and_disabled(cast):
    auth = authenticator()
    key = register(cast.alice, auth)
    twin = auth.clone()  # copied while the counter stood at 0
    for _ in range(3):
        webauthn_sign_in(user=cast.alice, **dict(zip(("challenge_id", "response_json"), assertion(cast.alice, auth),
                                                      strict=True)))
    challenge_id, response = assertion(cast.alice, twin)  # a correct signature, counter 1 <= 3
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert refused.value.reason == "counter"
    key.refresh_from_db()
    assert key.clone_suspected and not key.confirmed and key.sign_count == 3
    event = AuditEntry.objects.get(code=CoreEvent.WEBAUTHN_CLONE_SUSPECTED)
    assert event.data["counter"] == 1 and event.data["stored"] == 3
    # The original is refused too now: nobody can tell which copy is the owner's.
    challenge_id, response = assertion(cast.alice, auth)
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)


def test_a_counter_that_drops_to_zero_is_a_clone(cast):
    auth = authenticator()
    key = register(cast.alice, auth)
    webauthn_sign_in(user=cast.alice, **dict(zip(("challenge_id", "response_json"), assertion(cast.alice, auth),
                                                  strict=True)))
    challenge_id, response = assertion(cast.alice, auth, count=0)
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    key.refresh_from_db()
    assert key.clone_suspected


def test_a_tampered_signature_is_refused(cast):
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth)
    data = json.loads(response)
    other = authenticator()
    other.credential_id = auth.credential_id
    data["response"]["signature"] = json.loads(other.get(ceremony.authentication_options(
        challenge=b"x" * 32, allowed=[])))["response"]["signature"]
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=json.dumps(data))
    assert refused.value.reason == "signature"


def test_user_presence_is_required(cast):
    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth, present=False)
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert refused.value.reason == "presence"


def test_someone_elses_key_does_not_sign_in_for_you(cast):
    bobs = authenticator()
    register(cast.bob, bobs)
    register(cast.alice, authenticator())
    ch = challenge_issue(user=cast.alice, purpose=WebAuthnChallenge.Purpose.SIGN_IN)
    response = bobs.get(ceremony.authentication_options(challenge=bytes(ch.challenge), allowed=[]))
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=ch.pk, response_json=response)
    assert refused.value.reason == "unknown_key"


def test_a_challenge_is_bound_to_its_user_and_purpose(cast):
    auth = authenticator()
    register(cast.alice, auth)
    register(cast.bob, authenticator())
    # Bob's challenge, answered by Alice's key: refused before any key is looked at.
    ch = challenge_issue(user=cast.bob, purpose=WebAuthnChallenge.Purpose.SIGN_IN)
    response = auth.get(ceremony.authentication_options(challenge=bytes(ch.challenge), allowed=[]))
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=ch.pk, response_json=response)
    # A re-authentication challenge is not a sign-in challenge.
    challenge_id, response = assertion(cast.alice, auth, purpose=WebAuthnChallenge.Purpose.REAUTH)
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)


def test_the_key_being_removed_cannot_re_authenticate_for_itself(cast):
    auth, spare = authenticator(), authenticator()
    key = register(cast.alice, auth)
    register(cast.alice, spare, name="spare")
    challenge_id, response = assertion(cast.alice, auth, purpose=WebAuthnChallenge.Purpose.REAUTH)
    with pytest.raises(CeremonyRefused):
        webauthn_reauthenticate(user=cast.alice, challenge_id=challenge_id, response_json=response, excluding=key)
    challenge_id, response = assertion(cast.alice, spare, purpose=WebAuthnChallenge.Purpose.REAUTH)
    assert webauthn_reauthenticate(user=cast.alice, challenge_id=challenge_id, response_json=response,
                                   excluding=key).name == "spare"


def test_the_same_key_cannot_be_registered_twice(cast):
    from corridor.accounts.services import AccountError

    auth = authenticator()
    register(cast.alice, auth)
    with pytest.raises(AccountError):
        register(cast.bob, auth)
    assert WebAuthnCredential.objects.count() == 1


@pytest.mark.parametrize("junk", ["", "{", "[]", '{"response": 1}', '{"response": {}}', "x" * 70_000,
                                  '{"id": "a", "rawId": "a", "type": "public-key", "response": {"clientDataJSON": "!!"}}'])
def test_malformed_responses_are_refused_not_crashed(cast, junk):
    register(cast.alice, authenticator())
    ch = challenge_issue(user=cast.alice, purpose=WebAuthnChallenge.Purpose.SIGN_IN)
    with pytest.raises(CeremonyRefused):
        webauthn_sign_in(user=cast.alice, challenge_id=ch.pk, response_json=junk)


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_assertion_sign_in_once(cast):
    auth = authenticator(counting=False)  # the challenge alone must stop the second one
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
            results.append("ok")
        except CeremonyRefused as exc:
            results.append(exc.reason)
        except Exception as exc:  # a database lock error counts as refused
            results.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The promise is "at most once". On PostgreSQL row locks make exactly one win; on
    # SQLite a loaded machine may time every writer out on the database lock, and a
    # lock error is a refusal, never a second sign-in.
    assert results.count("ok") <= 1, results
    if connection.vendor == "postgresql":
        assert results.count("ok") == 1, results
    else:
        assert results.count("ok") == 1 or set(results) <= {"OperationalError", "challenge"}, results


@pytest.mark.parametrize("rp_id,origins", [
    ("10.0.0.1", ["https://10.0.0.1"]),
    ("corridor.example.org", ["http://corridor.example.org"]),
    ("corridor.example.org", ["https://corridor-example.org"]),
    ("corridor.example.org", ["https://corridor.example.org/staff"]),
    ("", ["https://corridor.example.org"]),
])
def test_bad_relying_party_settings_stop_start_up(rp_id, origins):
    with pytest.raises(ImproperSetting):
        check_webauthn_settings(rp_id, origins)


def test_good_relying_party_settings_pass():
    check_webauthn_settings("corridor.example.org", ["https://corridor.example.org", "https://staff.corridor.example.org:8443"])
    check_webauthn_settings("localhost", ["http://localhost:8000"])
    check_webauthn_settings("abcdefghijklmnop.onion", ["http://abcdefghijklmnop.onion"])


def test_the_default_origin_is_the_public_address_without_its_path(monkeypatch):
    import subprocess
    import sys

    env = {"CORRIDOR_PUBLIC_URL": "https://corridor.example.org/staff-area", "CORRIDOR_TESTING": "1",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "from corridor import settings as s; "
                          "print(s.CORRIDOR_WEBAUTHN_RP_ID, s.CORRIDOR_WEBAUTHN_ORIGINS)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "corridor.example.org ['https://corridor.example.org']"


def test_a_registration_for_another_relying_party_is_refused(cast):
    with pytest.raises(CeremonyRefused) as refused:
        register(cast.alice, authenticator(), rp_id="corridor-example.org")
    assert refused.value.reason == "rp_id"


def test_an_assertion_offered_as_a_registration_is_refused(cast):
    auth = authenticator()
    register(cast.alice, auth)
    ch = challenge_issue(user=cast.alice, purpose=WebAuthnChallenge.Purpose.REGISTER)
    response = auth.get(json.dumps({"challenge": json.loads(ceremony.registration_options(
        user=cast.alice, challenge=bytes(ch.challenge), existing=[]))["challenge"], "rpId": RP}))
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_credential_register(actor=cast.alice, challenge_id=ch.pk, response_json=response, name="x")
    assert refused.value.reason == "type"


def test_an_account_holds_at_most_ten_keys(cast):
    from corridor.accounts.services import AccountError
    from corridor.accounts.webauthn_services import MAX_KEYS

    for i in range(MAX_KEYS):
        register(cast.alice, authenticator(), name=f"key {i}")
    with pytest.raises(AccountError):
        register(cast.alice, authenticator(), name="one too many")
    assert WebAuthnCredential.objects.filter(user=cast.alice).count() == MAX_KEYS


def test_nobody_removes_someone_elses_key_through_the_service(cast):
    from corridor.accounts.services import AccountError
    from corridor.accounts.webauthn_services import webauthn_credential_remove

    key = register(cast.alice, authenticator())
    with pytest.raises(AccountError):
        webauthn_credential_remove(actor=cast.bob, credential=key, proof="totp")
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_an_unchanged_requirement_writes_no_audit_entry(cast):
    from corridor.accounts.webauthn_services import security_key_requirement_set

    assert security_key_requirement_set(actor=cast.admin, organisation=cast.org,
                                         roles=["coordinator", "admin", "nonsense"]) == ["admin", "coordinator"]
    security_key_requirement_set(actor=cast.admin, organisation=cast.org, roles=["admin", "coordinator"])
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REQUIREMENT_SET).count() == 1
    security_key_requirement_set(actor=cast.admin, organisation=cast.org, roles=[])
    assert AuditEntry.objects.filter(code=CoreEvent.WEBAUTHN_REQUIREMENT_SET).count() == 2


def test_an_expired_challenge_is_refused(cast):
    from datetime import timedelta

    from django.utils import timezone

    auth = authenticator()
    register(cast.alice, auth)
    challenge_id, response = assertion(cast.alice, auth)
    WebAuthnChallenge.objects.filter(pk=challenge_id).update(expires=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CeremonyRefused) as refused:
        webauthn_sign_in(user=cast.alice, challenge_id=challenge_id, response_json=response)
    assert refused.value.reason == "challenge"


def test_unknown_transports_are_left_out_of_the_options(cast):
    key = register(cast.alice, authenticator())
    WebAuthnCredential.objects.filter(pk=key.pk).update(transports="usb,carrier-pigeon")
    options = json.loads(ceremony.authentication_options(challenge=b"c" * 32, allowed=usable_keys(cast.alice)))
    assert options["allowCredentials"][0]["transports"] == ["usb"]
