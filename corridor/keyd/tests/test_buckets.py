"""Erasure buckets: the keystore rewrite is the erasure.

Each test plays the attacker who kept a copy of a wrapped key (from a WAL frame,
a free page, a replica) and hands it to the live, unsealed agent afterwards.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from corridor.keyd import buckets as bk
from corridor.keyd.agent import Agent
from corridor.keyd.errors import BadRequest, BadUnseal, UnwrapFailed
from corridor.keyd.keystore import load_keystore
from corridor.keyd.testing import RunningAgent


def _ads(n: int, tag: str = "p") -> list[bytes]:
    return [f"corridor/datakey/v1\x00{tag}{i}".encode() for i in range(n)]


def _erase(c, blobs: list[bytes], ads: list[bytes], victim: int) -> list[bytes]:
    """What corridor.crypto.keys does: shred, re-wrap the mates, retire."""
    bucket, _ = bk.parse_header(blobs[victim])
    gen = c.shred(bucket)
    mates = [i for i in range(len(blobs)) if i != victim]
    _, moved = c.rewrap("w", [(blobs[i], ads[i], 0) for i in mates], erasable=True)
    assert c.bucket_retire(bucket, gen) == [gen - 1]
    out = list(blobs)
    for i, blob in zip(mates, moved, strict=True):
        out[i] = blob
    return out


def test_erasable_wrap_is_bucketed_and_bound_to_its_ad(kd: RunningAgent) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(3)]
    ads = _ads(3)
    version, blobs = c.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    assert version == bk.BUCKETED
    assert {bk.parse_header(b) for b in blobs} == {(1, 1)}
    assert c.unwrap("w", [(b, ad, 0) for b, ad in zip(blobs, ads, strict=True)]) == keys
    with pytest.raises(UnwrapFailed):
        c.unwrap("w", [(blobs[0], ads[1], 0)])  # moved to another record
    forged = bk.header(1, 2) + blobs[0][8:]  # header is authenticated too
    with pytest.raises(UnwrapFailed):
        c.unwrap("w", [(forged, ads[0], 0)])
    # Legacy root-wrapped keys keep working next to bucketed ones.
    v, (legacy,) = c.wrap("w", [(keys[0], ads[0])])
    assert v == 1 and c.unwrap("w", [(legacy, ads[0], 1)]) == [keys[0]]


def test_erasing_one_key_kills_every_old_copy_and_keeps_its_mates(kd: RunningAgent) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(5)]
    ads = _ads(5)
    _, blobs = c.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    stolen = list(blobs)  # the attacker's copy of the database, taken before
    new = _erase(c, blobs, ads, victim=2)

    with pytest.raises(UnwrapFailed, match="erased"):
        c.unwrap("w", [(stolen[2], ads[2], 0)])
    # The mates' old copies die too (their old generation is gone) ...
    with pytest.raises(UnwrapFailed):
        c.unwrap("w", [(stolen[0], ads[0], 0)])
    # ... but their re-wrapped blobs open.
    mates = [i for i in range(5) if i != 2]
    assert c.unwrap("w", [(new[i], ads[i], 0) for i in mates]) == [keys[i] for i in mates]

    # The same holds after a restart from the keystore file alone.
    fresh = Agent(load_keystore(kd.keystore_path))
    fresh.unseal_passphrase(kd.passphrase)
    resp = fresh.handle({"op": "unwrap", "principal": "w", "items": [
        {"wrapped": bk_b64(stolen[2]), "ad": bk_b64(ads[2]), "root_version": 0}]})
    assert resp["ok"] is False and resp["error"] == "unwrap_failed"
    resp = fresh.handle({"op": "unwrap", "principal": "w", "items": [
        {"wrapped": bk_b64(new[0]), "ad": bk_b64(ads[0]), "root_version": 0}]})
    assert resp["ok"] is True
    on_disk = json.loads(Path(kd.keystore_path).read_text())
    assert on_disk["format"] == 2 and list(on_disk["buckets"]["1"]["gens"]) == ["2"]


def bk_b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def test_until_retire_the_old_generation_still_opens(kd: RunningAgent) -> None:
    """A shred whose database transaction rolled back must not lose the keys."""
    c = kd.client
    keys = [os.urandom(32) for _ in range(2)]
    ads = _ads(2)
    _, blobs = c.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    c.shred(1)
    assert c.status()["retiring"] == {"1": [1]}
    assert c.unwrap("w", [(b, ad, 0) for b, ad in zip(blobs, ads, strict=True)]) == keys
    # New wraps into the fill bucket use the new generation.
    _, (later,) = c.wrap("w", [(keys[0], b"x-later")], erasable=True)
    assert bk.parse_header(later) == (1, 2)
    # Retire never drops the current generation, whatever `below` says.
    assert c.bucket_retire(1, 99) == [1]
    assert c.status()["retiring"] == {}
    assert c.unwrap("w", [(later, b"x-later", 0)]) == [keys[0]]
    with pytest.raises(BadRequest):
        c.shred(77)


def test_the_replaced_keystore_bytes_are_overwritten_on_disk(kd: RunningAgent) -> None:
    c = kd.client
    ads = _ads(2)
    _, blobs = c.wrap("w", [(os.urandom(32), ad) for ad in ads], erasable=True)
    # An open descriptor on the old inode reads what is still on the disk blocks
    # once the file is unlinked by the rename.
    old = os.open(kd.keystore_path, os.O_RDONLY)
    try:
        before = os.pread(old, 1 << 20, 0)
        assert b'"buckets"' in before
        _erase(c, blobs, ads, victim=0)
        after = os.pread(old, 1 << 20, 0)
    finally:
        os.close(old)
    assert len(after) == len(before) and after == b"\x00" * len(before)


def test_a_hard_linked_keystore_backup_is_left_intact_and_opens_as_it_was(kd: RunningAgent, tmp_path: Path) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(2)]
    ads = _ads(2)
    _, blobs = c.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    backup = tmp_path / "keystore-backup.json"
    os.link(kd.keystore_path, backup)
    _erase(c, blobs, ads, victim=0)
    # The backup made before the erasure still opens the erased key: documented limit.
    old = Agent(load_keystore(backup))
    old.unseal_passphrase(kd.passphrase)
    resp = old.handle({"op": "unwrap", "principal": "w", "items": [
        {"wrapped": bk_b64(blobs[0]), "ad": bk_b64(ads[0]), "root_version": 0}]})
    assert resp["ok"] is True and bk_b64(keys[0]) == resp["keys"][0]


def test_buckets_fill_up_and_a_restart_opens_a_new_one(kd: RunningAgent) -> None:
    c = kd.client
    n = bk.BUCKET_SIZE + 10
    _, blobs = c.wrap("w", [(os.urandom(32), ad) for ad in _ads(n)], erasable=True)
    assert [bk.parse_header(b)[0] for b in blobs] == [1] * bk.BUCKET_SIZE + [2] * 10
    assert c.status()["buckets"] == 2
    kd.agent.seal("test")
    kd.agent.unseal_passphrase(kd.passphrase)
    _, (after,) = c.wrap("w", [(os.urandom(32), b"after")], erasable=True)
    assert bk.parse_header(after)[0] == 3


def test_root_rotation_rewraps_bucket_keys_so_data_keys_need_no_change(kd: RunningAgent) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(3)]
    ads = _ads(3)
    _, blobs = c.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    c.rotate_root()
    assert c.retire_root(1)["root_versions"] == [2]
    fresh = Agent(load_keystore(kd.keystore_path))
    fresh.unseal_passphrase(kd.passphrase)
    resp = fresh.handle({"op": "unwrap", "principal": "w", "items": [
        {"wrapped": bk_b64(b), "ad": bk_b64(ad), "root_version": 0} for b, ad in zip(blobs, ads, strict=True)]})
    assert resp["ok"] is True and resp["keys"] == [bk_b64(k) for k in keys]


def test_rewrap_moves_legacy_keys_into_buckets(kd: RunningAgent) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(3)]
    ads = _ads(3)
    v, legacy = c.wrap("w", list(zip(keys, ads, strict=True)))
    version, moved = c.rewrap("w", [(b, ad, v) for b, ad in zip(legacy, ads, strict=True)], erasable=True)
    assert version == 0 and all(bk.parse_header(b)[0] >= 1 for b in moved)
    assert c.unwrap("w", [(b, ad, 0) for b, ad in zip(moved, ads, strict=True)]) == keys
    with pytest.raises(BadRequest):
        c.rewrap("w", [(moved[0], ads[0], 0)])  # bucketed keys never go back to the root


def test_a_tampered_bucket_entry_refuses_to_unseal(kd: RunningAgent) -> None:
    c = kd.client
    c.wrap("w", [(os.urandom(32), b"x")], erasable=True)
    data = json.loads(Path(kd.keystore_path).read_text())
    entry = data["buckets"]["1"]["gens"]["1"]
    raw = bytearray(__import__("base64").b64decode(entry["wrapped"]))
    raw[-1] ^= 1
    entry["wrapped"] = bk_b64(bytes(raw))
    Path(kd.keystore_path).write_text(json.dumps(data))
    agent = Agent(load_keystore(kd.keystore_path))
    with pytest.raises(BadUnseal, match="bucket"):
        agent.unseal_passphrase(kd.passphrase)
    assert agent.sealed


def test_bucket_keys_cannot_be_asked_for_through_unwrap(kd: RunningAgent) -> None:
    c = kd.client
    c.wrap("w", [(os.urandom(32), b"x")], erasable=True)
    data = json.loads(Path(kd.keystore_path).read_text())
    wrapped = __import__("base64").b64decode(data["buckets"]["1"]["gens"]["1"]["wrapped"])
    with pytest.raises(BadRequest, match="reserved"):
        c.unwrap("w", [(wrapped, bk.keystore_ad(1, 1), 1)])


def test_concurrent_wraps_during_shreds_never_lose_a_key(kd: RunningAgent) -> None:
    """Workers keep creating keys while another erases: every key handed out opens
    until its generation is retired, and re-wrapping all of them then keeps them."""
    made: list[tuple[bytes, bytes, bytes]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = kd.new_client()
        try:
            for j in range(40):
                key, ad = os.urandom(32), f"w{n}-{j}".encode()
                _, (blob,) = client.wrap("w", [(key, ad)], erasable=True)
                with lock:
                    made.append((key, ad, blob))
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    c = kd.client
    c.wrap("w", [(os.urandom(32), b"seed")], erasable=True)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    gens = [c.shred(1) for _ in range(5)]
    for t in threads:
        t.join()
    assert not errors
    assert c.unwrap("w", [(b, ad, 0) for _, ad, b in made]) == [k for k, _, _ in made]
    _, moved = c.rewrap("w", [(b, ad, 0) for _, ad, b in made], erasable=True)
    c.bucket_retire(1, gens[-1])
    assert c.unwrap("w", [(b, ad, 0) for (_, ad, _), b in zip(made, moved, strict=True)]) == [k for k, _, _ in made]
