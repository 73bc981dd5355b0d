"""Append-only journal of key-use events (unwrap, rewrap, hpke_open, seal, unseal, ceiling).

It lets an organisation reconstruct, after a breach, which records a stolen
worker could have decrypted. It therefore records *who* and *which AD* (as a
short SHA-256 prefix, so record identifiers are not spelled out) but never key
bytes. Lines are buffered and flushed by a background thread at most every
200 ms so the unwrap hot path only appends to a list.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

FLUSH_INTERVAL = 0.2


def ad_tag(ad: bytes) -> str:
    return hashlib.sha256(ad).hexdigest()[:8]


class NullJournal:
    """Used when no --journal is configured."""

    def record(self, op: str, principal: str | None, n: int = 0, ads: Sequence[bytes] = (), **extra: Any) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class Journal(NullJournal):
    def __init__(self, path: str | os.PathLike[str], *, interval: float = FLUSH_INTERVAL,
                 on_error: Callable[[OSError], None] | None = None) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._pending: list[tuple[float, str, str | None, int, Sequence[bytes], dict[str, Any]]] = []
        self._lock = threading.Lock()  # guards _pending
        self._io_lock = threading.Lock()  # keeps lines in order across flushers
        self._stop = threading.Event()
        self.on_error = on_error
        self._interval = interval
        self._thread = threading.Thread(target=self._run, name="keyd-journal", daemon=True)
        self._thread.start()

    def record(self, op: str, principal: str | None, n: int = 0, ads: Sequence[bytes] = (), **extra: Any) -> None:
        # Hot path: no formatting or hashing here, the flusher does it.
        entry = (time.time(), op, principal, n, ads, extra)
        with self._lock:
            self._pending.append(entry)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        failure: OSError | None = None
        with self._io_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending or self._fd is None:
                return
            lines = []
            for t, op, principal, n, ads, extra in pending:
                line = {"t": datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds"),
                        "op": op, "principal": principal, "n": n, "ads": [ad_tag(a) for a in ads]}
                line.update(extra)
                lines.append(json.dumps(line, separators=(",", ":")))
            data = ("\n".join(lines) + "\n").encode("utf-8")
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
                os.fsync(self._fd)
            except OSError as exc:
                failure = exc
        # Outside the lock: the handler seals the agent, which records and flushes again.
        if failure is not None and self.on_error is not None:
            # An unjournaled unwrap is an unaccountable one: let the agent fail closed.
            self.on_error(failure)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self.flush()
        with self._io_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
