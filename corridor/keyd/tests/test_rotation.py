from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.keyd.agent import Agent
from corridor.keyd.errors import BadRequest, UnwrapFailed
from corridor.keyd.keystore import load_keystore
from corridor.keyd.testing import RunningAgent, running_agent


def test_rotation_keeps_old_keys_readable_rewrap_moves_them_and_retire_kills_v1(kd: RunningAgent) -> None:
    c = kd.client
    keys = [os.urandom(32) for _ in range(3)]
    ads = [f"case:{i}".encode() for i in range(3)]
    v1, wrapped_v1 = c.wrap("w", list(zip(keys, ads, strict=True)))
    index_before = c.blind_index("w", "name", [b"alice", b"bob"])
    public_before = c.public_key()[0]

    status = c.rotate_root()
    assert (status["root_version"], status["root_versions"]) == (2, [1, 2])

    # Old data keys still unwrap; new wraps use v2.
    assert c.unwrap("w", [(w, ad, v1) for w, ad in zip(wrapped_v1, ads, strict=True)]) == keys
    assert c.wrap("w", [(b"k" * 32, b"case:9")])[0] == 2
    # Blind indexes and the audit signing key survive rotation.
    assert c.blind_index("w", "name", [b"alice", b"bob"]) == index_before
    message = b"corridor.test/audit\n1\n" + b"cmNyY3JjcmNyY3JjcmNyY3JjcmNyY3JjcmNyY3JjcmM=\n"
    c.reset_head("new installation")
    Ed25519PublicKey.from_public_bytes(public_before).verify(c.sign("w", message), message)

    v2, wrapped_v2 = c.rewrap("w", [(w, ad, v1) for w, ad in zip(wrapped_v1, ads, strict=True)])
    assert v2 == 2 and all(a != b for a, b in zip(wrapped_v1, wrapped_v2, strict=True))
    assert c.unwrap("w", [(w, ad, v2) for w, ad in zip(wrapped_v2, ads, strict=True)]) == keys

    assert c.retire_root(1)["root_versions"] == [2]
    with pytest.raises(UnwrapFailed, match="root version 1"):
        c.unwrap("w", [(wrapped_v1[0], ads[0], 1)])
    assert c.unwrap("w", [(wrapped_v2[0], ads[0], 2)]) == keys[:1]


def test_rotation_is_persisted_and_survives_a_restart(tmp_path: Path) -> None:
    with running_agent(tmp_path) as kd:
        v1, [w1] = kd.client.wrap("w", [(b"1" * 32, b"case:1")])
        index = kd.client.blind_index("w", "name", [b"alice"])
        kd.client.rotate_root()
        v2, [w2] = kd.client.wrap("w", [(b"2" * 32, b"case:2")])
        data = json.loads(Path(kd.keystore_path).read_text())
        assert data["current_root"] == 2 and sorted(data["roots"]) == ["1", "2"]
        assert data["index_key"]["root_version"] == 2 and data["signing_key"]["root_version"] == 2
        fresh = Agent(load_keystore(kd.keystore_path))
        fresh.unseal_passphrase(kd.passphrase)
        r = fresh.handle({"op": "unwrap", "principal": "w", "items": [
            {"wrapped": _b64(w1), "ad": _b64(b"case:1"), "root_version": v1},
            {"wrapped": _b64(w2), "ad": _b64(b"case:2"), "root_version": v2},
        ]})
        assert r["ok"] and r["keys"] == [_b64(b"1" * 32), _b64(b"2" * 32)]
        assert fresh.handle({"op": "blind_index", "principal": "w", "kind": "name", "values": [_b64(b"alice")]})[
            "indexes"] == [_b64(index[0])]


def test_rotation_with_shamir_keeps_the_same_shares(tmp_path: Path) -> None:
    with running_agent(tmp_path, mode="shamir", threshold=2, shares=3) as kd:
        kd.client.rotate_root()
        kd.client.seal()
        kd.client.unseal_share(kd.shares[2])
        assert kd.client.unseal_share(kd.shares[0])["root_versions"] == [1, 2]


def test_retiring_the_current_or_an_unknown_version_is_refused(kd: RunningAgent) -> None:
    with pytest.raises(BadRequest, match="current"):
        kd.client.retire_root(1)
    with pytest.raises(BadRequest, match="does not exist"):
        kd.client.retire_root(5)
    assert kd.client.status()["root_versions"] == [1]


def test_admin_uids_restrict_rotation_and_retirement(kd: RunningAgent) -> None:
    kd.agent.admin_uids = {os.getuid() + 1}
    with pytest.raises(BadRequest, match="may not rotate"):
        kd.client.rotate_root()
    with pytest.raises(BadRequest, match="may not rotate"):
        kd.client.retire_root(1)
    assert kd.client.status()["root_versions"] == [1]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
