"""TOTP seeds at rest, tried as an attacker with the database (and its files) in hand."""

from __future__ import annotations

import base64
import importlib
from binascii import Error as BinasciiError

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts import services, totp_store
from corridor.accounts.tests.test_login import PASSWORD, _code, _password_step
from corridor.crypto.models import DataKey

pytestmark = pytest.mark.django_db


def _all_cells() -> list[bytes]:
    """Every value of every table, as bytes: what a dump of the database holds."""
    cells = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')
            for row in cur.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        cells.append(bytes(value))
                    elif value is not None:
                        cells.append(str(value).encode())
    return cells


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_a_database_dump_holds_no_seed_in_any_encoding(cast):
    seeds = [totp_store.seed(services.totp_device(u)) for u in (cast.alice, cast.bob, cast.admin)]
    dump = b"\n".join(_all_cells())
    for seed in seeds:
        for form in (seed, seed.hex().encode(), seed.hex().upper().encode(), base64.b32encode(seed),
                     base64.b32encode(seed).rstrip(b"="), base64.b64encode(seed)):
            assert form not in dump
    assert set(TOTPDevice.objects.values_list("key", flat=True)) == {totp_store.SEALED_MARKER}


def test_django_otps_own_check_fails_closed_on_the_cleared_column(cast):
    device = services.totp_device(cast.alice)
    with pytest.raises(BinasciiError):
        device.bin_key  # noqa: B018 -- any code path still reading the clear key must break, not pass
    with pytest.raises(BinasciiError):
        device.verify_token(_code(cast.alice))


def test_alices_seed_grafted_onto_bobs_device_does_not_open(cast, client):
    """An insider who knows her own seed moves its ciphertext, then the whole row, to Bob."""
    alice_code = _code(cast.alice)
    mine = totp_store.TOTPSeed.objects.get(device__user=cast.alice)
    bob_device = services.totp_device(cast.bob)
    theirs = totp_store.TOTPSeed.objects.get(device=bob_device)
    theirs_original = (theirs.data_key_id, bytes(theirs.sealed))

    totp_store.TOTPSeed.objects.filter(pk=theirs.pk).update(sealed=mine.sealed)
    assert totp_store.match(bob_device, alice_code) is None
    totp_store.TOTPSeed.objects.filter(pk=theirs.pk).update(sealed=mine.sealed, data_key=mine.data_key)
    assert totp_store.match(bob_device, alice_code) is None
    _password_step(client, "bob")
    response = client.post(reverse("accounts:code"), {"code": alice_code})
    assert response.status_code == 200 and not _signed_in(client)

    # ... or moves her whole device (seed and all) to Bob's account.
    totp_store.TOTPSeed.objects.filter(pk=theirs.pk).update(data_key_id=theirs_original[0], sealed=theirs_original[1])
    TOTPDevice.objects.filter(user=cast.bob).update(user=cast.charlie)
    TOTPDevice.objects.filter(user=cast.alice).update(user=cast.bob)
    moved = TOTPDevice.objects.get(user=cast.bob)
    assert totp_store.match(moved, alice_code) is None


def test_a_sealed_server_cannot_check_a_code_and_shows_the_sealed_page(fresh_agent, cast, client):
    code = _code(cast.alice)
    assert _password_step(client, "alice").status_code == 302
    fresh_agent.agent.seal(reason="test")
    response = client.post(reverse("accounts:code"), {"code": code})
    assert response.status_code == 503
    assert "sealed" in response.content.decode().lower() or "опечатан" in response.content.decode().lower()
    assert not _signed_in(client)
    # password and code together (the locked path) are refused the same way
    response = Client().post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD, "code": code})
    assert response.status_code == 503


def test_rotating_and_retiring_the_root_keeps_codes_working(fresh_agent, cast, client):
    device = services.totp_device(cast.alice)
    before = totp_store.seed(device)
    call_command("rotate_root", "--retire")
    assert totp_store.seed(TOTPDevice.objects.get(pk=device.pk)) == before
    _password_step(client, "alice")
    assert client.post(reverse("accounts:code"), {"code": _code(cast.alice)}).status_code == 302
    assert _signed_in(client)


def test_a_reset_destroys_the_old_seeds_key(cast):
    old = totp_store.TOTPSeed.objects.get(device__user=cast.alice)
    services.user_reset_totp(actor="system:test", user=cast.alice)
    assert DataKey.objects.get(pk=old.data_key_id).wrapped is None  # old copies of the seed stop opening
    new = totp_store.TOTPSeed.objects.get(device__user=cast.alice)
    assert new.data_key_id != old.data_key_id and totp_store.seed(new.device)


def test_the_data_migration_encrypts_clear_seeds_and_clears_the_column(cast, client):
    migration = importlib.import_module("corridor.accounts.migrations.0007_encrypt_existing_totp_seeds")
    # An installation from before: django-otp's own device with its seed in clear.
    seed = bytes(range(20))
    TOTPDevice.objects.filter(user=cast.alice).delete()
    legacy = TOTPDevice.objects.create(user=cast.alice, name="default", confirmed=True, key=seed.hex())
    from django.apps import apps

    migration.encrypt_seeds(apps, None)
    legacy.refresh_from_db()
    assert legacy.key == totp_store.SEALED_MARKER
    assert totp_store.seed(legacy) == seed
    assert seed.hex().encode() not in b"\n".join(_all_cells())
    migration.encrypt_seeds(apps, None)  # idempotent
    assert totp_store.TOTPSeed.objects.filter(device=legacy).count() == 1
    _password_step(client, "alice")
    assert client.post(reverse("accounts:code"), {"code": _code(cast.alice)}).status_code == 302


def test_the_data_migration_stops_with_advice_when_the_agent_is_sealed(fresh_agent, cast):
    migration = importlib.import_module("corridor.accounts.migrations.0007_encrypt_existing_totp_seeds")
    TOTPDevice.objects.create(user=cast.alice, name="old", confirmed=True, key=bytes(20).hex())
    fresh_agent.agent.seal(reason="test")
    from django.apps import apps

    with pytest.raises(RuntimeError, match="unseal"):
        migration.encrypt_seeds(apps, None)
