"""`corridor check --deploy` names every unsafe setting of a deliberately bad install."""

from __future__ import annotations

import os

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.fixture
def unsafe(settings, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    os.chmod(var, 0o755)
    keystore = var / "keystore.json"
    keystore.write_text("{}")
    os.chmod(keystore, 0o644)
    (var / "secret-key").write_text("x" * 50)
    os.chmod(var / "secret-key", 0o644)
    settings.VAR_DIR = var
    settings.CORRIDOR_KEYSTORE = str(keystore)
    settings.DEBUG = True
    settings.TLS = False
    settings.ALLOWED_HOSTS = ["corridor.example.org", "*"]
    return settings


def _ids(messages) -> set[str]:
    return {m.id for m in messages}


def test_an_unsafe_install_is_named_setting_by_setting(unsafe):
    found = _ids(run_checks(include_deployment_checks=True))
    assert {"corridor.E001", "corridor.E002", "corridor.E003", "corridor.E004", "corridor.E005",
            "corridor.E006", "corridor.W001"} <= found
    # Django's own deployment checks run too (HSTS, secure cookies, SSL redirect without TLS).
    assert {"security.W004", "security.W008", "security.W012"} & found


def test_the_command_fails_on_an_unsafe_install(unsafe):
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy")
    assert "corridor.E002" in str(raised.value) and "corridor.E004" in str(raised.value)


def test_a_careful_install_has_no_corridor_errors(settings, tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    keystore = var / "keystore.json"
    keystore.write_text("{}")
    os.chmod(keystore, 0o600)
    settings.VAR_DIR = var
    settings.CORRIDOR_KEYSTORE = str(keystore)
    settings.DEBUG = False
    settings.TLS = True
    settings.ALLOWED_HOSTS = ["corridor.example.org", "abcdefghijklmnop.onion"]
    errors = [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("corridor.E")]
    assert errors == []


def test_an_onion_only_site_needs_no_tls(settings, tmp_path):
    settings.TLS = False
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["abcdefghijklmnop.onion", "127.0.0.1"]
    assert "corridor.E002" not in _ids(run_checks(include_deployment_checks=True))
