"""Upload handling for contact lists: memory only, capped.

Django's default handlers spool uploads over 256 KiB to a temporary file; a seized
contact list must never touch the disk in plaintext, so this handler keeps the file
in memory and stops reading past the cap (the view has already refused a larger
Content-Length before reading anything).
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

MAX_LIST_BYTES = 20 * 1024 * 1024


class MemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request=None, limit: int = MAX_LIST_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.problem: str | None = None
        self.buffer: io.BytesIO | None = None
        self.size = 0
        self.files = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.files += 1
        if self.files > 1:
            self.problem = "too_many"
            raise StopUpload(connection_reset=False)
        self.buffer = io.BytesIO()
        self.size = 0

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self.size > self.limit:
            self.problem = "too_large"
            self.buffer = None
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(self.buffer, self.field_name, self.file_name, self.content_type,
                                    file_size, self.charset, self.content_type_extra)
