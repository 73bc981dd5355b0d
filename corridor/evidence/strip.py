"""Metadata-stripped working copies of JPEG and PNG images, made while streaming.

A photo from a survivor's phone carries GPS coordinates, the phone's serial number,
a thumbnail of the uncropped picture and the owner's name in EXIF/XMP/IPTC. The
original is kept untouched as the evidentiary copy; staff work with a copy that
has none of that.

No image library is involved (Pillow is not a dependency, and decoding untrusted
images is itself an attack surface). Both formats are containers of length-prefixed
segments, so the copy is made by parsing the container and dropping segments,
never by decoding pixels:

* JPEG: keep SOI, DQT, DHT, DRI, SOFn, SOS and the entropy-coded data, DNL, EOI,
  APP14 "Adobe" (colour transform) and APP2 "ICC_PROFILE"; drop every other APPn
  (EXIF, XMP, JFIF thumbnails, IPTC, MPF), comments, and anything after EOI.
* PNG: keep IHDR, PLTE, IDAT, IEND and the colour chunks (tRNS, gAMA, cHRM, sRGB,
  iCCP, sBIT); drop text, eXIf, time, physical size, APNG frames and unknown
  ancillary chunks, and anything after IEND. CRCs of kept chunks are checked.

Declared dimensions are checked against `max_pixels` as soon as the SOF/IHDR
segment arrives, before any pixel data: a tiny file that claims 100,000 x 100,000
pixels is a decompression bomb for whoever opens it and is refused. Memory is
bounded by one JPEG segment (at most 64 KiB) or one PNG chunk header.
"""

from __future__ import annotations

import struct
import zlib

from corridor.evidence.sniff import Refused

DEFAULT_MAX_PIXELS = 200_000_000
MAX_SIDE = 65_535

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_KEEP_JPEG = {0xDB, 0xC4, 0xDD, 0xDA, 0xDC, *_SOF}


def _check_dimensions(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise Refused("malformed")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        raise Refused("bomb")


class JpegStripper:
    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self.width = self.height = 0
        self._buf = bytearray()
        self._state = "soi"
        self._done = False

    def feed(self, data: bytes) -> bytes:
        if self._done:
            return b""  # trailing data after EOI is dropped
        self._buf += data
        out = bytearray()
        while not self._done:
            if not self._step(out):
                break
        return bytes(out)

    def _step(self, out: bytearray) -> bool:
        """Consume one unit from the buffer; False when more input is needed."""
        buf = self._buf
        if self._state == "soi":
            if len(buf) < 2:
                return False
            if buf[:2] != b"\xff\xd8":
                raise Refused("content_mismatch")
            out += buf[:2]
            del buf[:2]
            self._state = "marker"
            return True
        if self._state == "entropy":
            return self._entropy(out)
        # A marker: 0xFF (fill bytes allowed), then the code.
        while len(buf) >= 2 and buf[0] == 0xFF and buf[1] == 0xFF:
            del buf[:1]
        if len(buf) < 2:
            return False
        if buf[0] != 0xFF:
            raise Refused("malformed")
        code = buf[1]
        if code == 0xD9:  # EOI
            if not self.width:
                raise Refused("malformed")
            out += b"\xff\xd9"
            del buf[:]
            self._done = True
            return False
        if code in _STANDALONE:
            out += buf[:2]
            del buf[:2]
            return True
        if len(buf) < 4:
            return False
        length = struct.unpack_from(">H", buf, 2)[0]
        if length < 2:
            raise Refused("malformed")
        if len(buf) < 2 + length:
            return False
        segment = bytes(buf[: 2 + length])
        del buf[: 2 + length]
        if code in _SOF:
            if length < 8:
                raise Refused("malformed")
            height, width = struct.unpack_from(">HH", segment, 5)
            _check_dimensions(width, height, self.max_pixels)
            self.width, self.height = width, height
        if code == 0xDA and not self.width:
            raise Refused("malformed")  # pixel data before any declared size
        if self._keep(code, segment):
            out += segment
        if code == 0xDA:
            self._state = "entropy"
        return True

    @staticmethod
    def _keep(code: int, segment: bytes) -> bool:
        if code in _KEEP_JPEG:
            return True
        payload = segment[4:]
        if code == 0xEE:
            return payload.startswith(b"Adobe")
        if code == 0xE2:
            return payload.startswith(b"ICC_PROFILE\x00")
        return False  # APPn, COM and anything unknown

    def _entropy(self, out: bytearray) -> bool:
        buf = self._buf
        pos = 0
        while True:
            ff = buf.find(b"\xff", pos)
            if ff < 0:
                out += buf
                del buf[:]
                return False
            if ff + 1 >= len(buf):
                out += buf[:ff]
                del buf[:ff]
                return False
            nxt = buf[ff + 1]
            if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
                pos = ff + 2  # stuffed 0xFF or a restart marker: still pixel data
                continue
            if nxt == 0xFF:
                pos = ff + 1  # fill byte before a marker
                continue
            out += buf[:ff]
            del buf[:ff]
            self._state = "marker"
            return True

    def close(self) -> bytes:
        if not self._done:
            raise Refused("malformed")
        return b""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEEP_PNG = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"}
_MAX_CHUNK = (1 << 31) - 1


class PngStripper:
    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self.width = self.height = 0
        self._buf = bytearray()
        self._state = "signature"
        self._left = 0  # bytes of the current chunk's data still to come
        self._keep = False
        self._crc = 0
        self._type = b""
        self._done = False
        self._first = True

    def feed(self, data: bytes) -> bytes:
        if self._done:
            return b""
        self._buf += data
        out = bytearray()
        while not self._done and self._step(out):
            pass
        return bytes(out)

    def _step(self, out: bytearray) -> bool:
        buf = self._buf
        if self._state == "signature":
            if len(buf) < 8:
                return False
            if buf[:8] != _PNG_SIGNATURE:
                raise Refused("content_mismatch")
            out += buf[:8]
            del buf[:8]
            self._state = "header"
            return True
        if self._state == "header":
            if len(buf) < 8:
                return False
            length, ctype = struct.unpack_from(">I4s", buf)
            if length > _MAX_CHUNK or not ctype.isalpha():
                raise Refused("malformed")
            if self._first and ctype != b"IHDR":
                raise Refused("malformed")
            if ctype[0:1].isupper() and ctype not in _KEEP_PNG:
                raise Refused("malformed")  # an unknown critical chunk cannot be skipped safely
            if ctype == b"IHDR":
                if length != 13 or len(buf) < 16:
                    if length != 13:
                        raise Refused("malformed")
                    return False
                width, height = struct.unpack_from(">II", buf, 8)
                _check_dimensions(width, height, self.max_pixels)
                self.width, self.height = width, height
            self._first = False
            self._type = ctype
            self._keep = ctype in _KEEP_PNG
            self._crc = zlib.crc32(ctype)
            self._left = length
            if self._keep:
                out += buf[:8]
            del buf[:8]
            self._state = "data"
            return True
        if self._state == "data":
            if self._left:
                if not buf:
                    return False
                take = min(self._left, len(buf))
                piece = buf[:take]
                if self._keep:
                    self._crc = zlib.crc32(piece, self._crc)
                    out += piece
                del buf[:take]
                self._left -= take
                return True
            if len(buf) < 4:
                return False
            if self._keep:
                if struct.unpack_from(">I", buf)[0] != self._crc & 0xFFFFFFFF:
                    raise Refused("malformed")
                out += buf[:4]
            del buf[:4]
            self._state = "header"
            if self._type == b"IEND":
                del buf[:]
                self._done = True
                return False
            return True
        raise AssertionError(self._state)

    def close(self) -> bytes:
        if not self._done:
            raise Refused("malformed")
        return b""


_KEEP_WEBP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
WEBP_MAX_BYTES = 64 << 20


def webp_dimensions(head: bytes) -> tuple[int, int] | None:
    """Canvas size from the first chunk of a WebP file, or None if it is not there yet."""
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    fourcc, data = head[12:16], head[20:]
    if fourcc == b"VP8X":
        return 1 + int.from_bytes(data[4:7], "little"), 1 + int.from_bytes(data[7:10], "little")
    if fourcc == b"VP8 " and data[3:6] == b"\x9d\x01\x2a":
        return (int.from_bytes(data[6:8], "little") & 0x3FFF, int.from_bytes(data[8:10], "little") & 0x3FFF)
    if fourcc == b"VP8L" and data[:1] == b"\x2f":
        bits = int.from_bytes(data[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


class WebpStripper:
    """WebP is a RIFF container: keep the image chunks, drop EXIF, XMP and unknown
    chunks, clear the EXIF/XMP flags of VP8X and rewrite the RIFF length. The whole
    file is held (intake caps it at a few MiB), since the length comes first."""

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.max_pixels = max_pixels
        self.width = self.height = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> bytes:
        self._buf += data
        if len(self._buf) > WEBP_MAX_BYTES:
            raise Refused("bomb")
        return b""

    def close(self) -> bytes:
        buf = bytes(self._buf)
        size = webp_dimensions(buf[:64])
        if size is None:
            raise Refused("content_mismatch" if buf[8:12] != b"WEBP" else "malformed")
        _check_dimensions(*size, self.max_pixels)
        self.width, self.height = size
        out = bytearray()
        pos = 12
        end = min(len(buf), 8 + int.from_bytes(buf[4:8], "little"))
        while pos + 8 <= end:
            fourcc = buf[pos:pos + 4]
            length = int.from_bytes(buf[pos + 4:pos + 8], "little")
            stop = pos + 8 + length + (length & 1)
            if stop > len(buf) + (length & 1):
                raise Refused("malformed")
            if fourcc in _KEEP_WEBP:
                chunk = bytearray(buf[pos:stop])
                if fourcc == b"VP8X":
                    chunk[8] &= ~0x0C & 0xFF  # no EXIF, no XMP
                out += chunk
            pos = stop
        return b"RIFF" + (len(out) + 4).to_bytes(4, "little") + b"WEBP" + bytes(out)


def stripper_for(kind_code: str, max_pixels: int = DEFAULT_MAX_PIXELS
                 ) -> JpegStripper | PngStripper | WebpStripper | None:
    if kind_code == "jpeg":
        return JpegStripper(max_pixels)
    if kind_code == "png":
        return PngStripper(max_pixels)
    if kind_code == "webp":
        return WebpStripper(max_pixels)
    return None
