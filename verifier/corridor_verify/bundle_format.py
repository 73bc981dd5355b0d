"""The evidence bundle's layout, shared by the builder (server) and the verifier
(anyone, offline). Pure standard library: no Django, no database.

An evidence bundle is an age file (https://age-encryption.org/v1) whose plaintext
is a POSIX tar archive:

    corridor-bundle/README.txt          how to verify, in English and Russian
    corridor-bundle/manifest.json       files with SHA-256, custody entries (leaf data),
                                        events, acts, testimonies allowed for the audience
    corridor-bundle/proofs.json         RFC 9162 inclusion proofs of every custody entry
                                        and of the entry that seals the manifest's hash
    corridor-bundle/checkpoint.txt      the signed C2SP checkpoint the proofs lead to
    corridor-bundle/log-key.txt         the log's Ed25519 verifier key (name = origin)
    corridor-bundle/files/<id>.<ext>    the original files, byte for byte (courts, prosecutors)
    corridor-bundle/files/<id>-stripped.<ext>  or, for every other audience, the working
                                        copies without metadata; a custody entry
                                        ("received" or "stripped") records each copy's
                                        SHA-256 beside its original's

The tar is deterministic: fixed order, one timestamp, uid/gid 0, mode 0444, GNU
headers (sizes above 8 GiB) and names under 100 bytes, so no extension headers.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator

FORMAT = "corridor-evidence-bundle/1"
ROOT = "corridor-bundle/"
README = ROOT + "README.txt"
MANIFEST = ROOT + "manifest.json"
PROOFS = ROOT + "proofs.json"
CHECKPOINT = ROOT + "checkpoint.txt"
LOG_KEY = ROOT + "log-key.txt"
FILES = ROOT + "files/"
METADATA = (README, MANIFEST, PROOFS, CHECKPOINT, LOG_KEY)
BLOCK = 512
# Audit codes the verifier must recognise (corridor.evidence.events, stable forever).
CUSTODY_NAMES = {6020: "received", 6021: "viewed", 6022: "exported", 6023: "transferred", 6025: "stripped"}
BUNDLE_SEALED = 6043
# Entries whose data carries `working_sha256` next to the original's `sha256`.
COPY_LINKS = (6020, 6025)


def file_path(file_id: str, kind: str) -> str:
    return f"{FILES}{file_id}.{kind}"


def stripped_path(file_id: str, kind: str) -> str:
    return f"{FILES}{file_id}-stripped.{kind}"


def tar_header(name: str, size: int, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o444
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    if len(name.encode("utf-8")) >= 100:
        raise ValueError("bundle member names stay under 100 bytes")
    return info.tobuf(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="strict")


def tar_padding(size: int) -> bytes:
    return b"\x00" * (-size % BLOCK)


def tar_end(offset: int) -> bytes:
    """Two zero blocks, then zeros to the end of a 20-block record, as `tar` writes."""
    end = offset + 2 * BLOCK
    return b"\x00" * (2 * BLOCK + (-end % tarfile.RECORDSIZE))


class GeneratorReader:
    """A file-like `read(n)` over a generator of byte strings (age encrypts from it)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buf = bytearray()
        self._done = False
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self._done and not self._buf

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        while len(self._buf) < size and not self._done:
            try:
                self._buf += next(self._pieces)
            except StopIteration:
                self._done = True
            except BaseException as exc:
                self.error = exc
                raise
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)


class TarError(ValueError):
    pass


class TarReader:
    """A push parser for the bundle's tar: `write()` plaintext as age decrypts it.

    Only regular files are accepted (the builder makes nothing else); links,
    devices and extension headers are refused, and nothing is ever written to
    disk, so a hostile archive cannot plant files on the verifier's machine.
    """

    def __init__(self, *, on_start: Callable[[str, int], None], on_data: Callable[[bytes], None],
                 on_end: Callable[[], None]) -> None:
        self._on_start, self._on_data, self._on_end = on_start, on_data, on_end
        self._buf = bytearray()
        self._left = 0  # data bytes of the current member still to come
        self._pad = 0
        self._state = "header"
        self.current: str | None = None
        self.ended = False
        self._failed: TarError | None = None

    def write(self, data) -> int:
        # The age reader may keep writing after we raised; the first defect stays the answer
        # (and the member it names), however the plaintext happens to be chunked.
        if self._failed is not None:
            self.current = self._failed_at
            raise self._failed
        try:
            return self._write(data)
        except TarError as exc:
            self._failed, self._failed_at = exc, self.current
            raise

    def _write(self, data) -> int:
        size = len(data)
        if self._state == "data" and not self._buf and self._left >= size:
            # The common case, file contents: pass them on without copying.
            self._on_data(bytes(data))
            self._left -= size
            return size
        self._buf += data
        self._run()
        return size

    def flush(self) -> None:
        pass

    def _run(self) -> None:
        buf = self._buf
        while True:
            if self._state == "data":
                if self._left:
                    if not buf:
                        return
                    take = min(self._left, len(buf))
                    self._on_data(bytes(buf[:take]))
                    del buf[:take]
                    self._left -= take
                    continue
                if len(buf) < self._pad:
                    return
                del buf[: self._pad]
                self._on_end()
                self.current = None
                self._state = "header"
                continue
            if len(buf) < BLOCK:
                return
            block = bytes(buf[:BLOCK])
            del buf[:BLOCK]
            if self._state == "end":
                if block.strip(b"\x00"):
                    raise TarError("data after the end of the archive")
                continue
            if not block.strip(b"\x00"):
                self._state = "end"
                self.ended = True
                continue
            try:
                info = tarfile.TarInfo.frombuf(block, "utf-8", "strict")
            except (tarfile.HeaderError, UnicodeDecodeError) as exc:
                raise TarError(f"damaged tar header ({exc})") from None
            if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
                self.current = info.name
                raise TarError("not a regular file (a link, device or extension header)")
            self.current = info.name
            self._left = info.size
            self._pad = -info.size % BLOCK
            self._state = "data"
            self._on_start(info.name, info.size)
