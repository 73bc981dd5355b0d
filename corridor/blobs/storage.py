"""Where encrypted files live: one interface, two backends, chosen by
`CORRIDOR_FILE_STORAGE`.

* `filesystem` (the default): files under `CORRIDOR_BLOB_DIR`, one host.
* `database`: chunks of 1 MiB in the `blobs_storedchunk` table, so every host
  reading the same PostgreSQL database sees the same files, and they replicate and
  are backed up with the rows they belong to.

Every caller writes ciphertext only, in constant memory: `writer(area)` gives an
object with `name`, `size`, `write()`, `commit()` (the bytes are durable, not yet
referenced) and `discard()`. `adopt(area, names)` is called inside the transaction
that writes the row referring to the file: on the database backend the file
becomes visible in that same commit, so a row never points at missing bytes and
bytes nobody refers to stay invisible until the sweep removes them. `open()`
returns a read-only binary file object streaming the bytes back.

An object-store backend (S3-compatible) fits the same five calls: a multipart
upload behind `writer`, a manifest object or row for `adopt`, ranged GETs behind
`open`. It is not shipped until it can be tested against a real server.

Areas and names are checked against a fixed shape before any use: names are
random hex made here, never anything a user typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

AREAS = {"evidence": 16, "intake": 20, "funds": 16}  # name length in random bytes (hex doubles it)
BACKENDS = ("filesystem", "database")
_NAME = re.compile(r"[0-9a-f]{32,64}")


class NoRoom(Exception):
    """Writing on would eat into the free-space reserve of the disk."""


class Writer(Protocol):
    name: str
    size: int

    def write(self, data) -> object: ...
    def commit(self) -> None: ...
    def discard(self) -> None: ...


_ANY = object()


def check(area: str, name=_ANY) -> None:
    if area not in AREAS:
        raise ValueError("unknown storage area")
    if name is not _ANY and (not isinstance(name, str) or len(name) != 2 * AREAS[area]
                             or not _NAME.fullmatch(name)):
        raise ValueError("not a blob name")


def backend_name() -> str:
    name = getattr(settings, "CORRIDOR_FILE_STORAGE", "filesystem")
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"CORRIDOR_FILE_STORAGE must be one of {', '.join(BACKENDS)}")
    return name


def _backend():
    if backend_name() == "database":
        from corridor.blobs import database

        return database
    from corridor.blobs import filesystem

    return filesystem


def writer(area: str) -> Writer:
    check(area)
    return _backend().writer(area)


def adopt(area: str, names: Iterable[str | None]) -> None:
    """Inside the transaction of the referring row(s)."""
    names = [n for n in names if n]
    for n in names:
        check(area, n)
    if names:
        _backend().adopt(area, names)


def open_file(area: str, name: str) -> BinaryIO:
    """FileNotFoundError if the file is missing or not yet adopted."""
    check(area, name)
    return _backend().open_file(area, name)


def delete(area: str, name: str | None) -> None:
    if name:
        check(area, name)
        _backend().delete(area, name)


def sweep(area: str, *, keep: set[str], older_than: float) -> int:
    """Remove files of `area` not in `keep` and created more than `older_than` seconds ago."""
    check(area)
    return _backend().sweep(area, keep=keep, older_than=older_than)


def abandoned(area: str, *, older_than: float) -> int:
    """Remove files of `area` written but never adopted, older than `older_than` seconds
    (their request died); adopted files are only removed by `sweep` or `delete`."""
    check(area)
    return _backend().abandoned(area, older_than=older_than)


def has_room_for(size: int) -> bool:
    return _backend().has_room_for(size)


def names(area: str) -> list[str]:
    """Every stored (adopted) name of an area: for backups, restores and their checks."""
    check(area)
    return _backend().names(area)
