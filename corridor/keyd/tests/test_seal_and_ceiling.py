from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from corridor.keyd.client import KeydClient
from corridor.keyd.errors import CeilingTripped, PrincipalSuspended, Sealed, UnwrapFailed
from corridor.keyd.testing import RunningAgent, running_agent


def _every_key_op(c: KeydClient, wrapped: bytes, hpke_wrapped: bytes) -> dict[str, Callable[[], object]]:
    return {
        "unwrap": lambda: c.unwrap("w2", [(wrapped, b"case:1", 1)]),
        "wrap": lambda: c.wrap("w2", [(b"k" * 32, b"case:1")]),
        "rewrap": lambda: c.rewrap("w2", [(wrapped, b"case:1", 1)]),
        "blind_index": lambda: c.blind_index("w2", "name", [b"alice"]),
        "sign": lambda: c.sign("w2", b"m"),
        "hpke_open": lambda: c.hpke_open("w2", (hpke_wrapped, b"form:1", 1), b"\x00" * 48, b""),
        "rotate_root": c.rotate_root,
        "retire_root": lambda: c.retire_root(1),
    }


def test_after_seal_every_key_op_fails_including_on_connections_opened_before(kd: RunningAgent) -> None:
    worker1, worker2 = kd.client, kd.new_client()
    _, [wrapped] = worker1.wrap("w1", [(b"k" * 32, b"case:1")])
    _, [hpke_wrapped] = worker1.wrap("w1", [(X25519PrivateKey.generate().private_bytes_raw(), b"form:1")])
    # worker2's connection is open and has been used before the seal.
    assert worker2.unwrap("w2", [(wrapped, b"case:1", 1)]) == [b"k" * 32]
    assert worker2.blind_index("w2", "name", [b"alice"])

    assert worker1.seal("suspected compromise")["sealed"] is True

    for name, op in _every_key_op(worker2, wrapped, hpke_wrapped).items():
        with pytest.raises(Sealed):
            op()
        assert name  # (for the failure message)
    status = worker2.status()
    assert status["sealed"] is True and status["sealed_reason"] == "suspected compromise"
    assert worker2.public_key()[1] == "corridor.test/audit"


def test_seal_wipes_key_buffers(kd: RunningAgent) -> None:
    state = kd.agent._state
    assert state is not None
    buffers = [state.kek, state.index_key, state.signing_raw, *state.roots.values()]
    kd.client.seal()
    assert all(buf == bytearray(len(buf)) for buf in buffers)


def test_unseal_after_seal_restores_service_with_the_same_keys(kd: RunningAgent) -> None:
    v, [w] = kd.client.wrap("w", [(b"k" * 32, b"case:1")])
    index = kd.client.blind_index("w", "name", [b"alice"])
    kd.client.seal()
    kd.client.unseal_passphrase(kd.passphrase)
    assert kd.client.unwrap("w", [(w, b"case:1", v)]) == [b"k" * 32]
    assert kd.client.blind_index("w", "name", [b"alice"]) == index


def test_one_request_for_extremely_many_distinct_keys_seals_before_anything_is_decrypted(tmp_path: Path) -> None:
    with running_agent(tmp_path, unwrap_limit=100) as kd:
        # an operator's suspension limit is 100 distinct keys; twice that in one go is extreme
        v, wrapped = kd.client.wrap("w", [(b"k" * 32, f"case:{i}".encode()) for i in range(201)])
        items = [(w, f"case:{i}".encode(), v) for i, w in enumerate(wrapped)]
        with pytest.raises(CeilingTripped, match="201 distinct keys at once"):
            kd.client.unwrap("user:dump;role=operator", items)
        assert kd.client.status()["sealed"] is True
        kd.flush_journal()
        events = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines()]
        assert [e["op"] for e in events[-3:]] == ["unwrap", "ceiling", "seal"]
        assert events[-3]["ok"] is False
        # An operator unseals; every window starts afresh.
        kd.client.unseal_passphrase(kd.passphrase)
        assert kd.client.unwrap("user:dump;role=operator", items[:1]) == [b"k" * 32]


def test_hpke_open_counts_toward_the_ceiling_by_distinct_key(tmp_path: Path) -> None:
    with running_agent(tmp_path, unwrap_limit=2) as kd:  # operator: warn above 1, suspend above 2
        keys = [X25519PrivateKey.generate() for _ in range(3)]
        v, ws = kd.client.wrap("w", [(k.private_bytes_raw(), f"form:{i}".encode()) for i, k in enumerate(keys)])
        for _ in range(20):  # the same intake key again and again costs nothing
            with pytest.raises(UnwrapFailed):
                kd.client.hpke_open("user:i;role=operator", (ws[0], b"form:0", v), os.urandom(48), b"")
        kd.client.unwrap("user:i;role=operator", [(ws[1], b"form:1", v)])
        with pytest.raises(PrincipalSuspended):
            kd.client.hpke_open("user:i;role=operator", (ws[2], b"form:2", v), os.urandom(48), b"")
        assert kd.client.status()["sealed"] is False
