"""The one streaming path every evidence file takes on arrival.

Chunk by chunk, without ever holding the file: check the name and the content
against the extension, count bytes against the limit, hash (SHA-256) and encrypt
the untouched original under a fresh per-file data key, and for images feed a
metadata stripper whose output is hashed and encrypted as the working copy.
The upload handler (`upload.py`), the demo and the benchmark all use `Ingestor`.

Nothing is registered here: the caller hands the `Ingested` result to
`services.file_register`, which writes the row, adopts the blobs in the file store
and writes the custody entry in one transaction. Until then the blobs and the data key are provisional, and
`abort()` removes them.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from corridor.crypto.keys import data_key_bytes, new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence import storage
from corridor.evidence.bombs import DEFAULT_MAX_INFLATED, ContentChecks
from corridor.evidence.sniff import (
    HEAD_BYTES,
    Refused,
    TextCheck,
    ZipTail,
    check_head,
    check_name,
    kind_for_name,
)
from corridor.evidence.stream import ROLE_ORIGINAL, ROLE_WORKING, StreamEncryptor, blob_context
from corridor.evidence.strip import DEFAULT_MAX_PIXELS, stripper_for

DEFAULT_MAX_BYTES = 4 << 30

REFUSALS = {
    "too_large": _("The file is larger than the limit of %(limit)s."),
    "disk_full": _("The server is running out of disk space; the file was not stored. Tell the administrator."),
    "bad_name": _("The file name is not allowed (it contains a path, control characters or is too long)."),
    "unsupported_type": _("This type of file is not accepted. Accepted: %(types)s."),
    "content_mismatch": _("The content of the file does not match its extension."),
    "malformed": _("The file is damaged or malformed."),
    "bomb": _("The file declares an excessive size when opened (possible decompression bomb)."),
    "polyglot": _("The file has an archive (ZIP, RAR or 7-Zip) hidden inside it. Archives are not accepted."),
    "empty": _("The file is empty."),
    "no_file": _("Choose a file to upload."),
    "one_file": _("Upload one file at a time."),
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "CORRIDOR_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "CORRIDOR_EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def max_inflated() -> int:
    """Bytes a PDF or office file may inflate to when opened (decompression bombs)."""
    return int(getattr(settings, "CORRIDOR_MAX_INFLATED_BYTES", DEFAULT_MAX_INFLATED))


def refusal_message(code: str) -> str:
    from django.template.defaultfilters import filesizeformat

    from corridor.evidence.sniff import ALLOWED_EXTENSIONS

    text = REFUSALS.get(code, REFUSALS["malformed"])
    return str(text) % {"limit": filesizeformat(max_upload_bytes()), "types": ", ".join(ALLOWED_EXTENSIONS)}


class ParallelSha256:
    """SHA-256 on the second core. hashlib releases the GIL for large buffers, so
    hashing overlaps parsing, encryption and writing; a bounded queue keeps memory
    constant (a slow hash makes the upload wait, never buffer)."""

    IDLE_SECONDS = 600

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, name="evidence-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                return  # an abandoned ingest must not leave a thread behind
            if item is None:
                return
            self._sha.update(item)

    def update(self, data) -> None:
        # Only immutable bytes cross threads: the caller may reuse its buffer.
        self._queue.put(data if type(data) is bytes else bytes(data))

    def hexdigest(self) -> str:
        self.stop()
        return self._sha.hexdigest()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


@dataclass
class Ingested:
    file_id: uuid.UUID
    data_key: DataKey
    name: str
    kind: str
    size: int
    sha256: str
    blob: str
    working_blob: str | None
    working_sha256: str
    working_size: int | None
    width: int | None
    height: int | None


class Ingestor:
    def __init__(self, *, organisation, name: str, limit: int | None = None) -> None:
        check_name(name)
        self.name = name
        self.kind = kind_for_name(name)
        self.limit = max_upload_bytes() if limit is None else limit
        self.file_id = uuid.uuid4()
        self.size = 0
        self._head = bytearray()
        self._head_checked = False
        self._sha = ParallelSha256()
        self._text = TextCheck() if self.kind.code == "txt" else None
        self._zip = ZipTail() if self.kind.code == "docx" else None
        self._stripper = stripper_for(self.kind.code, max_pixels())
        # Strippers already check the pixels of the pictures they parse.
        self._checks = ContentChecks(self.kind.code, max_pixels=max_pixels(), max_inflated=max_inflated(),
                                     pixels=self._stripper is None)
        self._original: storage.BlobWriter | None = None
        self._working: storage.BlobWriter | None = None
        self._finished = False
        self.data_key = new_data_key(scope=DataKey.Scope.FILE, organisation=organisation)
        try:
            key = data_key_bytes(self.data_key)
            context = blob_context(str(self.file_id), str(self.data_key.id), self.data_key.version)
            self._original = storage.BlobWriter()
            self._enc = StreamEncryptor(key, context, role=ROLE_ORIGINAL, write=self._original.write)
            if self._stripper is not None:
                self._working = storage.BlobWriter()
                self._wsha = hashlib.sha256()
                self._wsize = 0
                self._wenc = StreamEncryptor(key, context, role=ROLE_WORKING, write=self._working.write)
        except BaseException:
            self.abort()
            raise

    def feed(self, data: bytes) -> None:
        try:
            self._feed(data)
        except storage.NoRoom:
            raise Refused("disk_full") from None

    def _feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise Refused("too_large")
        if not self._head_checked:
            self._head += data[: HEAD_BYTES - len(self._head)]
            if len(self._head) >= HEAD_BYTES:
                check_head(self.kind, bytes(self._head))
                self._head_checked = True
        if self._text is not None:
            self._text.feed(data)
        if self._zip is not None:
            self._zip.feed(data)
        self._checks.feed(data)
        self._sha.update(data)
        self._enc.update(data)
        if self._stripper is not None:
            self._work(self._stripper.feed(data))

    def _work(self, out: bytes) -> None:
        if out:
            self._wsha.update(out)
            self._wsize += len(out)
            self._wenc.update(out)

    def finish(self) -> Ingested:
        try:
            return self._finish()
        except storage.NoRoom:
            raise Refused("disk_full") from None

    def _finish(self) -> Ingested:
        if not self._head_checked:
            check_head(self.kind, bytes(self._head))
        if self._text is not None:
            self._text.close()
        if self._zip is not None:
            self._zip.close(self.size)
        self._checks.close()
        self._enc.finalize()
        assert self._original is not None
        self._original.commit()
        working_blob, working_sha, working_size = None, "", None
        if self._stripper is not None and self._working is not None:
            self._work(self._stripper.close())
            self._wenc.finalize()
            self._working.commit()
            working_blob, working_sha, working_size = self._working.name, self._wsha.hexdigest(), self._wsize
        self._finished = True
        return Ingested(
            file_id=self.file_id, data_key=self.data_key, name=self.name, kind=self.kind.code,
            size=self.size, sha256=self._sha.hexdigest(), blob=self._original.name,
            working_blob=working_blob, working_sha256=working_sha, working_size=working_size,
            width=getattr(self._stripper, "width", None) or None,
            height=getattr(self._stripper, "height", None) or None,
        )

    def abort(self) -> None:
        """Remove the provisional blobs and the unused data key."""
        self._sha.stop()
        for writer in (self._original, self._working):
            if writer is not None:
                writer.discard()
        DataKey.objects.filter(pk=self.data_key.pk).delete()


def discard(ingested: Ingested) -> None:
    """Throw away a finished but unregistered ingest (e.g. the form was invalid)."""
    storage.delete_blob(ingested.blob)
    storage.delete_blob(ingested.working_blob)
    DataKey.objects.filter(pk=ingested.data_key.pk).delete()


def ingest_chunks(*, organisation, name: str, chunks: Iterable[bytes], limit: int | None = None) -> Ingested:
    """Ingest from any iterable of byte chunks (demo data, imports, benchmarks)."""
    ingestor = Ingestor(organisation=organisation, name=name, limit=limit)
    try:
        for chunk in chunks:
            ingestor.feed(chunk)
        return ingestor.finish()
    except BaseException:
        ingestor.abort()
        raise
