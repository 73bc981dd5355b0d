from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keyd.client import KeydClient
from corridor.keyd.keystore import create_keystore
from corridor.keyd.testing import FAST_KDF

PASS = "correct horse battery staple"


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    keystore = str(tmp_path / "ks.json")
    create_keystore(keystore, mode="passphrase", passphrase=PASS, log_origin="corridor.test/audit", kdf_params=FAST_KDF)
    sock_dir = tempfile.mkdtemp(prefix="kd", dir="/tmp")
    yield keystore, os.path.join(sock_dir, "s"), str(tmp_path / "journal.jsonl")
    shutil.rmtree(sock_dir, ignore_errors=True)


def _start(keystore: str, sock: str, journal: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridor.keyd", "--socket", sock, "--keystore", keystore, "--journal", journal],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline() == f"keyd: listening on {sock} (sealed)\n"
    return proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_seals_removes_the_socket_and_exits_zero(paths: tuple[str, str, str], sig: signal.Signals) -> None:
    keystore, sock, journal = paths
    proc = _start(keystore, sock, journal)
    try:
        with KeydClient(sock) as client:
            assert client.status()["sealed"] is True
            client.unseal_passphrase(PASS)
            v, [w] = client.wrap("w", [(b"k" * 32, b"case:1")])
            assert client.unwrap("w", [(w, b"case:1", v)]) == [b"k" * 32]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert not os.path.exists(sock)
    assert out == "" and err == ""  # nothing but the ready line, ever
    ops = [json.loads(x)["op"] for x in Path(journal).read_text().splitlines()]
    assert ops == ["unseal", "unwrap", "seal"]


def test_refuses_to_start_on_a_world_writable_directory(paths: tuple[str, str, str]) -> None:
    keystore, sock, _ = paths
    os.chmod(os.path.dirname(sock), 0o777)
    proc = subprocess.run(
        [sys.executable, "-m", "corridor.keyd", "--socket", sock, "--keystore", keystore],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0 and "world-writable" in proc.stderr
    assert not os.path.exists(sock)
