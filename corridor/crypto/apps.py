from __future__ import annotations

import os

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _private_sqlite_files(sender, connection, **kwargs) -> None:
    """Keep the SQLite database, its WAL and shared-memory file readable by the
    service account only (0600). SQLite creates -wal and -shm with the database
    file's mode, so fixing the database file first covers files created later.
    The WAL in particular holds recent row images, erased ones included, until
    the checkpoint after an erasure truncates it."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            continue


class CryptoConfig(AppConfig):
    name = "corridor.crypto"
    label = "crypto"
    # Run from `corridor serve`'s ticker: finish erasures made while keyd was sealed.
    periodic = ["corridor.crypto.keys.settle_buckets"]

    def ready(self) -> None:
        connection_created.connect(_private_sqlite_files, dispatch_uid="corridor-sqlite-0600")
