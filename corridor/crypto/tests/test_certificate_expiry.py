"""The key agent's TLS certificates: `corridor check --deploy` warns within 30 days of
their end and fails once they have ended; `corridor status` shows each one's end.
Certificates are made with short validities by the same code as `corridor keyd-certs`."""

from __future__ import annotations

import datetime
import io
import re
import shutil

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import translation

from corridor.crypto.certificates import keyd_certificates
from corridor.keyd.tls import make_certs, not_after

NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _expiry(messages) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in messages:
        if m.id in {"corridor.W006", "corridor.E010"}:
            out.setdefault(m.id, []).append(m.msg)
    return out


def _key_host(settings, folder) -> None:
    settings.CORRIDOR_KEYD_URL = ""
    settings.CORRIDOR_KEYD_LISTEN = "127.0.0.1:7443"
    settings.CORRIDOR_KEYD_TLS_DIR = str(folder)


def _app_host(settings, source, folder, host="app1") -> None:
    folder.mkdir(mode=0o700)
    shutil.copy2(source / "ca.crt", folder / "ca.crt")
    shutil.copy2(source / f"{host}.crt", folder / "client.crt")
    shutil.copy2(source / f"{host}.key", folder / "client.key")
    settings.CORRIDOR_KEYD_LISTEN = ""
    settings.CORRIDOR_KEYD_URL = "tls://127.0.0.1:7443"
    settings.CORRIDOR_KEYD_TLS_DIR = str(folder)
    settings.CORRIDOR_KEYD_TLS_CA = str(folder / "ca.crt")
    settings.CORRIDOR_KEYD_TLS_CERT = str(folder / "client.crt")
    settings.CORRIDOR_KEYD_TLS_KEY = str(folder / "client.key")


def test_fresh_certificates_raise_nothing(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1", "app2"], ["127.0.0.1"])
    _key_host(settings, tmp_path / "tls")
    certs = keyd_certificates()
    # CA, agent, and both host certificates on the key host.
    assert len(certs) == 4 and {c.level(NOW) for c in certs} == {"ok"}
    assert not _expiry(run_checks(include_deployment_checks=True))


def test_leaf_certificates_ending_within_30_days_are_warned_of_on_the_key_host(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=12)
    _key_host(settings, tmp_path / "tls")
    found = _expiry(run_checks(include_deployment_checks=True))
    assert "corridor.E010" not in found
    warned = " ".join(found["corridor.W006"])
    assert len(found["corridor.W006"]) == 2  # the agent's own and app1's; not the ten-year CA
    assert "agent.crt" in warned and "app1.crt" in warned and "ca.crt" not in warned
    assert "(in 11 days)" in warned or "(in 12 days)" in warned


def test_a_ca_ending_soon_is_warned_of_even_when_the_leaves_are_fresh(settings, tmp_path):
    # A CA made for 20 days signs leaves for 825: the chain ends with the CA all the same.
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], ca_days=20)
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    found = _expiry(run_checks(include_deployment_checks=True))
    assert len(found["corridor.W006"]) == 1 and "ca.crt" in found["corridor.W006"][0]
    assert not_after(tmp_path / "app1-tls" / "client.crt") > NOW + datetime.timedelta(days=800)


def test_an_expired_client_certificate_fails_the_deploy_check(settings, tmp_path):
    # Issued 40 days ago for 30 days: ended 10 days ago.
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=30, now=NOW - datetime.timedelta(days=40))
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    found = _expiry(run_checks(include_deployment_checks=True))
    assert len(found["corridor.E010"]) == 1 and "client.crt" in found["corridor.E010"][0]
    assert "expired on" in found["corridor.E010"][0]
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy")
    assert "corridor.E010" in str(raised.value)


def test_an_expired_ca_fails_the_deploy_check_on_every_kind_of_host(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], ca_days=1, leaf_days=1,
               now=NOW - datetime.timedelta(days=3))
    _key_host(settings, tmp_path / "tls")
    errors = _expiry(run_checks(include_deployment_checks=True))["corridor.E010"]
    assert len(errors) == 3 and any("ca.crt" in e for e in errors)
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    errors = _expiry(run_checks(include_deployment_checks=True))["corridor.E010"]
    assert len(errors) == 2


def test_a_file_that_is_not_a_certificate_is_an_error_not_a_pass(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"])
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    (tmp_path / "app1-tls" / "client.crt").write_text("-----BEGIN CERTIFICATE-----\nnot one\n")
    errors = _expiry(run_checks(include_deployment_checks=True))["corridor.E010"]
    assert len(errors) == 1 and "cannot be read" in errors[0]


def test_a_single_host_on_the_unix_socket_has_no_certificates_to_check(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=1, now=NOW - datetime.timedelta(days=3))
    settings.CORRIDOR_KEYD_URL = settings.CORRIDOR_KEYD_LISTEN = ""
    settings.CORRIDOR_KEYD_TLS_DIR = str(tmp_path / "tls")
    assert keyd_certificates() == []
    assert not _expiry(run_checks(include_deployment_checks=True))


@pytest.mark.django_db
def test_status_shows_each_certificate_and_its_end(settings, tmp_path, monkeypatch):
    from corridor.crypto.management.commands import status
    from corridor.keyd.errors import KeydUnavailable

    def unreachable():
        raise KeydUnavailable("not in this test")

    monkeypatch.setattr(status, "keyd", unreachable)
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=5)
    _key_host(settings, tmp_path / "tls")
    (tmp_path / "tls" / "app1.crt").unlink()
    make_certs(tmp_path / "tls", ["app2"], [], leaf_days=30, now=NOW - datetime.timedelta(days=31))
    out = io.StringIO()
    call_command("status", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("TLS:")]
    assert len(lines) == 3, out.getvalue()
    assert any("ca.crt" in line and "(in 3649 days)" in line for line in lines)
    assert any("agent.crt" in line and "(in 4 days)" in line for line in lines)
    assert any("app2.crt" in line and "expired on" in line for line in lines)


def test_the_messages_are_translated(settings, tmp_path):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=30, now=NOW - datetime.timedelta(days=31))
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    with translation.override("ru"):
        messages = [c.describe(NOW) for c in keyd_certificates()]
        hint = _expiry_hint()
    assert any("истёк" in m for m in messages) and any("истекает" in m for m in messages), messages
    assert "corridor keyd-certs" in hint and "Выпустите" in hint


def _expiry_hint() -> str:
    [found] = [m for m in run_checks(include_deployment_checks=True) if m.id == "corridor.E010"]
    return found.hint


@pytest.mark.django_db
def test_the_keys_page_names_each_certificate_and_which_to_renew(settings, tmp_path, cast, staff_client):
    make_certs(tmp_path / "tls", ["app1"], ["127.0.0.1"], leaf_days=30, now=NOW - datetime.timedelta(days=31))
    make_certs(tmp_path / "fresh", ["app2"], ["127.0.0.1"], leaf_days=21)
    _app_host(settings, tmp_path / "tls", tmp_path / "app1-tls")
    shutil.copy2(tmp_path / "fresh" / "ca.crt", tmp_path / "app1-tls" / "ca.crt")  # a CA that is fine
    admin = staff_client(cast.admin)
    html = admin.get("/staff/keys/?lang=en").content.decode()
    assert "Key agent certificates" in html
    assert html.count("Key agent certificates") == 1  # in the page, not also in its <title>
    assert "<title>Keys · Corridor</title>" in html
    assert "Renew now:</strong> This host&#x27;s client certificate" in html and "expired on" in html
    assert "Renew soon:" not in html and "ca.crt expires on" in html
    # Nobody else reaches the page.
    assert staff_client(cast.alice).get("/staff/keys/").status_code in (403, 404)


def test_days_take_russian_plural_forms(settings, tmp_path):
    with translation.override("ru"):
        seen = set()
        for leaf_days in (3, 13, 21, 22, 23, 26, 31, 32):
            make_certs(tmp_path / f"t{leaf_days}", ["app1"], ["127.0.0.1"], leaf_days=leaf_days)
            _key_host(settings, tmp_path / f"t{leaf_days}")
            [text] = [c.describe(NOW) for c in keyd_certificates() if c.path.name == "agent.crt"]
            days, word = re.search(r"через (\d+) (\w+)\)", text).groups()
            n = int(days)
            expected = "день" if n % 10 == 1 and n % 100 != 11 else (
                "дня" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "дней")
            assert word == expected, text
            seen.add(word)
        assert seen == {"день", "дня", "дней"}
