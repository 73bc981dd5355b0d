"""The `corridor` command as an operator uses it: real processes, a real agent."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.anydb]
PASSPHRASE = "a long root passphrase for tests"


def _env(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update(CORRIDOR_VAR=str(var), CORRIDOR_KEYD_SOCKET=str(_short_socket(var)), **extra)
    return env


def _short_socket(var: Path) -> Path:
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp paths can be longer.
    import hashlib

    return Path("/tmp") / f"cor-{hashlib.sha256(str(var).encode()).hexdigest()[:10]}" / "keyd.sock"


def corridor(var: Path, *args: str, input: str | None = None, timeout: int = 120, **extra: str):
    return subprocess.run([sys.executable, "-m", "corridor.cli", *args], env=_env(var, **extra),
                          capture_output=True, text=True, input=input, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, var: Path, *extra: str) -> None:
        _short_socket(var).parent.mkdir(mode=0o700, exist_ok=True)
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", *extra],
            env=_env(var), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stdout.read()) from None
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        return self.proc.returncode, out


@pytest.fixture
def var(tmp_path):
    var = tmp_path / "var"
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE)
    admin = tmp_path / "admin"
    admin.write_text("administrator password 12")
    result = corridor(var, "init", "--org", "Test Org", "--slug", "test", "--admin", "ada",
                      "--passphrase-file", str(pw), "--admin-password-file", str(admin))
    assert result.returncode == 0, result.stderr
    assert "Authenticator key:" in result.stdout
    return var


def test_help_lists_every_command_in_plain_words(tmp_path):
    out = subprocess.run([sys.executable, "-m", "corridor.cli", "--help"], capture_output=True, text=True).stdout
    for command in ("init", "serve", "unseal", "seal", "status", "demo", "createuser", "audit", "rotate-root"):
        assert re.search(rf"^\s+{command}\s+\w", out, re.M), command


@pytest.mark.parametrize("command", ["init", "serve", "unseal", "seal", "status", "demo", "createuser", "audit",
                                     "rotate-root", "backup", "totp", "verify-bundle", "alerts",
                                     "intake_retention", "close_month", "import_rates", "publish_report"])
def test_every_command_has_help(tmp_path, command):
    result = corridor(tmp_path / "var", command, "--help")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) > 200


def test_serve_starts_both_processes_and_stops_them_on_sigterm(var):
    server = Server(var, "--unseal-passphrase-file", str(var.parent / "pw"))
    status = corridor(var, "status")
    assert "unsealed" in status.stdout
    code, out = server.stop()
    assert code == 0, out
    assert "Stopped." in out
    assert not _short_socket(var).exists()
    assert "not running" in corridor(var, "status").stdout


def test_a_wrong_passphrase_is_refused_clearly_and_changes_nothing(var):
    server = Server(var)
    try:
        bad = var.parent / "bad"
        bad.write_text("this is not the passphrase")
        result = corridor(var, "unseal", "--passphrase-file", str(bad))
        assert result.returncode != 0
        assert "Nothing changed" in result.stderr
        assert "SEALED" in corridor(var, "status").stdout
        good = corridor(var, "unseal", "--passphrase-file", str(var.parent / "pw"))
        assert good.returncode == 0 and "Unsealed" in good.stdout
        assert corridor(var, "seal").returncode == 0
        assert "SEALED" in corridor(var, "status").stdout
    finally:
        server.stop()


def test_shamir_init_prints_shares_and_any_quorum_unseals(tmp_path):
    var = tmp_path / "var"
    admin = tmp_path / "admin"
    admin.write_text("administrator password 12")
    result = corridor(var, "init", "--org", "Org", "--slug", "o", "--admin", "ada", "--shamir", "2-of-3",
                      "--admin-password-file", str(admin))
    assert result.returncode == 0, result.stderr
    shares = re.findall(r"corridor-share-\S+", result.stdout)
    assert len(shares) == 3
    keystore = (var / "keystore.json").read_text()
    assert all(share.split("-")[4] not in keystore for share in shares)
    server = Server(var)
    try:
        mistyped = shares[0][:-6] + ("0" if shares[0][-6] != "0" else "1") + shares[0][-5:]
        bad = corridor(var, "unseal", "--share", mistyped)
        assert bad.returncode != 0 and "Nothing changed" in bad.stderr
        assert "SEALED" in corridor(var, "status").stdout
        ok = corridor(var, "unseal", "--share", shares[2], "--share", shares[0])
        assert ok.returncode == 0, ok.stderr
        assert "unsealed" in corridor(var, "status").stdout
    finally:
        server.stop()


def test_rotate_root_rewraps_keys_and_data_still_opens(var):
    server = Server(var, "--unseal-passphrase-file", str(var.parent / "pw"))
    try:
        result = corridor(var, "rotate-root", "--retire")
        assert result.returncode == 0, result.stderr
        assert "Root key is now version 2" in result.stdout
        assert "version 2 (live: [2])" in corridor(var, "status").stdout
        # Unsigned history no longer verifies: sign first. keyd's signed-head state,
        # started by init, was re-authenticated under root 2 before root 1 was retired.
        signed = corridor(var, "audit", "checkpoint")
        assert signed.returncode == 0, signed.stderr
        assert "Signed head: ok" in corridor(var, "status").stdout
        verify = corridor(var, "audit", "verify", "--quiet")
        assert verify.returncode == 0, verify.stderr
    finally:
        server.stop()


def test_init_refuses_a_short_passphrase_and_creates_nothing(tmp_path):
    var = tmp_path / "var"
    pw = tmp_path / "pw"
    pw.write_text("short")
    result = corridor(var, "init", "--org", "O", "--admin", "ada", "--passphrase-file", str(pw),
                      "--admin-password-file", str(pw))
    assert result.returncode != 0
    assert not (var / "keystore.json").exists()


def test_init_sets_the_organisations_time_zone_and_refuses_an_unknown_one(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE)
    admin = tmp_path / "admin"
    admin.write_text("administrator password 12")
    bad = corridor(tmp_path / "bad", "init", "--org", "O", "--admin", "ada", "--time-zone", "Moscow",
                   "--passphrase-file", str(pw), "--admin-password-file", str(admin))
    assert bad.returncode != 0 and "Unknown time zone" in bad.stderr
    assert not (tmp_path / "bad" / "keystore.json").exists()
    good = corridor(tmp_path / "var", "init", "--org", "O", "--slug", "o", "--admin", "ada",
                    "--time-zone", "Europe/Berlin", "--passphrase-file", str(pw), "--admin-password-file", str(admin))
    assert good.returncode == 0, good.stderr
    assert "time zone Europe/Berlin" in good.stdout
