"""A Django upload handler that streams one evidence file through `Ingestor`.

Django's default handlers buffer small files in memory and write large ones to a
plaintext temporary file; neither is acceptable for evidence (plaintext on disk,
unbounded memory). The view installs this handler *before* anything reads
`request.POST` (it is `csrf_exempt` and checks CSRF itself afterwards, as the
Django documentation on modifying upload handlers describes), so each chunk goes
straight from the socket to the hash, the cipher and the blob.

Refusals stop the upload at once without reading the rest of the body
(`StopUpload(connection_reset=True)`): an oversized request is refused from its
Content-Length before a single byte of the file is written.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from corridor.evidence import storage
from corridor.evidence.ingest import Ingested, Ingestor, discard
from corridor.evidence.sniff import Refused
from corridor.evidence.stream import CHUNK_SIZE

FIELD = "file"
# Room for the CSRF token and the small form fields around the file.
FORM_OVERHEAD = 64 * 1024


class EvidenceUploadHandler(FileUploadHandler):
    chunk_size = CHUNK_SIZE

    def __init__(self, request, *, organisation, limit: int) -> None:
        super().__init__(request)
        self.organisation = organisation
        self.limit = limit
        self.request_length = 0
        self.ingestor: Ingestor | None = None
        self.result: Ingested | None = None
        self.refused: Refused | None = None
        self.claimed = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request_length = content_length
        return None  # let Django parse; the fields before the file (CSRF token) are needed

    def _refuse(self, exc: Refused) -> None:
        self.refused = exc
        if self.ingestor is not None:
            self.ingestor.abort()
            self.ingestor = None
        raise StopUpload(connection_reset=True)

    def new_file(self, field_name, file_name, content_type, content_length, charset=None,
                 content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if field_name != FIELD or self.ingestor is not None or self.result is not None:
            self._refuse(Refused("one_file"))
        if self.request_length > self.limit + FORM_OVERHEAD:
            self._refuse(Refused("too_large"))
        # Two copies for images (original and working copy), both encrypted.
        if not storage.has_room_for(2 * self.request_length):
            self._refuse(Refused("disk_full"))
        try:
            self.ingestor = Ingestor(organisation=self.organisation, name=file_name, limit=self.limit)
        except Refused as exc:
            self._refuse(exc)

    def receive_data_chunk(self, raw_data, start):
        assert self.ingestor is not None
        try:
            self.ingestor.feed(raw_data)
        except Refused as exc:
            self._refuse(exc)
        return None

    def file_complete(self, file_size):
        assert self.ingestor is not None
        try:
            self.result = self.ingestor.finish()
        except Refused as exc:
            self.ingestor.abort()
            self.ingestor = None
            self.refused = exc
            return None
        self.ingestor = None
        return None  # the view takes `self.result`; nothing goes to request.FILES

    def upload_interrupted(self):
        self.cleanup()

    def cleanup(self) -> None:
        """Remove whatever was not registered (refusal, bad form, dropped connection)."""
        if self.ingestor is not None:
            self.ingestor.abort()
            self.ingestor = None
        if self.result is not None and not self.claimed:
            discard(self.result)
            self.result = None
