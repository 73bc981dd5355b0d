from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _boot(env_extra: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update({"CORRIDOR_VAR": str(tmp_path), "CORRIDOR_SECRET_KEY": "k" * 40}, **env_extra)
    return subprocess.run([sys.executable, "-m", "corridor.cli", "status"], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("name,value", [
    ("CORRIDOR_SESSION_IDLE_SECONDS", "half an hour"),
    ("CORRIDOR_TLS", "perhaps"),
    ("DATABASE_URL", "mysql://x/y"),
    ("CORRIDOR_UNWRAP_LIMIT", "0"),
    ("CORRIDOR_SECRET_KEY", "short"),
])
def test_a_malformed_setting_stops_start_up_with_its_name(name, value, tmp_path):
    result = _boot({name: value}, tmp_path)
    assert result.returncode != 0
    assert name in result.stderr


def test_a_secret_file_that_cannot_be_read_is_named(tmp_path):
    result = _boot({"CORRIDOR_SECRET_KEY_FILE": str(tmp_path / "missing")}, tmp_path)
    assert result.returncode != 0
    assert "CORRIDOR_SECRET_KEY_FILE" in result.stderr


def test_database_urls_are_parsed():
    from corridor.conf import database_from_url

    db = database_from_url("DATABASE_URL", "postgres://u:p%40ss@db.local:6543/corridor", sqlite_default=None)
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == ("corridor", "u", "p@ss", "db.local", "6543")


def test_behind_tls_the_session_cookie_is_host_prefixed_and_hsts_is_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update(CORRIDOR_VAR=str(tmp_path), CORRIDOR_SECRET_KEY="k" * 40, CORRIDOR_TLS="true",
               DJANGO_SETTINGS_MODULE="corridor.settings")
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_NAME, s.SECURE_HSTS_SECONDS)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["__Host-corridor", "True", "__Host-csrf", "63072000"], out.stderr
