"""Evidence blobs (originals, working copies, bundles) in the file store.

The bytes live wherever `CORRIDOR_FILE_STORAGE` says (`corridor/blobs/storage.py`):
on this host's disk under `CORRIDOR_BLOB_DIR/evidence/xx/<32 hex>`, or in the
database for several hosts. Names are random, checked against that shape before
every use, and never derived from anything a user typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from corridor.blobs import filesystem
from corridor.blobs import storage as files
from corridor.blobs.storage import NoRoom

AREA = "evidence"
DEFAULT_RESERVE = filesystem.DEFAULT_RESERVE
__all__ = ["AREA", "NoRoom", "BlobWriter", "adopt", "open_blob", "delete_blob", "has_room_for"]


def blob_root() -> Path:
    return filesystem.root(AREA)


def path_for(name: str) -> Path:
    """Filesystem backend only (tests and the operator's tools look at the disk)."""
    files.check(AREA, name)
    return filesystem.path_for(AREA, name)


def disk_reserve() -> int:
    return filesystem.disk_reserve()


def free_bytes() -> int:
    return filesystem.free_bytes()


def has_room_for(size: int) -> bool:
    return files.has_room_for(size)


def BlobWriter() -> files.Writer:  # noqa: N802 - kept as the constructor-like name callers know
    return files.writer(AREA)


def adopt(*names: str | None) -> None:
    """Inside the transaction writing the row that refers to these blobs."""
    files.adopt(AREA, names)


def open_blob(name: str) -> BinaryIO:
    return files.open_file(AREA, name)


def delete_blob(name: str | None) -> None:
    files.delete(AREA, name)
