from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from corridor.keyd.ceiling import Ceiling
from corridor.keyd.client import KeydClient
from corridor.keyd.errors import CeilingTripped, Sealed
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


def test_ceiling_breach_seals_the_agent_and_names_the_principal(tmp_path: Path) -> None:
    with running_agent(tmp_path, unwrap_limit=10) as kd:
        v, [w] = kd.client.wrap("w", [(b"k" * 32, b"case:1")])
        item = (w, b"case:1", v)
        assert kd.client.unwrap("bulk-exporter", [item] * 6)
        assert kd.client.unwrap("bulk-exporter", [item] * 4)  # exactly at the ceiling: allowed
        assert kd.client.unwrap("clerk", [item] * 10)  # ceilings are per principal
        with pytest.raises(CeilingTripped, match="bulk-exporter"):
            kd.client.unwrap("bulk-exporter", [item])
        status = kd.client.status()
        assert status["sealed"] is True
        assert status["sealed_reason"] == "unwrap ceiling exceeded by bulk-exporter"
        with pytest.raises(Sealed):
            kd.new_client().unwrap("clerk", [item])
        kd.flush_journal()
        events = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines()]
        assert {"op": "ceiling", "principal": "bulk-exporter"}.items() <= events[-2].items()
        assert events[-1]["op"] == "seal"
        # An operator unseals; the window starts afresh.
        kd.client.unseal_passphrase(kd.passphrase)
        assert kd.client.unwrap("bulk-exporter", [item]) == [b"k" * 32]


def test_one_oversized_batch_trips_the_ceiling_before_anything_is_decrypted(tmp_path: Path) -> None:
    with running_agent(tmp_path, unwrap_limit=100) as kd:
        v, [w] = kd.client.wrap("w", [(b"k" * 32, b"case:1")])
        with pytest.raises(CeilingTripped):
            kd.client.unwrap("dump", [(w, b"case:1", v)] * 101)
        assert kd.client.status()["sealed"] is True


def test_hpke_open_counts_toward_the_ceiling(tmp_path: Path) -> None:
    with running_agent(tmp_path, unwrap_limit=2) as kd:
        private = X25519PrivateKey.generate()
        v, [w] = kd.client.wrap("w", [(private.private_bytes_raw(), b"form:1")])
        kd.client.unwrap("intake", [(w, b"form:1", v)] * 2)
        with pytest.raises(CeilingTripped, match="intake"):
            kd.client.hpke_open("intake", (w, b"form:1", v), os.urandom(48), b"")


def test_ceiling_window_slides() -> None:
    now = [1000.0]
    ceiling = Ceiling(10, lambda: now[0])
    assert ceiling.add("p", 10)
    now[0] += 30
    assert not ceiling.add("p", 1)  # 11 within 60 s
    now[0] += 31  # the first 10 are now older than 60 s
    assert ceiling.add("p", 9)
    assert not ceiling.add("p", 1)
    ceiling.reset()
    assert ceiling.add("p", 10)


def test_ceiling_forgets_idle_principals() -> None:
    now = [0.0]
    ceiling = Ceiling(5, lambda: now[0])
    for i in range(10_002):
        ceiling.add(f"p{i}", 1)
    now[0] += 61
    ceiling.add("fresh", 1)
    assert len(ceiling._buckets) == 1
