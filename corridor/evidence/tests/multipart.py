"""A multipart/form-data body generated on the fly, so a test can stream a file of
hundreds of megabytes through the real request stack without holding it."""

from __future__ import annotations

import hashlib

BOUNDARY = "----corridor-test-boundary-7MA4YWxkTrZu0gW"


class MultipartStream:
    def __init__(self, *, fields: dict[str, str], filename: str, head: bytes, size: int, fill: bytes = b"\x00") -> None:
        before = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
        )
        before += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n")
        self._before = before.encode("utf-8")
        self._after = f"\r\n--{BOUNDARY}--\r\n".encode()
        self._head = head
        self.file_size = size
        self.length = len(self._before) + size + len(self._after)
        self.read_bytes = 0
        self._block = (fill * (1 << 20))[: 1 << 20]
        self.file_sha256 = hashlib.sha256()  # of the file part, as generated

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={BOUNDARY}"

    def _byte_range(self, start: int, end: int) -> bytes:
        parts = []
        before, head = len(self._before), len(self._head)
        pos = start
        while pos < end:
            if pos < before:
                take = min(end, before) - pos
                parts.append(self._before[pos:pos + take])
            elif pos < before + self.file_size:
                offset = pos - before
                if offset < head:
                    take = min(end - pos, head - offset)
                    parts.append(self._head[offset:offset + take])
                else:
                    take = min(end - pos, before + self.file_size - pos, len(self._block))
                    parts.append(self._block[:take])
                self.file_sha256.update(parts[-1])
            else:
                offset = pos - before - self.file_size
                take = min(end - pos, len(self._after) - offset)
                parts.append(self._after[offset:offset + take])
            pos += take
        return b"".join(parts)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.read_bytes
        size = min(size, self.length - self.read_bytes)
        data = self._byte_range(self.read_bytes, self.read_bytes + size)
        self.read_bytes += size
        return data

    def readline(self, size: int = -1) -> bytes:  # WSGI input API; the parser does not use it
        return self.read(size)


def post_stream(client, url: str, stream: MultipartStream):
    # `generic` only sets the length and type for in-memory data; give both with the stream.
    return client.generic("POST", url, b"", **{"wsgi.input": stream, "CONTENT_LENGTH": str(stream.length),
                                               "CONTENT_TYPE": stream.content_type})
