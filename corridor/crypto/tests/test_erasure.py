"""Key shredding through the database: every earlier copy of a destroyed key's
wrapped blob stops opening, its bucket-mates keep working, and the ordering
against concurrent key creation, sealed agents and rolled-back erasures holds."""

from __future__ import annotations

import os
import sqlite3
import stat
from types import SimpleNamespace

import pytest
from django.db import transaction

from corridor.cases.models import Person
from corridor.cases.services import person_create
from corridor.crypto import context
from corridor.crypto.apps import _private_sqlite_files
from corridor.crypto.keys import (
    data_key_bytes,
    destroy_data_key,
    destroy_data_keys,
    keyd,
    legacy_keys,
    new_data_keys,
    rewrap_all,
    settle_buckets,
)
from corridor.crypto.models import DataKey, ErasureBucket
from corridor.keyd.errors import UnwrapFailed

pytestmark = pytest.mark.django_db


def _copy(dk: DataKey) -> tuple[bytes, bytes, int]:
    """What an attacker keeps: the wrapped blob as it sits in the database now."""
    dk = DataKey.objects.get(pk=dk.pk)
    return bytes(dk.wrapped), dk.wrap_ad(), dk.root_version


def _opens(item: tuple[bytes, bytes, int]) -> bool:
    try:
        keyd().unwrap("attacker", [item])
    except UnwrapFailed:
        return False
    return True


def _key(dk: DataKey) -> bytes:
    context.cache_clear()
    return data_key_bytes(DataKey.objects.get(pk=dk.pk))


def test_destroying_a_key_kills_its_old_copies_and_keeps_its_mates(django_capture_on_commit_callbacks):
    dks = new_data_keys(scope="person", count=5)
    keys = [_key(dk) for dk in dks]
    assert {dk.bucket for dk in dks} == {dks[0].bucket} and dks[0].root_version == 0
    stolen = [_copy(dk) for dk in dks]
    with django_capture_on_commit_callbacks(execute=True):
        destroy_data_key(dks[2])
    assert not _opens(stolen[2])
    assert DataKey.objects.get(pk=dks[2].pk).wrapped is None
    assert [_key(dks[i]) for i in (0, 1, 3, 4)] == [keys[i] for i in (0, 1, 3, 4)]
    # The mates' pre-erasure copies are dead too: nothing of that generation survives.
    assert not any(_opens(stolen[i]) for i in (0, 1, 3, 4))
    # (The session's shared agent may still hold other tests' buckets: their on_commit
    # retirements never run inside a rolled-back test transaction.)
    assert str(dks[0].bucket) not in keyd().status()["retiring"]
    assert ErasureBucket.objects.get(id=dks[0].bucket).gen == DataKey.objects.get(pk=dks[0].pk).bucket_gen


def test_an_erased_persons_fields_cannot_be_recovered_from_an_old_copy(org, django_capture_on_commit_callbacks):
    from corridor.cases.services import person_erase

    person = person_create(actor="system:test", organisation=org, identity={"name_cyrillic": "Анна"},
                           phone="+79281112233", notes="secret")
    stolen = _copy(person.data_key)
    with django_capture_on_commit_callbacks(execute=True):
        person_erase(actor="system:test", person=person)
    assert not _opens(stolen)


def test_a_rolled_back_erasure_loses_nothing_and_settle_finishes_cleanly(django_capture_on_commit_callbacks):
    dks = new_data_keys(scope="person", count=3)
    keys = [_key(dk) for dk in dks]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        destroy_data_key(dks[0])
        raise Boom
    assert str(dks[0].bucket) in keyd().status()["retiring"]  # the agent had moved on
    assert [_key(dk) for dk in dks] == keys
    with django_capture_on_commit_callbacks(execute=True):
        assert settle_buckets() >= 1
    assert str(dks[0].bucket) not in keyd().status()["retiring"]
    assert [_key(dk) for dk in dks] == keys


def test_an_erasure_while_sealed_is_finished_at_the_first_tick_after_unseal(keyd_agent,
                                                                             django_capture_on_commit_callbacks):
    dks = new_data_keys(scope="contact", count=2)
    stolen = _copy(dks[0])
    keyd_agent.agent.seal("test")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            destroy_data_key(dks[0])
        assert ErasureBucket.objects.get(id=dks[0].bucket).dirty
        assert settle_buckets() == 0  # still sealed: nothing can be done yet
    finally:
        keyd_agent.agent.unseal_passphrase(keyd_agent.passphrase)
    assert _opens(stolen)  # the documented window until the agent is back
    with django_capture_on_commit_callbacks(execute=True):
        settle_buckets()
    assert not _opens(stolen)
    assert not ErasureBucket.objects.get(id=dks[0].bucket).dirty
    assert _key(dks[1])


def test_a_key_made_after_an_erasure_overtook_its_wrap_is_wrapped_again(monkeypatch):
    """Worker A wraps a new key; before it locks the bucket row, worker B's erasure
    commits (new generation, row moved on, old generation retired). A must not
    store its now-doomed blob."""
    from corridor.crypto import keys as keys_mod

    new_data_keys(scope="person", count=1)  # stands for B's victim, so the bucket exists
    real_lock = keys_mod._lock_bucket
    raced = {}

    def lock_after_a_concurrent_erasure(bucket, gen_if_new, *, share):
        if share and not raced:
            gen = keyd().shred(bucket)
            ErasureBucket.objects.update_or_create(id=bucket, defaults={"gen": gen})
            raced["gen"] = gen
            raced["bucket"] = bucket
        return real_lock(bucket, gen_if_new, share=share)

    monkeypatch.setattr(keys_mod, "_lock_bucket", lock_after_a_concurrent_erasure)
    (late,) = new_data_keys(scope="person", count=1)
    monkeypatch.setattr(keys_mod, "_lock_bucket", real_lock)
    assert late.bucket == raced["bucket"] and late.bucket_gen == raced["gen"]
    keyd().bucket_retire(raced["bucket"], raced["gen"])  # B's retire after its commit
    assert _key(late)


def test_destroying_many_keys_across_buckets_in_one_go(django_capture_on_commit_callbacks):
    dks = new_data_keys(scope="file", count=300)  # spans at least two buckets
    assert len({dk.bucket for dk in dks}) >= 2
    victims = [dks[0], dks[-1]]
    stolen = [_copy(dk) for dk in victims]
    with django_capture_on_commit_callbacks(execute=True):
        destroy_data_keys(victims)
    assert not any(_opens(s) for s in stolen)
    assert _key(dks[1]) and _key(dks[-2])


def test_legacy_root_wrapped_keys_migrate_into_buckets(org):
    raw = os.urandom(32)
    dk = DataKey(scope="person", version=1, root_version=0)
    dk.root_version, (dk.wrapped,) = keyd().wrap("test", [(raw, dk.wrap_ad())])
    dk.save(force_insert=True)
    assert legacy_keys().filter(pk=dk.pk).exists()
    assert _key(dk) == raw  # still readable before the migration
    assert rewrap_all() >= 1
    moved = DataKey.objects.get(pk=dk.pk)
    assert moved.root_version == 0 and moved.bucket is not None and not legacy_keys().exists()
    assert _key(moved) == raw


def test_records_under_a_migrated_key_still_decrypt(org):
    person = person_create(actor="system:test", organisation=org, identity={"name_cyrillic": "Олег"},
                           phone="+79280000001", notes="n")
    # Turn it into a pre-bucket key, as an older installation has.
    raw = _key(person.data_key)
    dk = DataKey.objects.get(pk=person.data_key_id)
    dk.root_version, (dk.wrapped,) = keyd().wrap("test", [(raw, dk.wrap_ad())])
    dk.bucket = dk.bucket_gen = None
    dk.save()
    rewrap_all()
    context.cache_clear()
    assert Person.objects.get(pk=person.pk).phone == "+79280000001"


def test_sqlite_files_are_made_private_and_the_wal_inherits_it(tmp_path):
    db = tmp_path / "corridor.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    os.chmod(db, 0o644)
    _private_sqlite_files(None, SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(db)}))
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("INSERT INTO t VALUES (1)")
    for suffix in ("-wal", "-shm"):
        assert stat.S_IMODE(os.stat(f"{db}{suffix}").st_mode) == 0o600
    conn.close()
