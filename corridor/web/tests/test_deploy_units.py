"""The systemd units in deploy/ parse cleanly and carry the hardening they promise."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[3] / "deploy" / "systemd"
VENV = Path(sys.prefix)


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    text = (UNITS / name).read_text().replace("\\\n", " ")
    parser.read_string(text)
    return parser


def _installed(tmp_path: Path) -> list[Path]:
    """The units with the release path pointed at this checkout's virtualenv, so that
    systemd-analyze can check that every ExecStart exists."""
    out = []
    for unit in sorted(UNITS.iterdir()):
        target = tmp_path / unit.name
        target.write_text(unit.read_text().replace("/srv/corridor/.venv", str(VENV)))
        out.append(target)
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_accepts_every_unit(tmp_path):
    units = _installed(tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, units)],
                          capture_output=True, text=True, timeout=120)
    # systemd-analyze exits 0 on unknown keys and bad values: any message is a failure.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr
    # The same check catches a mistyped option (so an empty report means something).
    bad = tmp_path / "bad.service"
    bad.write_text(units[0].read_text().replace("NoNewPrivileges=yes", "NoNewPrivilegez=yes"))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert "NoNewPrivilegez" in done.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in UNITS.glob("*.service")))
def test_every_service_is_hardened(name):
    service = _unit(name)["Service"]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                       ("MemoryDenyWriteExecute", "yes"), ("ProtectHome", "yes")):
        assert service.get(key) == value, f"{name}: {key}"
    assert service.get("User") not in (None, "root")


def test_the_key_agent_runs_alone_under_its_own_user():
    keyd, web = _unit("corridor-keyd.service")["Service"], _unit("corridor-web.service")["Service"]
    assert keyd["User"] == "corridor-keyd" != web["User"]
    assert keyd["PrivateNetwork"] == "yes" and keyd["RestrictAddressFamilies"] == "AF_UNIX"
    assert keyd["StateDirectoryMode"] == "0700" and keyd["LimitCORE"] == "0"
    assert "--allow-uid" in keyd["ExecStart"] and "--admin-uid" in keyd["ExecStart"]
    # Nothing the web user runs can read the agent's state directory.
    for name in ("corridor-web.service", "corridor-front.service", "corridor-ticker.service"):
        assert "corridor-keyd" not in _unit(name)["Service"].get("ReadWritePaths", "")


def test_the_shared_agent_unit_differs_only_by_its_mutual_tls_listener():
    """The key host's unit for several application hosts opens the network and nothing else."""
    alone, shared = _unit("corridor-keyd.service")["Service"], _unit("corridor-keyd-shared.service")["Service"]
    assert shared["PrivateNetwork"] == "no" and shared["RestrictAddressFamilies"] == "AF_UNIX AF_INET AF_INET6"
    for flag in ("--listen", "--tls-cert", "--tls-key", "--tls-ca", "--tls-clients", "--admin-uid"):
        assert flag in shared["ExecStart"], flag
    assert " ".join(shared["ExecStart"].split()).startswith(" ".join(alone["ExecStart"].split()))
    assert {k: v for k, v in alone.items() if k not in {"PrivateNetwork", "RestrictAddressFamilies", "ExecStart"}} \
        == {k: v for k, v in shared.items() if k not in {"PrivateNetwork", "RestrictAddressFamilies", "ExecStart"}}
    assert _unit("corridor-keyd-shared.service")["Unit"]["Conflicts"] == "corridor-keyd.service"
