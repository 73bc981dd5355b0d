"""`corridor unseal --all`: trustees type their shares once; this host's agent checks
them, then every host in CORRIDOR_HOSTS is unsealed through its own command, the
shares written to that command's standard input (never its command line)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from corridor.keyd.agent import Agent
from corridor.keyd.client import KeydClient
from corridor.keyd.journal import Journal
from corridor.keyd.keystore import load_keystore
from corridor.keyd.server import KeydServer
from corridor.keyd.testing import running_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agents(tmp_path, settings):
    """This host's agent (Shamir 2 of 3, sealed) and a second host's agent started from a
    copy of the same keystore, reached through a `corridor` command of its own."""
    with running_agent(tmp_path, mode="shamir", threshold=2, shares=3, unseal=False) as here:
        settings.CORRIDOR_KEYD_SOCKET = here.socket_path
        settings.CORRIDOR_KEYSTORE = here.keystore_path
        other_keystore = tmp_path / "other-keystore.json"
        shutil.copy2(here.keystore_path, other_keystore)
        sock_dir = tempfile.mkdtemp(prefix="kd", dir="/tmp")
        socket_path = os.path.join(sock_dir, "s")
        journal = Journal(str(tmp_path / "other-journal.jsonl"))
        other = Agent(load_keystore(str(other_keystore)), unwrap_limit=3000, journal=journal)
        server = KeydServer(socket_path, other, allowed_uids=None)
        server.start()
        var = tmp_path / "other-var"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
        env.update(CORRIDOR_VAR=str(var), CORRIDOR_KEYD_SOCKET=socket_path, CORRIDOR_KEYSTORE=str(other_keystore))
        migrated = subprocess.run([sys.executable, "-m", "corridor.cli", "migrate", "-v", "0"], env=env,
                                  capture_output=True, text=True, timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        # `env` passes on this process's environment: drop the suite's DATABASE_URL so the
        # second host keeps its own database, as it was migrated above.
        prefix = " ".join(["env", "-u", "DATABASE_URL", *(f"{k}={env[k]}" for k in ("CORRIDOR_VAR", "CORRIDOR_KEYD_SOCKET",
                                                              "CORRIDOR_KEYSTORE")),
                           sys.executable, "-m", "corridor.cli"])
        settings.CORRIDOR_HOSTS = [f"app2={prefix}"]
        try:
            yield here, KeydClient(socket_path)
        finally:
            other.seal("test stopped")
            server.shutdown()
            journal.close()
            shutil.rmtree(sock_dir, ignore_errors=True)


def _run(monkeypatch, *args, stdin: str = "") -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("unseal", *args, stdout=out)
    return out.getvalue()


def test_one_ceremony_unseals_every_host(two_agents, monkeypatch):
    here, other = two_agents
    assert here.client.status()["sealed"] and other.status()["sealed"]
    out = _run(monkeypatch, "--all", "--stdin", stdin="\n".join(here.shares[1:3]) + "\n")
    assert "app2: Unsealed." in out
    assert not here.client.status()["sealed"] and not other.status()["sealed"]


def test_a_wrong_share_unseals_no_host(two_agents, monkeypatch):
    here, other = two_agents
    wrong = here.shares[0][:-8] + ("0" if here.shares[0][-8] != "0" else "1") + here.shares[0][-7:]
    with pytest.raises(CommandError):
        _run(monkeypatch, "--all", "--stdin", stdin=f"{wrong}\n{here.shares[1]}\n")
    assert here.client.status()["sealed"] and other.status()["sealed"]


def test_a_host_that_refuses_is_named_and_the_command_fails(two_agents, monkeypatch, settings):
    here, other = two_agents
    settings.CORRIDOR_HOSTS = [*settings.CORRIDOR_HOSTS, f"gone={sys.executable} -c 'import sys; sys.exit(3)'"]
    with pytest.raises(CommandError, match="gone"):
        _run(monkeypatch, "--all", "--stdin", stdin="\n".join(here.shares[:2]) + "\n")
    # The reachable host was still unsealed.
    assert not here.client.status()["sealed"] and not other.status()["sealed"]


def test_the_shares_never_appear_on_a_command_line(two_agents, monkeypatch, settings, tmp_path):
    here, _other = two_agents
    seen = tmp_path / "argv"
    script = f"import sys; open({str(seen)!r}, 'w').write(repr(sys.argv) + sys.stdin.read())"
    settings.CORRIDOR_HOSTS = [f"spy={sys.executable} -c \"{script}\""]
    _run(monkeypatch, "--all", "--stdin", stdin="\n".join(here.shares[:2]) + "\n")
    argv, _, stdin = seen.read_text().partition("]")
    assert all(share not in argv for share in here.shares[:2])
    assert all(share in stdin for share in here.shares[:2])


def test_all_without_hosts_is_refused(fresh_agent, settings, monkeypatch):
    settings.CORRIDOR_HOSTS = []
    with pytest.raises(CommandError, match="CORRIDOR_HOSTS"):
        _run(monkeypatch, "--all")
