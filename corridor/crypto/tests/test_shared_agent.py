"""An application host on the shared key agent (CORRIDOR_KEYD_URL, mutual TLS): it
keeps no keystore, runs no agent, and when the agent is sealed, unreachable or its
certificates are unusable, every page that needs a key answers as sealed (503),
never with a 500 and never open."""

from __future__ import annotations

import os
import socket

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from corridor.cases import services
from corridor.cases.models import Person
from corridor.crypto import context
from corridor.crypto.keys import is_sealed, keyd, log_public_key
from corridor.keyd.testing import running_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_b(tmp_path, settings):
    """This process as host B: the agent (with its keystore) belongs to the key host."""
    with running_agent(tmp_path, tls_hosts=("b",), log_origin="corridor.test/audit") as kd:
        kd.agent.handle({"op": "reset_head", "reason": "test agent"})
        assert kd.certs is not None
        settings.CORRIDOR_KEYD_URL = kd.tls_url
        settings.CORRIDOR_KEYD_TLS_CA = str(kd.certs.ca)
        settings.CORRIDOR_KEYD_TLS_CERT = str(kd.certs.client_cert("b"))
        settings.CORRIDOR_KEYD_TLS_KEY = str(kd.certs.client_key("b"))
        settings.CORRIDOR_KEYD_SOCKET = str(tmp_path / "no-agent-here.sock")
        settings.CORRIDOR_KEYSTORE = str(tmp_path / "no-keystore-here.json")
        yield kd


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _detail(cast):
    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": "Иван Петров"}, notes="secret-notes")
    case = services.case_open(actor="system:test", person=person, summary="what happened", worker=cast.alice)
    return case, reverse("cases:detail", args=[case.code])


def test_host_b_writes_and_reads_through_the_shared_agent(host_b, cast, staff_client):
    case, url = _detail(cast)
    context.cache_clear()
    person = Person.objects.get(pk=case.person_id)
    assert person.notes == "secret-notes"
    assert staff_client(cast.alice).get(url).status_code == 200
    # The key host's own Unix-socket client opens the same data key: one bucket table.
    dk = person.data_key
    assert host_b.client.unwrap("test", [(bytes(dk.wrapped), dk.wrap_ad(), dk.root_version)])
    assert log_public_key() == (host_b.agent.keystore.signing_public_key, "corridor.test/audit")


def test_a_seal_on_the_key_host_closes_host_b(host_b, cast, staff_client):
    _, url = _detail(cast)
    c = staff_client(cast.alice)
    assert c.get(url).status_code == 200
    host_b.client.seal("pressed on the key host")
    context.cache_clear()
    assert c.get(url).status_code == 503
    assert is_sealed()


def test_an_unreachable_agent_fails_closed(host_b, cast, staff_client, settings):
    _, url = _detail(cast)
    c = staff_client(cast.alice)
    settings.CORRIDOR_KEYD_URL = f"tls://127.0.0.1:{_closed_port()}"
    context.cache_clear()
    response = c.get(url)
    assert response.status_code == 503, response.status_code
    assert is_sealed()


def test_unusable_certificates_fail_closed(host_b, cast, staff_client, settings, tmp_path):
    _, url = _detail(cast)
    c = staff_client(cast.alice)
    settings.CORRIDOR_KEYD_TLS_CERT = str(tmp_path / "missing.crt")
    keyd().close()
    context.cache_clear()
    import corridor.crypto.keys as keys

    keys._client = None  # a fresh worker: certificates are read when the client is made
    assert c.get(url).status_code == 503


def test_the_agent_must_prove_it_is_ours(host_b, cast, staff_client, settings, tmp_path):
    """Trusting another CA (an impostor's), host B refuses to hand the agent anything."""
    from corridor.keyd.tls import make_certs

    other = make_certs(tmp_path / "impostor", ["b"], ["127.0.0.1"])
    _, url = _detail(cast)
    c = staff_client(cast.alice)
    settings.CORRIDOR_KEYD_TLS_CA = str(other.ca)
    import corridor.crypto.keys as keys

    keys._client = None
    context.cache_clear()
    assert c.get(url).status_code == 503


def test_deploy_check_names_a_stale_keystore_and_loose_keys(host_b, settings, tmp_path):
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert not {"corridor.E008", "corridor.E009"} & ids
    stale = tmp_path / "keystore.json"
    stale.write_text("{}")
    os.chmod(stale, 0o600)
    settings.CORRIDOR_KEYSTORE = str(stale)
    os.chmod(settings.CORRIDOR_KEYD_TLS_KEY, 0o644)
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {"corridor.E008", "corridor.E009"} <= ids


def test_deploy_check_warns_of_per_host_agents_and_a_missing_allow_list(settings, tmp_path):
    settings.CORRIDOR_HOSTS = ["b=ssh b corridor"]
    settings.CORRIDOR_KEYD_URL = ""
    settings.CORRIDOR_KEYD_LISTEN = ""
    assert "corridor.W005" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.CORRIDOR_KEYD_LISTEN = "127.0.0.1:7443"
    settings.CORRIDOR_KEYD_TLS_DIR = str(tmp_path / "tls")
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "corridor.W005" not in ids and "corridor.W004" in ids
