"""What an uploaded file claims to be, and whether its bytes agree.

Uploads come from survivors' phones and, potentially, from an adversary: a file
named `.pdf` that is really an HTML page or a ZIP bomb must be refused, not stored
and later opened by a tired legal officer. Checks here work on streamed pieces
(the head for magic bytes, a rolling tail for ZIP directories), never on a whole
file in memory, and import no Django.
"""

from __future__ import annotations

import codecs
import struct
import unicodedata
from dataclasses import dataclass

HEAD_BYTES = 64
MAX_NAME_BYTES = 255
ZIP_TAIL_BYTES = 1 << 20
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_UNCOMPRESSED = 1 << 30
ZIP_MAX_RATIO = 200


class Refused(Exception):
    """The upload is refused; `code` is stable (audit data), `message` is for people."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


@dataclass(frozen=True)
class Kind:
    code: str
    extensions: tuple[str, ...]
    mime: str
    image: bool = False


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("jpeg", (".jpg", ".jpeg"), "image/jpeg", image=True),
        Kind("png", (".png",), "image/png", image=True),
        Kind("pdf", (".pdf",), "application/pdf"),
        Kind("mp3", (".mp3",), "audio/mpeg"),
        Kind("mp4", (".mp4", ".m4a"), "video/mp4"),
        Kind("ogg", (".ogg", ".oga", ".opus"), "audio/ogg"),
        Kind("wav", (".wav",), "audio/wav"),
        Kind("txt", (".txt",), "text/plain"),
        Kind("docx", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    )
}
_BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
ALLOWED_EXTENSIONS = tuple(sorted(_BY_EXTENSION))


def check_name(name: str) -> str:
    """Return the name if it is a plain file name; Refused("bad_name") otherwise.

    The name is never used as a path (blobs get random names), but it travels into
    bundles and downloads, so traversal, separators and control characters are
    refused outright rather than quietly rewritten.
    """
    if not isinstance(name, str) or not name.strip():
        raise Refused("bad_name")
    if "/" in name or "\\" in name or name in {".", ".."} or ".." in name.split("."):
        raise Refused("bad_name")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in name):
        raise Refused("bad_name")
    if name.startswith(".") or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise Refused("bad_name")
    return name


def kind_for_name(name: str) -> Kind:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    kind = _BY_EXTENSION.get(ext)
    if kind is None:
        raise Refused("unsupported_type")
    return kind


def _mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    # An MPEG audio frame header: 11 sync bits, a valid version, layer and bitrate.
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer, bitrate = (head[1] >> 3) & 3, (head[1] >> 1) & 3, head[2] >> 4
    return version != 1 and layer != 0 and bitrate not in (0, 15)


_MAGIC = {
    "jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "pdf": lambda h: h.startswith(b"%PDF-"),
    "mp3": _mp3,
    "mp4": lambda h: len(h) >= 12 and h[4:8] == b"ftyp",
    "ogg": lambda h: h.startswith(b"OggS"),
    "wav": lambda h: h.startswith(b"RIFF") and h[8:12] == b"WAVE",
    "docx": lambda h: h.startswith(b"PK\x03\x04"),
}


def check_head(kind: Kind, head: bytes) -> None:
    """Refuse when the first bytes contradict the extension (or are empty)."""
    if not head:
        raise Refused("empty")
    if kind.code == "txt":
        # Plain text has no magic; what it must not be is another known format.
        if any(check(head) for code, check in _MAGIC.items() if code != "mp3") or b"\x00" in head:
            raise Refused("content_mismatch")
        return
    if not _MAGIC[kind.code](head):
        raise Refused("content_mismatch")


class TextCheck:
    """Streaming UTF-8 validation for .txt: binary data posing as text is refused."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def feed(self, data: bytes) -> None:
        if b"\x00" in data:
            raise Refused("content_mismatch")
        try:
            self._decoder.decode(data)
        except UnicodeDecodeError:
            raise Refused("content_mismatch") from None

    def close(self) -> None:
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise Refused("content_mismatch") from None


class ZipTail:
    """Keep the last MiB of a .docx and inspect its central directory at the end.

    Corridor never unpacks the document, but the people it is exported to will: a
    ZIP whose entries claim gigabytes (a decompression bomb), or that is not a Word
    document at all, is refused at upload.
    """

    def __init__(self) -> None:
        self._tail = bytearray()

    def feed(self, data: bytes) -> None:
        self._tail += data
        if len(self._tail) > 2 * ZIP_TAIL_BYTES:
            del self._tail[:-ZIP_TAIL_BYTES]

    def close(self, total_size: int) -> None:
        tail = bytes(self._tail[-ZIP_TAIL_BYTES:])
        eocd = tail.rfind(b"PK\x05\x06", max(0, len(tail) - 65557))
        if eocd < 0 or len(tail) - eocd < 22:
            raise Refused("content_mismatch")
        (_, disk, cd_disk, _, entries, cd_size, cd_offset, _) = struct.unpack_from("<IHHHHIIH", tail, eocd)
        if disk or cd_disk or 0xFFFF in (entries,) or 0xFFFFFFFF in (cd_size, cd_offset):
            raise Refused("content_mismatch")  # multi-disk or ZIP64: never a .docx from a phone
        if entries > ZIP_MAX_ENTRIES or cd_size > eocd:
            raise Refused("bomb")
        start = len(tail) - (total_size - cd_offset)
        if start < 0 or start + cd_size > eocd:
            raise Refused("content_mismatch")
        names, total = set(), 0
        pos = start
        for _ in range(entries):
            if tail[pos:pos + 4] != b"PK\x01\x02":
                raise Refused("content_mismatch")
            (compressed, uncompressed, name_len, extra_len, comment_len) = struct.unpack_from(
                "<IIHHH", tail, pos + 20
            )
            names.add(tail[pos + 46:pos + 46 + name_len].decode("utf-8", "replace"))
            total += uncompressed
            if uncompressed > (1 << 20) and uncompressed > ZIP_MAX_RATIO * max(compressed, 1):
                raise Refused("bomb")
            pos += 46 + name_len + extra_len + comment_len
        if total > ZIP_MAX_UNCOMPRESSED:
            raise Refused("bomb")
        if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
            raise Refused("content_mismatch")
