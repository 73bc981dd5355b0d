"""Which files a person may attach, recognised by their first bytes.

The name's extension must agree with the content: a ".jpg" that is really a PDF, a
script or an archive is refused. Archives are not accepted at all, and neither is
an archive hidden behind a photo or a PDF (a polyglot). While a file streams in,
`corridor.evidence.bombs.ContentChecks` also refuses pictures that declare more
pixels than the evidence limit and PDFs that inflate beyond the inflation limit,
so whoever opens the working copy later does not meet a decompression bomb.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HEAD_BYTES = 512


def _ftyp(*brands: bytes) -> Callable[[bytes], bool]:
    return lambda h: h[4:8] == b"ftyp" and h[8:12] in brands


@dataclass(frozen=True)
class Kind:
    name: str
    extensions: tuple[str, ...]
    mime: str
    test: Callable[[bytes], bool]


KINDS = [
    Kind("jpeg", ("jpg", "jpeg"), "image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    Kind("png", ("png",), "image/png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    Kind("webp", ("webp",), "image/webp", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    Kind("heic", ("heic", "heif"), "image/heic", _ftyp(b"heic", b"heix", b"hevc", b"heim", b"mif1", b"msf1")),
    Kind("pdf", ("pdf",), "application/pdf", lambda h: h.startswith(b"%PDF-")),
    Kind("ogg", ("ogg", "oga", "opus"), "audio/ogg", lambda h: h.startswith(b"OggS")),
    Kind("mp3", ("mp3",), "audio/mpeg",
         lambda h: h.startswith(b"ID3") or (len(h) > 1 and h[0] == 0xFF and (h[1] & 0xE6) == 0xE2)),
    Kind("m4a", ("m4a", "aac", "mp4"), "audio/mp4",
         _ftyp(b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"dash")),
    Kind("3gp", ("3gp", "3ga", "3gpp"), "audio/3gpp", lambda h: h[4:8] == b"ftyp" and h[8:11] in (b"3gp", b"3g2")),
    Kind("amr", ("amr",), "audio/amr", lambda h: h.startswith(b"#!AMR")),
    Kind("wav", ("wav",), "audio/wav", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE"),
]
BY_NAME = {k.name: k for k in KINDS}
BY_EXTENSION = {ext: k for k in KINDS for ext in k.extensions}
EXTENSIONS = {ext for k in KINDS for ext in k.extensions}

ARCHIVE_MAGIC = (
    b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF",
)
ARCHIVE_EXTENSIONS = {"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "tar", "zst", "cab", "docx", "xlsx",
                      "odt", "apk", "jar"}


class Refused(ValueError):
    """Why a file is refused: one of "archive", "type", "mismatch", "empty"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def extension(file_name: str) -> str:
    name = (file_name or "").strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def check_name(file_name: str) -> str:
    """The extension, if the name may be accepted at all (before any content)."""
    ext = extension(file_name)
    if ext in ARCHIVE_EXTENSIONS:
        raise Refused("archive")
    if ext not in EXTENSIONS:
        raise Refused("type")
    return ext


def identify(ext: str, head: bytes, size: int) -> Kind:
    """The kind of a received file, if its content agrees with its extension."""
    if size == 0:
        raise Refused("empty")
    if head.startswith(ARCHIVE_MAGIC) or head[257:262] == b"ustar":
        raise Refused("archive")
    for kind in KINDS:
        if kind.test(head):
            if ext in kind.extensions:
                return kind
            raise Refused("mismatch")
    raise Refused("mismatch" if ext in EXTENSIONS else "type")
