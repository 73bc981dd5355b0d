"""The panic seal reaches every application host.

`seal_everywhere()` seals this host's key agent first (the panic button must work
even if the database is down), then bumps the shared `SealSignal` epoch and, on
PostgreSQL, sends `NOTIFY corridor_seal` in the same transaction as the audit entry.

`Watcher` runs in every `corridor serve`: it LISTENs on PostgreSQL and polls the row
every `CORRIDOR_SEAL_POLL_SECONDS` (SQLite, or a notification lost with a dropped
connection). When it sees an epoch newer than the last one it obeyed, it seals its own
agent. A host that cannot read the row for `CORRIDOR_SEAL_DB_LOSS_SECONDS` seals
itself too: a host cut off from the others can no longer hear a seal, so it must not
stay open (confidentiality outranks availability). See docs/threat-model.md.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from corridor.crypto.models import SealSignal
from corridor.keyd.errors import KeydError

log = logging.getLogger("corridor.seal")
CHANNEL = "corridor_seal"


def current_epoch() -> int:
    return SealSignal.objects.filter(id=1).values_list("epoch", flat=True).first() or 0


def seal_everywhere(*, actor, reason: str, via: str, organisation=None) -> int:
    """Seal this host's agent, then every other host through the shared signal."""
    from corridor.audit.events import CoreEvent
    from corridor.audit.services import record
    from corridor.crypto.keys import keyd

    local_error = None
    try:
        keyd().seal(reason=reason)
    except KeydError as exc:  # the agent is down: it holds no keys then, but tell the others anyway
        local_error = exc
    with transaction.atomic():
        SealSignal.objects.get_or_create(id=1)
        SealSignal.objects.filter(id=1).update(epoch=F("epoch") + 1, reason=reason[:200], changed=timezone.now())
        epoch = current_epoch()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(epoch)])
        record(CoreEvent.SEALED, actor=actor, organisation=organisation, via=via, epoch=epoch)
        from corridor.accounts.notify import alert_email

        alert_email()
    if local_error is not None:
        raise local_error
    return epoch


class Watcher:
    """Seal `agent` (a KeydClient) when another host seals, or when the database is gone."""

    def __init__(self, agent, *, poll: float | None = None, db_loss: float | None = None) -> None:
        self.agent = agent
        self.poll = poll if poll is not None else settings.CORRIDOR_SEAL_POLL_SECONDS
        self.db_loss = db_loss if db_loss is not None else settings.CORRIDOR_SEAL_DB_LOSS_SECONDS
        self.stop = threading.Event()
        self.seen: int | None = None
        self.last_contact = time.monotonic()
        self._listen = None
        self.thread = threading.Thread(target=self._run, name="seal-watcher", daemon=True)

    def start(self) -> Watcher:
        self.seen = self._read()
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self._close_listen()

    def _read(self) -> int | None:
        try:
            epoch = current_epoch()
        except Exception:  # noqa: BLE001 -- any database failure counts as no contact
            connection.close()
            return None
        self.last_contact = time.monotonic()
        return epoch

    def _seal(self, reason: str) -> None:
        try:
            if not self.agent.status()["sealed"]:
                self.agent.seal(reason=reason)
                log.warning("sealed this host: %s", reason)
        except KeydError:
            pass  # an agent that is down holds no keys

    def _open_listen(self):
        if connection.vendor != "postgresql" or self._listen is not None:
            return self._listen
        try:
            import psycopg

            params = connection.get_connection_params()
            conn = psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if k != "cursor_factory"})
            conn.execute(f"LISTEN {CHANNEL}")
            self._listen = conn
        except Exception:  # noqa: BLE001 -- polling still covers it
            self._listen = None
        return self._listen

    def _close_listen(self) -> None:
        if self._listen is not None:
            with contextlib.suppress(Exception):
                self._listen.close()
            self._listen = None

    def _wait(self) -> None:
        conn = self._open_listen()
        if conn is None:
            self.stop.wait(self.poll)
            return
        try:
            ready, _, _ = select.select([conn.fileno()], [], [], self.poll)
            if ready:
                list(conn.notifies(timeout=0, stop_after=100))
        except Exception:  # noqa: BLE001 -- reconnect next time
            self._close_listen()

    def check(self) -> None:
        epoch = self._read()
        if epoch is None:
            if time.monotonic() - self.last_contact > self.db_loss:
                self._seal(f"the database has been unreachable for more than {self.db_loss:g} s")
            return
        if self.seen is None:
            self.seen = epoch
        elif epoch > self.seen:
            self.seen = epoch
            self._seal("sealed on another host")

    def _run(self) -> None:
        while not self.stop.is_set():
            self._wait()
            if self.stop.is_set():
                break
            self.check()
        connection.close()
