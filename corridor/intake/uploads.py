"""A Django upload handler that encrypts files while they stream in, and refuses
too many or too large files before the disk can fill.

Nothing the person sends touches the disk in plaintext: each chunk is encrypted
under the message's content key (see `sealing.FileSealer`) into a new file of the
file store (`corridor/blobs/storage.py`) with a random name: a temporary with mode
0600 on the filesystem, invisible rows in the database. The service adopts them
inside the database transaction that writes their attachments; `cleanup()`
removes whatever was not adopted, so a refused or failed submission leaves
nothing behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from corridor.blobs import storage as files
from corridor.evidence.bombs import ContentChecks
from corridor.evidence.ingest import max_inflated, max_pixels
from corridor.evidence.sniff import Refused as ContentRefused
from corridor.intake import filetypes
from corridor.intake.sealing import FileSealer


@dataclass
class SealedUpload:
    id: uuid.UUID
    number: int
    ext: str
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    kind: str = ""
    sealer: FileSealer | None = None
    handle: files.Writer | None = None  # the open file-store writer until the upload is adopted
    name: str = ""
    checks: ContentChecks | None = None

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.discard()
            self.handle = None


AREA = "intake"


# Codes of the streaming content checks, as problems of the public form.
CONTENT_PROBLEMS = {"pixels": "pixels", "bomb": "bomb", "polyglot": "polyglot", "malformed": "damaged",
                    "content_mismatch": "mismatch"}


def blob_dir(base) -> Path:
    """The filesystem backend's intake folder (its `tmp/` holds uploads in progress)."""
    path = Path(base) / AREA
    (path / "tmp").mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def open_attachment(name: str):
    return files.open_file(AREA, name)


def delete_attachment(name: str) -> None:
    files.delete(AREA, name)


def adopt(uploads: list[SealedUpload]) -> None:
    """Inside the transaction writing the attachments; from here on the caller
    removes the files if that transaction fails."""
    files.adopt(AREA, [u.name for u in uploads])
    for upload in uploads:
        upload.handle = None


class SealingUploadHandler(FileUploadHandler):
    """Problems are recorded in `problem` (a code the view turns into a message in
    the person's language): too_many, too_large, too_large_total, archive, type,
    mismatch, empty, interrupted, pixels, bomb, polyglot, damaged."""

    def __init__(self, request, *, content_key: bytes, base_dir, max_files: int, max_file_bytes: int,
                 max_total_bytes: int) -> None:
        super().__init__(request)
        self.content_key = content_key
        self.directory = blob_dir(base_dir)
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self.max_total_bytes = max_total_bytes
        self.uploads: list[SealedUpload] = []
        self.current: SealedUpload | None = None
        self.problem: str | None = None
        self.problem_file: int | None = None
        self.total = 0

    def _refuse(self, code: str, *, stop: bool) -> None:
        if self.problem is None:
            self.problem = code
            self.problem_file = self.current.number if self.current else len(self.uploads) + 1
        self._drop_current()
        if stop:
            # connection_reset=False: Django drains the rest of the body (already
            # capped by Content-Length) into nothing, so the browser sees our page.
            raise StopUpload(connection_reset=False)

    def _drop_current(self) -> None:
        cur = self.current
        self.current = None
        if cur is not None:
            cur.discard()
            if cur in self.uploads:
                self.uploads.remove(cur)

    def new_file(self, field_name, file_name, content_type, content_length, charset=None,
                 content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self._finish_current()
        if self.problem is not None:
            raise StopUpload(connection_reset=False)
        if len(self.uploads) >= self.max_files:
            self._refuse("too_many", stop=True)
        number = len(self.uploads) + 1
        try:
            ext = filetypes.check_name(file_name)
        except filetypes.Refused as exc:
            self.problem_file = number
            self._refuse(exc.code, stop=True)
        if content_length is not None and content_length > self.max_file_bytes:
            self.problem_file = number
            self._refuse("too_large", stop=True)
        upload = SealedUpload(id=uuid.uuid4(), number=number, ext=ext)
        upload.checks = ContentChecks(filetypes.BY_EXTENSION[ext].name, max_pixels=max_pixels(),
                                      max_inflated=max_inflated())
        upload.handle = files.writer(AREA)
        upload.name = upload.handle.name
        upload.sealer = FileSealer(self.content_key, upload.id, upload.handle)
        self.uploads.append(upload)
        self.current = upload

    def receive_data_chunk(self, raw_data, start):
        cur = self.current
        if cur is None:
            return None
        cur.size += len(raw_data)
        self.total += len(raw_data)
        if cur.size > self.max_file_bytes:
            self._refuse("too_large", stop=True)
        if self.total > self.max_total_bytes:
            self._refuse("too_large_total", stop=True)
        if len(cur.head) < filetypes.HEAD_BYTES:
            cur.head += raw_data[: filetypes.HEAD_BYTES - len(cur.head)]
        try:
            cur.checks.feed(raw_data)
        except ContentRefused as exc:
            # What the first bytes say (an archive, another type) explains it better.
            try:
                filetypes.identify(cur.ext, bytes(cur.head), cur.size)
            except filetypes.Refused as first:
                self._refuse(first.code, stop=True)
            self._refuse(CONTENT_PROBLEMS.get(exc.code, "damaged"), stop=True)
        cur.sealer.write(raw_data)
        return None

    def _finish_current(self) -> None:
        cur = self.current
        if cur is None:
            return
        try:
            kind = filetypes.identify(cur.ext, bytes(cur.head), cur.size)
            cur.checks.close()
        except filetypes.Refused as exc:
            self._refuse(exc.code, stop=False)
            return
        except ContentRefused as exc:
            self._refuse(CONTENT_PROBLEMS.get(exc.code, "damaged"), stop=False)
            return
        cur.kind = kind.name
        cur.sealer.finish()
        cur.handle.commit()
        cur.head = bytearray()
        self.current = None

    def file_complete(self, file_size):
        self._finish_current()
        return None

    def upload_interrupted(self):
        if self.current is not None:
            self._refuse("interrupted", stop=False)

    def upload_complete(self):
        self._finish_current()
        return None

    def accepted(self) -> list[SealedUpload]:
        return [u for u in self.uploads if u.kind] if self.problem is None else []

    def cleanup(self) -> None:
        """Remove every file this request created and did not hand over."""
        self._drop_current()
        for upload in self.uploads:
            upload.discard()


class DiscardFilesHandler(FileUploadHandler):
    """Reads past every file without keeping a byte of it, so that the text fields of
    an over-large post can still be shown again to the person who wrote them."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.dropped = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.dropped += 1

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None
