from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from corridor.keyd.journal import Journal
from corridor.keyd.testing import running_agent


def test_journal_has_one_line_per_unwrap_and_no_key_bytes(tmp_path: Path) -> None:
    with running_agent(tmp_path) as kd:
        keys = [os.urandom(32) for _ in range(3)]
        ads = [b"person:1/name", b"person:2/name", b"person:3/phone"]
        v, wrapped = kd.client.wrap("clerk", list(zip(keys, ads, strict=True)))
        for w, ad in zip(wrapped, ads, strict=True):
            kd.client.unwrap("clerk", [(w, ad, v)])
        kd.client.unwrap("report", [(w, ad, v) for w, ad in zip(wrapped, ads, strict=True)])
        kd.client.rewrap("migrator", [(wrapped[0], ads[0], v)])
        assert stat.S_IMODE(os.stat(kd.journal_path).st_mode) == 0o600
    raw = Path(kd.journal_path).read_bytes()  # stopping the agent flushed the journal
    lines = [json.loads(x) for x in raw.decode().splitlines()]
    unwraps = [x for x in lines if x["op"] == "unwrap"]
    assert [(x["principal"], x["n"]) for x in unwraps] == [("clerk", 1)] * 3 + [("report", 3)]
    assert unwraps[0]["ads"] == [hashlib.sha256(ads[0]).hexdigest()[:8]]
    assert unwraps[3]["ads"] == [hashlib.sha256(a).hexdigest()[:8] for a in ads]
    assert all(x["ok"] is True and x["t"].endswith("+00:00") for x in unwraps)
    assert [x["principal"] for x in lines if x["op"] == "rewrap"] == ["migrator"]
    assert lines[-1]["op"] == "seal"  # the helper seals on exit
    for secret in keys:
        for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
            assert form not in raw
    for ad in ads:
        assert ad not in raw  # record identifiers appear only as hash prefixes


def test_failed_unwraps_and_hpke_opens_are_journaled_too(tmp_path: Path) -> None:
    with running_agent(tmp_path) as kd:
        private = X25519PrivateKey.generate()
        v, [w] = kd.client.wrap("w", [(private.private_bytes_raw(), b"form:1")])
        try:
            kd.client.unwrap("probe", [(w, b"form:2", v)])
        except Exception:
            pass
        try:
            kd.client.hpke_open("intake", (w, b"form:1", v), b"\x00" * 64, b"")
        except Exception:
            pass
        kd.flush_journal()
        lines = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines()]
    assert [(x["op"], x["principal"], x["ok"]) for x in lines if x["op"] in ("unwrap", "hpke_open")] == [
        ("unwrap", "probe", False), ("hpke_open", "intake", False)]


def test_journal_flushes_in_the_background_within_the_interval(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", interval=0.05)
    try:
        journal.record("unwrap", "p", n=1, ads=[b"a"])
        deadline = time.monotonic() + 2
        while not (tmp_path / "j.jsonl").read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert json.loads((tmp_path / "j.jsonl").read_text())["principal"] == "p"
    finally:
        journal.close()


def test_a_failing_journal_seals_the_agent(tmp_path: Path) -> None:
    with running_agent(tmp_path) as kd:
        journal = kd.agent.journal
        assert isinstance(journal, Journal)
        os.close(journal._fd)  # type: ignore[arg-type]
        journal._fd = os.open("/dev/full", os.O_WRONLY)  # every write fails with ENOSPC
        v, [w] = kd.client.wrap("w", [(b"k" * 32, b"case:1")])
        kd.client.unwrap("w", [(w, b"case:1", v)])
        journal.flush()
        status = kd.client.status()
        assert status["sealed"] is True and status["sealed_reason"] == "journal write failed"
