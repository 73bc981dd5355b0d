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


def make_pdf(text: str = "Synthetic decision", *, author: str = "Ivan Petrov") -> bytes:
    """A valid one-page PDF with a Flate content stream and an info dictionary
    naming its `author` (what metadata removal must take away)."""
    content = zlib.compress(f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Author (" + author.encode("latin-1") + b") /Creator (Writer) /Producer (Office) "
        b"/CreationDate (D:20240501100000Z) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_zip(members: dict[str, bytes] | None = None) -> bytes:
    """A small ordinary ZIP archive (what a polyglot hides behind a photo or PDF)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members or {"payload.txt": b"hidden"}).items():
            archive.writestr(name, data)
    return buf.getvalue()


def make_docx(*, author: str = "Ivan Petrov", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Word document whose core properties name its author."""
    core = ('<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
            'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>'
            f'{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy></cp:coreProperties>')
    members = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                               b'.org/package/2006/content-types"><Default Extension="xml" ContentType="application/'
                               b'xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxml'
                               b'formats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
                       b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                       b'.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                       b'</Relationships>',
        "word/document.xml": b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxml'
                             b'formats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Statement</w:t></w:r>'
                             b'</w:p></w:body></w:document>',
        "docProps/core.xml": core.encode(),
        **(extra or {}),
    }
    return make_zip(members)


def _repeated_deflate(block: bytes, times: int) -> bytes:
    """Raw deflate of `block` repeated `times` times, made by compressing it once: a
    full flush leaves the stream byte-aligned with no history, so the same bytes can
    follow themselves, and an empty final block closes the stream."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    return segment * times + b"\x03\x00"


def make_docx_bomb(inflated: int = 300 << 20, *, lie: bool = False) -> bytes:
    """A Word document of about 300 KB whose one media member inflates to `inflated`
    bytes. With `lie`, the central directory claims that member is 1 KiB, so only
    inflating it for real shows what it is. 300 MB never exist in memory."""
    import io
    import zipfile

    plain = zipfile.ZipFile(io.BytesIO(make_docx()))
    members = [(info.filename.encode(), plain.read(info.filename)) for info in plain.infolist()]
    out = io.BytesIO()
    entries = []

    def put(name: bytes, body: bytes, crc: int, size: int) -> None:
        entries.append((name, out.tell(), crc, len(body), size))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(body), size, len(name), 0)
                  + name + body)

    for name, payload in members:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        put(name, comp.compress(payload) + comp.flush(), zlib.crc32(payload), len(payload))
    crc, block = 0, b"\x00" * (1 << 20)
    for _ in range(inflated >> 20):
        crc = zlib.crc32(block, crc)
    put(b"word/media/image1.bin", _repeated_deflate(block, inflated >> 20), crc, inflated)
    directory = out.tell()
    for name, offset, crc, csize, usize in entries:
        if lie and name == b"word/media/image1.bin":
            usize = 1024
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize, usize,
                              len(name), 0, 0, 0, 0, 0, offset) + name)
    size = out.tell() - directory
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), size, directory, 0))
    return out.getvalue()


def make_pdf_bomb(inflated: int = 300 << 20) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes of spaces."""
    block = b" " * (1 << 20)
    adler = 1
    for _ in range(inflated >> 20):
        adler = zlib.adler32(block, adler)
    body = b"\x78\xda" + _repeated_deflate(block, inflated >> 20) + struct.pack(">I", adler)
    page = make_pdf()
    cut = page.index(b"xref\n")
    extra = b"7 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream\nendobj\n"
    return page[:cut] + extra + page[cut:]


def with_gps(jpeg: bytes) -> bytes:
    """The JPEG with an EXIF block holding GPS coordinates (Grozny), a camera make,
    model and serial number, written by exiftool as a phone would."""
    import os
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("exiftool")
    if exe is None:
        raise RuntimeError("exiftool is needed to make the GPS sample (apt-get install libimage-exiftool-perl)")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "photo.jpg")
        with open(path, "wb") as fh:
            fh.write(jpeg)
        subprocess.run([exe, "-q", "-overwrite_original", "-GPSLatitude=43.3169", "-GPSLatitudeRef=N",
                        "-GPSLongitude=45.6981", "-GPSLongitudeRef=E", "-Make=Samsung", "-Model=SM-A515F",
                        "-SerialNumber=R58M12345", path], check=True, capture_output=True)
        with open(path, "rb") as fh:
            return fh.read()


def make_media(kind: str = "mp4") -> bytes:
    """A one-second clip made by ffmpeg, stamped as a phone stamps it: a creation time,
    a GPS location and the owner's name. `kind`: mp4 (video), m4a, mp3, ogg or wav."""
    import os
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("ffmpeg is needed to make the media samples (apt-get install ffmpeg)")
    video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5"] if kind == "mp4" else []
    codec = {"mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"], "m4a": ["-c:a", "aac"]}.get(kind, [])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "clip." + kind)
        subprocess.run([exe, "-nostdin", "-loglevel", "error", *video, "-f", "lavfi", "-i", "sine=d=1", "-t", "1",
                        *codec, "-metadata", "creation_time=2024-05-01T10:00:00Z",
                        "-metadata", "location=+43.3169+045.6981/", "-metadata", "artist=Ivan Petrov",
                        "-metadata", "title=Grozny", path], check=True, capture_output=True)
        with open(path, "rb") as fh:
            return fh.read()
