"""Recovery codes, the two-administrator reset and self re-enrolment, tried as an attacker."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts import recovery, services, totp_store
from corridor.accounts.permissions import Role
from corridor.accounts.tests.test_login import _code, _password_step
from corridor.accounts.tests.test_totp_store import _all_cells
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.crypto.models import DataKey

pytestmark = pytest.mark.django_db


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _second_admin(cast):
    user, device = services.user_create(actor="system:test", organisation=cast.org, username="abe", role=Role.ADMIN,
                                        password="a long test password 1")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return user


# --- recovery codes ---------------------------------------------------------------------
def test_codes_are_stored_only_as_keyed_digests(cast):
    codes = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    assert len(codes) == 10 and len(set(codes)) == 10
    dump = b"\n".join(_all_cells())
    for code in codes:
        bare = code.replace("-", "")
        for form in (code, bare, hashlib.sha256(bare.encode()).hexdigest()):
            assert form.encode() not in dump
        assert hashlib.sha256(bare.encode()).digest() not in dump
    assert AuditEntry.objects.filter(code=CoreEvent.RECOVERY_CODES_ISSUED).count() == 1


def test_a_recovery_code_works_once_and_replaces_the_lost_authenticator(cast, client):
    codes = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    old_device = services.totp_device(cast.alice)
    old_key = totp_store.TOTPSeed.objects.get(device=old_device).data_key_id
    old_code = _code(cast.alice)
    assert _password_step(client, "alice").status_code == 302
    response = client.post(reverse("accounts:recovery_login"), {"code": codes[3].upper()})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:code")
    assert not _signed_in(client)  # not yet: a new authenticator first
    assert DataKey.objects.get(pk=old_key).wrapped is None  # the lost phone's seed is gone for good
    enrol = client.get(reverse("accounts:code"))
    assert b'class="qr"' in enrol.content
    assert client.post(reverse("accounts:code"), {"code": old_code}).status_code == 200  # the old app is dead
    assert client.post(reverse("accounts:code"), {"code": _code(cast.alice)}).status_code == 302
    assert _signed_in(client)
    assert recovery.unused_count(cast.alice) == 9
    again = Client()
    _password_step(again, "alice")
    response = again.post(reverse("accounts:recovery_login"), {"code": codes[3]})
    assert response.status_code == 200 and not _signed_in(again)
    assert AuditEntry.objects.filter(code=CoreEvent.RECOVERY_CODE_USED).count() == 1
    assert AuditEntry.objects.filter(code=CoreEvent.RECOVERY_CODE_REFUSED).count() == 1


def test_the_recovery_page_needs_the_password_first(cast, client):
    codes = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    response = client.post(reverse("accounts:recovery_login"), {"code": codes[0]})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert recovery.unused_count(cast.alice) == 10


def test_another_persons_code_and_an_old_set_do_not_work(cast):
    alices = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    bobs = recovery.recovery_codes_issue(actor=cast.bob, user=cast.bob)
    assert not recovery.recovery_code_use(user=cast.bob, code=alices[0])
    # Bob knows his own code: his digest rows moved onto Alice's account do not match there.
    recovery.RecoveryCode.objects.filter(user=cast.alice).delete()
    recovery.RecoveryCode.objects.filter(user=cast.bob).update(user=cast.alice)
    assert not recovery.recovery_code_use(user=cast.alice, code=bobs[1])
    newer = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    assert not recovery.recovery_code_use(user=cast.alice, code=alices[0])  # the old set is void
    assert recovery.recovery_code_use(user=cast.alice, code=newer[0])


def test_wrong_codes_count_towards_the_lock(cast, client):
    recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    _password_step(client, "alice")
    for i in range(5):
        client.post(reverse("accounts:recovery_login"), {"code": f"aaaaa-aaaa{i}"})
    assert services.login_locked("alice")


@pytest.mark.django_db(transaction=True)
def test_one_code_is_spent_once_however_many_threads_race(cast):
    codes = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    barrier = threading.Barrier(6)
    won = []

    def go():
        import time as _time

        from django.db import OperationalError, connection

        barrier.wait()
        try:
            for _ in range(200):
                try:
                    won.append(recovery.recovery_code_use(user=cast.alice, code=codes[0]))
                    return
                except OperationalError:  # SQLite's shared in-memory database: "table is locked", retry
                    _time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 6 and won.count(True) == 1


def test_a_sealed_server_cannot_check_a_recovery_code(fresh_agent, cast, client):
    codes = recovery.recovery_codes_issue(actor=cast.alice, user=cast.alice)
    _password_step(client, "alice")
    fresh_agent.agent.seal(reason="test")
    assert client.post(reverse("accounts:recovery_login"), {"code": codes[0]}).status_code == 503


# --- the reset needs two administrators ----------------------------------------------------
def test_a_reset_needs_two_administrators_and_is_audited(cast, staff_client):
    second = _second_admin(cast)
    reset = recovery.factor_reset_request(actor=cast.admin, user=cast.alice)
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_approve(actor=cast.admin, reset=reset)  # the one who asked
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_request(actor=second, user=cast.alice)  # one open request at a time
    assert services.totp_device(cast.alice).confirmed
    alice = staff_client(cast.alice)
    recovery.factor_reset_approve(actor=second, reset=reset)
    assert not services.totp_device(cast.alice).confirmed
    assert not _signed_in(alice)  # her sessions ended
    codes = [e.code for e in AuditEntry.objects.filter(object_id=str(cast.alice.pk)).order_by("seq")]
    assert CoreEvent.FACTOR_RESET_REQUESTED in codes and CoreEvent.FACTOR_RESET_APPROVED in codes
    approved = AuditEntry.objects.get(code=CoreEvent.FACTOR_RESET_APPROVED)
    assert approved.actor == second.principal and approved.data["requested_by"] == cast.admin.principal
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_approve(actor=second, reset=reset)  # spent


def test_nobody_resets_their_own_factor_and_old_requests_expire(cast):
    second = _second_admin(cast)
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_request(actor=cast.admin, user=cast.admin)
    reset = recovery.factor_reset_request(actor=second, user=cast.admin)
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_approve(actor=cast.admin, reset=reset)  # the person concerned
    old = recovery.factor_reset_request(actor=cast.admin, user=cast.bob)
    recovery.FactorResetRequest.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(hours=73))
    with pytest.raises(recovery.RecoveryError):
        recovery.factor_reset_approve(actor=second, reset=old)
    assert services.totp_device(cast.bob).confirmed


def test_an_administrator_of_another_organisation_cannot_touch_the_request(cast, staff_client, other_org):
    reset = recovery.factor_reset_request(actor=cast.admin, user=cast.alice)
    foreign, device = services.user_create(actor="system:test", organisation=cast.other_org, username="pia",
                                           role=Role.ADMIN, password="a long test password 1")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    c = staff_client(foreign)
    assert c.post(reverse("accounts:factor_reset_approve", args=[reset.pk])).status_code == 404
    assert c.post(reverse("accounts:factor_reset_cancel", args=[reset.pk])).status_code == 404
    assert staff_client(cast.coordinator).post(reverse("accounts:factor_reset_approve", args=[reset.pk])
                                               ).status_code in (403, 404)
    assert services.totp_device(cast.alice).confirmed
    staff_client(cast.admin).post(reverse("accounts:factor_reset_cancel", args=[reset.pk]))
    assert recovery.open_reset(cast.alice) is None
    assert AuditEntry.objects.filter(code=CoreEvent.FACTOR_RESET_CANCELLED).count() == 1


# --- replacing one's own authenticator -------------------------------------------------------
def test_self_re_enrolment_swaps_the_app_only_after_a_code_from_the_new_one(cast, staff_client):
    c = staff_client(cast.alice)
    old_code = _code(cast.alice)
    refused = c.post(reverse("accounts:totp_replace_start"), {"replace-current": "not my password at all"})
    assert refused.status_code == 302 and recovery.totp_replacement(cast.alice) is None
    c.post(reverse("accounts:totp_replace_start"), {"replace-current": "a long test password 1"})
    new = recovery.totp_replacement(cast.alice)
    assert new is not None and c.get(reverse("accounts:totp_replace")).status_code == 200
    assert services.totp_device(cast.alice).pk != new.pk  # the old app still signs in meanwhile
    assert c.post(reverse("accounts:totp_replace"), {"code": old_code}).status_code == 200
    assert recovery.totp_replacement(cast.alice) is not None
    response = c.post(reverse("accounts:totp_replace"), {"code": totp_store.code_now(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=cast.alice).values_list("pk", "name", "confirmed")) == [
        (new.pk, "default", True)]
    assert _signed_in(c)  # this session carries on with the new device
    assert AuditEntry.objects.filter(code=CoreEvent.TOTP_REPLACED).count() == 1
    fresh = Client()
    _password_step(fresh, "alice")
    assert fresh.post(reverse("accounts:code"), {"code": old_code}).status_code == 200 and not _signed_in(fresh)
