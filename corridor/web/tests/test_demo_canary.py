"""After `corridor demo`, nothing on disk reveals the demo people (threat model:
a seized disk or database dump reveals no names, phones or notes)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.anydb]

DECRYPT = r"""
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
django.setup()
from pathlib import Path
from django.conf import settings
from corridor.crypto.agent_session import agent_for_command
from corridor.crypto.context import acting_as
from corridor.cases.models import Person, Case
secrets = []
passphrase = (Path(settings.VAR_DIR) / "demo-passphrase").read_text().strip()
with agent_for_command(passphrase=passphrase), acting_as("system:test"):
    for p in Person.objects.select_related("data_key"):
        identity = p.identity if isinstance(p.identity, dict) else {}
        secrets += [v for k, v in identity.items() if k.startswith("name") and isinstance(v, str)]
        if isinstance(p.phone, str) and p.phone:
            secrets += [p.phone, p.phone[2:]]
        if isinstance(p.notes, str):
            secrets.append(p.notes)
    for c in Case.objects.select_related("person__data_key")[:50]:
        if isinstance(c.summary, str):
            secrets.append(c.summary)
print(json.dumps(secrets, ensure_ascii=False))
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update(CORRIDOR_VAR=str(var), CORRIDOR_DEMO="1")
    return env


def test_the_demo_database_wal_and_logs_hold_no_demo_person(tmp_path):
    var = tmp_path / "var"
    demo = subprocess.run([sys.executable, "-m", "corridor.cli", "demo", "--cases", "60", "--seed", "7"],
                          env=_env(var), capture_output=True, timeout=300)
    assert demo.returncode == 0, demo.stderr.decode()[-2000:]
    out = subprocess.run([sys.executable, "-c", DECRYPT], env=_env(var), capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    secrets = [s for s in json.loads(out.stdout) if s and len(s) >= 6]
    assert len(secrets) > 200

    files = [p for p in var.rglob("*") if p.is_file() and p.name not in {"demo-credentials.txt"}]
    assert any(p.name.endswith("-wal") or p.suffix == ".sqlite3" for p in files)
    blobs = {p: p.read_bytes() for p in files}
    blobs["demo stdout"] = demo.stdout + demo.stderr
    for secret in secrets:
        needle = secret.encode("utf-8")
        for where, data in blobs.items():
            assert needle not in data, f"{secret!r} found in {where}"


def test_demo_credentials_are_private_to_the_owner(tmp_path):
    var = tmp_path / "var"
    env = {**_env(var), "CORRIDOR_BIND": "127.0.0.1:8355"}
    subprocess.run([sys.executable, "-m", "corridor.cli", "demo", "--cases", "0"], env=env, check=True,
                   capture_output=True, timeout=300)
    creds = var / "demo-credentials.txt"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    text = creds.read_text()
    assert "north-coordinator" in text and "partner-caseworker" in text
    assert "http://127.0.0.1:8355/staff/" in text and ":8000" not in text, "the port CORRIDOR_BIND chose"
    assert " coordinator " in text and " case_worker " in text, "roles named in a language every reader has"
    assert stat.S_IMODE((var / "keystore.json").stat().st_mode) == 0o600
