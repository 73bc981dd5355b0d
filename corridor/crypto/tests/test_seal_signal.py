"""The panic seal reaches every host: host A seals through the shared signal, and the
watcher of host B (another key agent, the same database) seals B's agent within 1 s.
A host that loses the database seals itself. These run with real agents on Unix
sockets and real commits (the watcher reads on its own connection)."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection

from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.crypto import seal_signal
from corridor.crypto.seal_signal import Watcher, seal_everywhere
from corridor.keyd.testing import running_agent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def host_a(fresh_agent):
    return fresh_agent


@pytest.fixture
def host_b(tmp_path):
    (tmp_path / "b").mkdir()
    with running_agent(tmp_path / "b") as agent:
        yield agent


def _sealed_within(agent, seconds: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if agent.client.status()["sealed"]:
            return time.monotonic() - start
        time.sleep(0.01)
    return None


def test_a_seal_on_one_host_seals_the_other_within_a_second(host_a, host_b):
    watcher = Watcher(host_b.client, poll=0.25).start()
    try:
        assert not host_b.client.status()["sealed"]
        t0 = time.monotonic()
        seal_everywhere(actor="system:test", reason="raid", via="cli")
        assert host_a.client.status()["sealed"]
        took = _sealed_within(host_b, 1.0 - (time.monotonic() - t0))
        assert took is not None, "host B was still open a second after host A sealed"
    finally:
        watcher.close()
    entry = AuditEntry.objects.filter(code=CoreEvent.SEALED).last()
    assert entry.data == {"via": "cli", "epoch": 1}


def test_a_host_unsealed_after_the_seal_stays_unsealed(host_a, host_b):
    watcher = Watcher(host_b.client, poll=0.1).start()
    try:
        seal_everywhere(actor="system:test", reason="raid", via="cli")
        assert _sealed_within(host_b, 1.0) is not None
        host_b.client.unseal_passphrase(host_b.passphrase)  # the trustees' ceremony on B
        time.sleep(0.5)
        assert not host_b.client.status()["sealed"]
        seal_everywhere(actor="system:test", reason="again", via="web")  # and the next seal still reaches it
        assert _sealed_within(host_b, 1.0) is not None
    finally:
        watcher.close()


def test_a_host_that_cannot_see_the_database_seals_itself(host_b, monkeypatch):
    watcher = Watcher(host_b.client, poll=0.05, db_loss=0.3).start()
    try:
        def unreachable():
            raise OperationalError("could not connect to server")

        monkeypatch.setattr(seal_signal, "current_epoch", unreachable)
        assert _sealed_within(host_b, 2.0) is not None
    finally:
        watcher.close()


def test_the_panic_button_still_seals_this_host_when_the_database_is_down(host_a, monkeypatch):
    from django.db import transaction

    def broken(*args, **kwargs):
        raise OperationalError("database is gone")

    monkeypatch.setattr(transaction, "atomic", broken)
    with pytest.raises(OperationalError):
        seal_everywhere(actor="system:test", reason="raid", via="cli")
    assert host_a.client.status()["sealed"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="NOTIFY is PostgreSQL's; SQLite hosts poll")
def test_on_postgresql_the_notification_wakes_the_watcher_before_its_poll(host_a, host_b):
    watcher = Watcher(host_b.client, poll=5.0).start()  # polling alone would take up to 5 s
    try:
        time.sleep(0.3)  # the LISTEN connection is open
        assert watcher._listen is not None
        seal_everywhere(actor="system:test", reason="raid", via="cli")
        assert _sealed_within(host_b, 1.0) is not None
    finally:
        watcher.close()
