"""Small synthetic images for the demo and the tests, made without an image library.

Each carries the kind of metadata the working copy must lose (an EXIF block with
fake GPS and a phone serial, a comment, PNG text chunks), so the demo shows and
the tests prove that stripping works. Everything here is made up.
"""

from __future__ import annotations

import struct
import zlib

FAKE_METADATA = b"GPS 43.3178N 45.6986E; device SM-A105F serial R58M12345; owner Demo Person"

# The standard JPEG luminance DC Huffman table (ITU T.81, Annex K.3).
_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
_DC_VALUES = list(range(12))


def _huffman_codes(bits: list[int], values: list[int]) -> dict[int, tuple[int, int]]:
    codes, code, k = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def make_jpeg(width: int = 64, height: int = 48, *, metadata: bool = True) -> bytes:
    """A valid baseline greyscale JPEG of flat 8x8 blocks (a diagonal gradient)."""
    dc_codes = _huffman_codes(_DC_BITS, _DC_VALUES)
    bits: list[int] = []

    def put(value: int, length: int) -> None:
        bits.extend((value >> i) & 1 for i in range(length - 1, -1, -1))

    previous = 0
    for by in range((height + 7) // 8):
        for bx in range((width + 7) // 8):
            level = 40 + ((bx + by) * 23) % 180
            dc = 8 * (level - 128)
            diff = dc - previous
            previous = dc
            category = abs(diff).bit_length()
            code, length = dc_codes[category]
            put(code, length)
            if category:
                put(diff if diff > 0 else diff + (1 << category) - 1, category)
            put(0, 1)  # end of block: the only symbol of our one-code AC table
    bits.extend([1] * (-len(bits) % 8))
    data = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i:i + 8])), 2)
        data.append(byte)
        if byte == 0xFF:
            data.append(0x00)
    parts = [b"\xff\xd8", _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")]
    if metadata:
        exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00" + FAKE_METADATA
        parts += [_segment(0xE1, exif), _segment(0xFE, b"Comment: " + FAKE_METADATA)]
    parts += [
        _segment(0xDB, b"\x00" + b"\x01" * 64),
        _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
        _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES)),
        _segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),
        _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        bytes(data),
        b"\xff\xd9",
    ]
    return b"".join(parts)


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def make_png(width: int = 64, height: int = 48, *, metadata: bool = True, declared: tuple[int, int] | None = None) -> bytes:
    """A valid 8-bit RGB PNG (a colour gradient); `declared` fakes the header size."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes([(x * 4) % 256, (y * 5) % 256, 120])
    w, h = declared or (width, height)
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))]
    if metadata:
        parts += [_chunk(b"tEXt", b"Comment\x00" + FAKE_METADATA), _chunk(b"tIME", b"\x07\xe1\x03\x0f\x0c\x00\x00")]
    parts += [_chunk(b"IDAT", zlib.compress(bytes(rows))), _chunk(b"IEND", b"")]
    return b"".join(parts)
