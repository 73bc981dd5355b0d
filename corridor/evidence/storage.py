"""Where encrypted evidence blobs live: `CORRIDOR_BLOB_DIR/evidence/xx/<32 hex>`.

Names are random (never derived from anything a user typed), every path is
checked against that shape before use, files are created exclusively with mode
0600 and without following symlinks, and writes stop while a reserve of free
space remains, so a large upload cannot fill the disk the database lives on.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from corridor.evidence.sniff import Refused

_NAME = re.compile(r"[0-9a-f]{32}")
SPACE_CHECK_EVERY = 32 << 20
DEFAULT_RESERVE = 512 << 20


def blob_root() -> Path:
    return Path(settings.CORRIDOR_BLOB_DIR) / "evidence"


def disk_reserve() -> int:
    return int(getattr(settings, "CORRIDOR_EVIDENCE_DISK_RESERVE", DEFAULT_RESERVE))


def path_for(name: str) -> Path:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError("not a blob name")
    return blob_root() / name[:2] / name


def free_bytes() -> int:
    root = blob_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return shutil.disk_usage(root).free


def has_room_for(size: int) -> bool:
    return free_bytes() - size >= disk_reserve()


class BlobWriter:
    """An exclusive, private, append-only file; `commit()` makes it durable.

    Writes go through one page-aligned 4 MiB buffer and, where the filesystem
    allows, O_DIRECT: evidence blobs are written once and read rarely, so they
    bypass the page cache (which on small virtual machines costs more CPU than
    hashing and encryption together) and do not push the database out of it.
    Filesystems without O_DIRECT (tmpfs) get ordinary buffered writes.
    """

    BUFFER = 4 << 20

    def __init__(self) -> None:
        self.name = secrets.token_hex(16)
        path = path_for(self.name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        direct = getattr(os, "O_DIRECT", 0)
        try:
            self._fd = os.open(path, flags | direct, 0o600)
            self._direct = bool(direct)
        except OSError:
            self._fd = os.open(path, flags, 0o600)
            self._direct = False
        self._path = path
        self._buf = mmap.mmap(-1, self.BUFFER)  # page-aligned, as O_DIRECT requires
        self._fill = 0
        self._since_check = 0
        self.size = 0

    def write(self, data) -> None:
        view = memoryview(data).cast("B")
        self.size += len(view)
        self._since_check += len(view)
        if self._since_check >= SPACE_CHECK_EVERY:
            self._since_check = 0
            if free_bytes() < disk_reserve():
                raise Refused("disk_full")
        while view:
            take = min(len(view), self.BUFFER - self._fill)
            self._buf[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == self.BUFFER:
                self._flush(self.BUFFER)

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
        self._path.unlink(missing_ok=True)


def open_blob(name: str) -> BinaryIO:
    return open(path_for(name), "rb")  # noqa: SIM115 - the caller closes it


def delete_blob(name: str | None) -> None:
    if name:
        path_for(name).unlink(missing_ok=True)
