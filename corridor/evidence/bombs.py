"""Streaming checks for files that are small on the wire and huge, or something else,
once opened: decompression bombs and archive polyglots.

Both the public intake and evidence uploads feed every received chunk through
these checks while the file streams in, so a refusal costs at most the limit's
worth of inflation and never a whole file in memory. No Django is imported.

* `ZipInflation` walks the local file headers of an office document (a ZIP) and
  really inflates every member, counting output bytes. The sizes declared in the
  central directory are not trusted: a bomb can lie about them.
* `PdfInflation` finds every `stream ... endstream` body of a PDF and inflates the
  FlateDecode ones the same way. Other filters (DCT for JPEG pictures, CCITT)
  are not inflated here; they do not grow by orders of magnitude.
* `PolyglotCheck` looks for a second file hidden behind the first: a ZIP end
  record that closes the file exactly (what `unzip` opens in a JPEG or PDF with a
  ZIP appended), or a RAR or 7-Zip signature anywhere. A random 6-byte signature
  turns up by chance once in 2^48 bytes, and a ZIP end record whose length field
  lands exactly on the end of the file does not occur in a camera's output.

Each raises `Refused` with a stable code: "bomb" (inflates beyond the limit),
"pixels" (a picture declares more pixels than the limit) or "polyglot" (an
archive inside).
"""

from __future__ import annotations

import struct
import zlib

from corridor.evidence.sniff import Refused

DEFAULT_MAX_INFLATED = 256 << 20
# Beyond this ratio of inflated to received bytes a file is refused even under the
# absolute limit, once it has inflated past `RATIO_FLOOR` (small files compress well).
MAX_RATIO = 100
RATIO_FLOOR = 32 << 20
_STEP = 64 << 10  # at most this much inflated output exists at once

_RAR = b"Rar!\x1a\x07"
_7Z = b"7z\xbc\xaf\x27\x1c"
_EOCD = b"PK\x05\x06"
_EOCD_TAIL = 22 + 0xFFFF  # the end record plus the longest comment


class _Counter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflated = 0
        self.received = 0

    def add(self, n: int) -> None:
        self.inflated += n
        if self.inflated > self.limit:
            raise Refused("bomb")
        if self.inflated > RATIO_FLOOR and self.inflated > MAX_RATIO * max(self.received, 1):
            raise Refused("bomb")

    def inflate(self, d, data: bytes) -> bytes:
        """Feed `data` to decompressor `d` in bounded steps; returns unused input."""
        while data and not d.eof:
            out = d.decompress(data, _STEP)
            self.add(len(out))
            data = d.unconsumed_tail
        return d.unused_data if d.eof else b""


class ZipInflation:
    """Inflate each member of a ZIP as it streams, stopping at the central directory."""

    def __init__(self, limit: int = DEFAULT_MAX_INFLATED) -> None:
        self._count = _Counter(limit)
        self._buf = bytearray()
        self._state = "header"
        self._d = None
        self._stored_left = 0
        self._descriptor = False
        self._done = False

    @property
    def inflated(self) -> int:
        return self._count.inflated

    def feed(self, data: bytes) -> None:
        self._count.received += len(data)
        if self._done:
            return
        self._buf += data
        while not self._done and self._step():
            pass

    def _step(self) -> bool:
        buf = self._buf
        if self._state == "header":
            if len(buf) < 4:
                return False
            sig = bytes(buf[:4])
            if sig in (b"PK\x01\x02", _EOCD, b"PK\x06\x06"):
                self._done = True  # the central directory: every member has been seen
                return False
            if sig != b"PK\x03\x04":
                raise Refused("malformed")
            if len(buf) < 30:
                return False
            flags, method = struct.unpack_from("<HH", buf, 6)
            compressed, = struct.unpack_from("<I", buf, 18)
            name_len, extra_len = struct.unpack_from("<HH", buf, 26)
            if len(buf) < 30 + name_len + extra_len:
                return False
            if flags & 1:
                raise Refused("malformed")  # encrypted members cannot be checked
            del buf[:30 + name_len + extra_len]
            self._descriptor = bool(flags & 8)
            if method == 8:
                self._d = zlib.decompressobj(-15)
                self._state = "deflate"
            elif method == 0:
                if self._descriptor or compressed == 0xFFFFFFFF:
                    raise Refused("malformed")
                self._stored_left = compressed
                self._state = "stored"
            else:
                raise Refused("malformed")
            return True
        if self._state == "stored":
            take = min(self._stored_left, len(buf))
            if not take and self._stored_left:
                return False
            self._count.add(take)
            del buf[:take]
            self._stored_left -= take
            if self._stored_left:
                return False
            self._state = "header"
            return True
        if self._state == "deflate":
            if not buf:
                return False
            try:
                rest = self._count.inflate(self._d, bytes(buf))
            except zlib.error:
                raise Refused("malformed") from None
            if not self._d.eof:
                buf.clear()
                return False
            buf[:] = rest
            self._state = "descriptor" if self._descriptor else "header"
            return True
        if self._state == "descriptor":
            # Optional signature, CRC, compressed and uncompressed sizes (ZIP64: 8 each).
            if len(buf) < 4:
                return False
            skip = 4 if bytes(buf[:4]) == b"PK\x07\x08" else 0
            if len(buf) < skip + 12 + 4:
                return False
            # Prefer the 32-bit form; a 64-bit descriptor is recognised by the next signature.
            if bytes(buf[skip + 12:skip + 14]) == b"PK":
                del buf[:skip + 12]
            elif len(buf) >= skip + 20:
                del buf[:skip + 20]
            else:
                return False
            self._state = "header"
            return True
        raise AssertionError(self._state)

    def close(self) -> None:
        if not self._done:
            raise Refused("malformed")


class PdfInflation:
    """Inflate every Flate stream body of a PDF while it streams; count the output."""

    KEEP = 16  # bytes kept across chunks to find a keyword split between two of them

    def __init__(self, limit: int = DEFAULT_MAX_INFLATED) -> None:
        self._count = _Counter(limit)
        self._buf = bytearray()
        self._d = None

    @property
    def inflated(self) -> int:
        return self._count.inflated

    def feed(self, data: bytes) -> None:
        self._count.received += len(data)
        self._buf += data
        while True:
            if self._d is not None:
                try:
                    rest = self._count.inflate(self._d, bytes(self._buf))
                except zlib.error:
                    self._d = None  # not Flate (or damaged): look for the next keyword
                    continue
                if self._d.eof:
                    self._buf[:] = rest
                    self._d = None
                    continue
                self._buf.clear()
                return
            start = self._find_stream()
            if start < 0:
                del self._buf[:-self.KEEP]
                return
            del self._buf[:start]
            self._d = zlib.decompressobj()

    def _find_stream(self) -> int:
        """Offset just after the next `stream` keyword's end of line, or -1."""
        buf = self._buf
        pos = 0
        while True:
            at = buf.find(b"stream", pos)
            if at < 0 or at + 8 > len(buf):
                return -1
            if at >= 3 and buf[at - 3:at] == b"end":
                pos = at + 6
                continue
            if buf[at + 6:at + 8] == b"\r\n":
                return at + 8
            if buf[at + 6:at + 7] in (b"\n", b"\r"):
                return at + 7
            pos = at + 6

    def close(self) -> None:
        return None


class PolyglotCheck:
    """A ZIP, RAR or 7-Zip archive inside a file that is not meant to be one."""

    def __init__(self) -> None:
        self._tail = bytearray()
        self._carry = b""

    def feed(self, data: bytes) -> None:
        edge = self._carry + bytes(data[:len(_RAR)])
        if _RAR in data or _7Z in data or _RAR in edge or _7Z in edge:
            raise Refused("polyglot")
        self._carry = (self._carry + bytes(data[-(len(_RAR) - 1):]))[-(len(_RAR) - 1):]
        self._tail += data
        if len(self._tail) > 2 * _EOCD_TAIL:
            del self._tail[:-_EOCD_TAIL]

    def close(self) -> None:
        tail = bytes(self._tail[-_EOCD_TAIL:])
        at = tail.rfind(_EOCD)
        while at >= 0:
            if at + 22 <= len(tail):
                comment_len, = struct.unpack_from("<H", tail, at + 20)
                if at + 22 + comment_len == len(tail):
                    raise Refused("polyglot")
            at = tail.rfind(_EOCD, 0, at)


def inflation_for(kind_code: str, limit: int = DEFAULT_MAX_INFLATED):
    """The inflation check for a kind, or None (images are checked by their pixels)."""
    if kind_code == "pdf":
        return PdfInflation(limit)
    if kind_code in {"docx", "odt", "xlsx", "pptx"}:
        return ZipInflation(limit)
    return None


HEIC_SCAN_BYTES = 256 << 10


class PixelCheck:
    """Declared picture size against the pixel limit, while the file streams.

    JPEG and PNG go through their strippers (output discarded: only the header
    parse matters here); WebP declares its canvas in the first chunk; HEIC in
    `ispe` boxes of its `meta` box, which phones write at the start of the file.
    """

    def __init__(self, kind_code: str, max_pixels: int) -> None:
        from corridor.evidence.strip import JpegStripper, PngStripper

        self.kind = kind_code
        self.max_pixels = max_pixels
        self._parser = {"jpeg": JpegStripper, "png": PngStripper}.get(kind_code)
        self._parser = self._parser(max_pixels) if self._parser else None
        self._head = bytearray()

    def feed(self, data: bytes) -> None:
        if self._parser is not None:
            try:
                self._parser.feed(data)
            except Refused as exc:
                raise Refused("pixels" if exc.code == "bomb" else exc.code) from None
        elif len(self._head) < HEIC_SCAN_BYTES:
            self._head += data[:HEIC_SCAN_BYTES - len(self._head)]

    def close(self) -> None:
        try:
            self._close()
        except Refused as exc:
            raise Refused("pixels" if exc.code == "bomb" else exc.code) from None

    def _close(self) -> None:
        from corridor.evidence.strip import _check_dimensions, webp_dimensions

        if self._parser is not None:
            self._parser.close()
            return
        head = bytes(self._head)
        if self.kind == "webp":
            size = webp_dimensions(head[:64])
            if size is None:
                raise Refused("malformed")
            _check_dimensions(*size, self.max_pixels)
        elif self.kind == "heic":
            at = head.find(b"ispe")
            while at >= 4:
                if at + 16 <= len(head):
                    width, height = struct.unpack_from(">II", head, at + 8)
                    if width and height:
                        _check_dimensions(width, height, self.max_pixels)
                at = head.find(b"ispe", at + 4)


class ContentChecks:
    """Every streaming check a received file of `kind_code` needs, in one object:
    pixels for pictures, inflation for PDF and office files, and hidden archives
    for everything that is not itself an archive (office files are ZIPs)."""

    PICTURES = {"jpeg", "png", "webp", "heic"}

    def __init__(self, kind_code: str, *, max_pixels: int, max_inflated: int = DEFAULT_MAX_INFLATED,
                 pixels: bool = True) -> None:
        self._checks: list = []
        if pixels and kind_code in self.PICTURES:
            self._checks.append(PixelCheck(kind_code, max_pixels))
        inflation = inflation_for(kind_code, max_inflated)
        if inflation is not None:
            self._checks.append(inflation)
        if not isinstance(inflation, ZipInflation):
            self._checks.append(PolyglotCheck())
        else:
            self._checks.append(_NotPdf())

    def feed(self, data: bytes) -> None:
        for check in self._checks:
            check.feed(data)

    def close(self) -> None:
        for check in self._checks:
            check.close()


class _NotPdf:
    """An office file that is also a PDF (PDF readers look for `%PDF-` anywhere in
    the first KiB) is a polyglot too."""

    def __init__(self) -> None:
        self._head = b""

    def feed(self, data: bytes) -> None:
        if len(self._head) < 1024:
            self._head += data[:1024 - len(self._head)]
            if b"%PDF-" in self._head:
                raise Refused("polyglot")

    def close(self) -> None:
        return None
