"""The filesystem backend: `CORRIDOR_BLOB_DIR/evidence/xx/<32 hex>`,
`CORRIDOR_BLOB_DIR/funds/xx/<32 hex>` (expense receipts) and
`CORRIDOR_BLOB_DIR/intake/<40 hex>` (intake files are written under `intake/tmp/`
and renamed into place when adopted, so a request killed mid-upload leaves only a
temporary that the hourly clean-up removes; evidence and receipts are written in
place and fsynced before the row referring to them commits).

Files are created exclusively with mode 0600 and without following symlinks, and
evidence writes stop while a reserve of free space remains, so a large upload
cannot fill the disk the database lives on.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from corridor.blobs.storage import AREAS, NoRoom

SPACE_CHECK_EVERY = 32 << 20
DEFAULT_RESERVE = 512 << 20
_IN_PLACE = ("evidence", "funds")  # two-level layout, written where they stay


def root(area: str) -> Path:
    return Path(settings.CORRIDOR_BLOB_DIR) / area


def path_for(area: str, name: str) -> Path:
    if area in _IN_PLACE:
        return root(area) / name[:2] / name
    return root(area) / name


def temp_for(area: str, name: str) -> Path:
    return root(area) / "tmp" / f"{name}.part"


def disk_reserve() -> int:
    return int(getattr(settings, "CORRIDOR_EVIDENCE_DISK_RESERVE", DEFAULT_RESERVE))


def free_bytes() -> int:
    base = root("evidence")
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return shutil.disk_usage(base).free


def has_room_for(size: int) -> bool:
    return free_bytes() - size >= disk_reserve()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileWriter:
    """An exclusive, private, append-only file; `commit()` makes it durable.

    Writes go through one page-aligned 4 MiB buffer and, where the filesystem
    allows, O_DIRECT: blobs are written once and read rarely, so they bypass the
    page cache (which on small virtual machines costs more CPU than hashing and
    encryption together) and do not push the database out of it. Filesystems
    without O_DIRECT (tmpfs) get ordinary buffered writes.
    """

    BUFFER = 4 << 20

    def __init__(self, area: str) -> None:
        self.area = area
        self.name = secrets.token_hex(AREAS[area])
        self._temporary = area not in _IN_PLACE
        path = temp_for(area, self.name) if self._temporary else path_for(area, self.name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        direct = getattr(os, "O_DIRECT", 0)
        try:
            self._fd = os.open(path, flags | direct, 0o600)
            self._direct = bool(direct)
        except OSError:
            self._fd = os.open(path, flags, 0o600)
            self._direct = False
        self.path = path
        self._buf = mmap.mmap(-1, self.BUFFER)  # page-aligned, as O_DIRECT requires
        self._fill = 0
        self._since_check = 0
        self._reserve = area == "evidence"
        self.size = 0

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        n = len(view)
        self.size += n
        self._since_check += n
        if self._reserve and self._since_check >= SPACE_CHECK_EVERY:
            self._since_check = 0
            if free_bytes() < disk_reserve():
                raise NoRoom
        while view:
            take = min(len(view), self.BUFFER - self._fill)
            self._buf[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == self.BUFFER:
                self._flush(self.BUFFER)
        return n

    def _flush(self, length: int) -> None:
        with memoryview(self._buf) as whole:
            pending = whole[:length]
            while pending:
                try:
                    written = os.write(self._fd, pending)
                except OSError as exc:
                    if not self._direct or exc.errno != errno.EINVAL:
                        raise
                    self._buffered()  # this filesystem refuses direct I/O after all
                    continue
                pending = pending[written:]
        self._fill = 0

    def _buffered(self) -> None:
        if self._direct:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~os.O_DIRECT)
            self._direct = False

    def flush(self) -> None:
        """File-object politeness (the data is made durable by `commit`)."""

    def commit(self) -> None:
        if self._fill:
            # The tail is not a whole number of blocks: finish it with a buffered write.
            self._buffered()
            self._flush(self._fill)
        os.fsync(self._fd)
        self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if not self._buf.closed:
            self._buf.close()

    def discard(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)
        if self._temporary:
            path_for(self.area, self.name).unlink(missing_ok=True)


def writer(area: str) -> FileWriter:
    return FileWriter(area)


def adopt(area: str, names: list[str]) -> None:
    if area in _IN_PLACE:
        return  # written in place and fsynced at commit
    moved = False
    for name in names:
        temp = temp_for(area, name)
        if temp.exists():
            os.replace(temp, path_for(area, name))
            moved = True
    if moved:
        _fsync_dir(root(area))


def open_file(area: str, name: str) -> BinaryIO:
    return open(path_for(area, name), "rb")  # noqa: SIM115 - the caller closes it


def delete(area: str, name: str) -> None:
    path_for(area, name).unlink(missing_ok=True)
    temp_for(area, name).unlink(missing_ok=True)


def _stored(area: str):
    base = root(area)
    if not base.exists():
        return
    pattern = "??/*" if area in _IN_PLACE else "*"
    for path in base.glob(pattern):
        if path.is_file() and path.suffix != ".part":
            yield path


def names(area: str) -> list[str]:
    return sorted(path.name for path in _stored(area))


def sweep(area: str, *, keep: set[str], older_than: float) -> int:
    now = time.time()
    removed = 0
    for path in _stored(area):
        if path.name not in keep and now - path.stat().st_mtime > older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def abandoned(area: str, *, older_than: float) -> int:
    now = time.time()
    removed = 0
    for path in (root(area) / "tmp").glob("*.part"):
        try:
            if now - path.stat().st_mtime > older_than:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
