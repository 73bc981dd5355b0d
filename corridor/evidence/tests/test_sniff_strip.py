"""Content checks and metadata stripping, fed in awkward pieces as uploads arrive."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from corridor.evidence.samples import FAKE_METADATA, make_jpeg, make_png
from corridor.evidence.sniff import (
    KINDS,
    Refused,
    TextCheck,
    ZipTail,
    check_head,
    check_name,
    kind_for_name,
)
from corridor.evidence.strip import JpegStripper, PngStripper


def run(stripper, data: bytes, piece: int = 7) -> bytes:
    out = b"".join(stripper.feed(data[i:i + piece]) for i in range(0, len(data), piece))
    return out + stripper.close()


@pytest.mark.parametrize("name", [
    "../../etc/passwd.txt", "..\\..\\boot.ini", "/abs/photo.jpg", "a/../b.jpg", "photo.jpg\x00.exe", ".hidden.jpg",
    "x" * 300 + ".jpg", "tab\there.txt", "right-to-left\u202egpj.exe", "", "   ", "..",
])
def test_traversal_and_control_names_are_refused(name):
    with pytest.raises(Refused) as err:
        check_name(name)
    assert err.value.code == "bad_name"


@pytest.mark.parametrize("name", ["фото допроса.jpg", "IMG_2017-03-01.JPEG", "decision v2.pdf", "запись.ogg"])
def test_ordinary_names_pass(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["payload.exe", "page.html", "noext", "archive.zip", "script.svg"])
def test_unknown_types_are_refused(name):
    with pytest.raises(Refused) as err:
        kind_for_name(name)
    assert err.value.code == "unsupported_type"


GOOD_HEADS = {
    "jpeg": make_jpeg()[:64], "png": make_png()[:64], "pdf": b"%PDF-1.7\n" + b" " * 60,
    "mp3": b"ID3\x04\x00" + b"\x00" * 60, "mp4": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 52,
    "ogg": b"OggS\x00\x02" + b"\x00" * 58, "wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 48,
    "txt": "Показания: задержан 1 марта.".encode() + b" " * 20, "docx": b"PK\x03\x04" + b"\x00" * 60,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_accepts_its_own_magic(kind):
    check_head(KINDS[kind], GOOD_HEADS[kind])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_refuses_another_kinds_content(kind):
    other = GOOD_HEADS["pdf" if kind != "pdf" else "png"]
    with pytest.raises(Refused) as err:
        check_head(KINDS[kind], other)
    assert err.value.code == "content_mismatch"


def test_an_mpeg_frame_header_without_id3_is_mp3():
    check_head(KINDS["mp3"], b"\xff\xfb\x90\x64" + b"\x00" * 60)
    with pytest.raises(Refused):
        check_head(KINDS["mp3"], b"\xff\xfb\xf0\x64" + b"\x00" * 60)  # bitrate index 15 is invalid


def test_html_named_pdf_is_refused():
    with pytest.raises(Refused):
        check_head(KINDS["pdf"], b"<html><script>alert(1)</script>")


def test_empty_files_are_refused():
    with pytest.raises(Refused) as err:
        check_head(KINDS["pdf"], b"")
    assert err.value.code == "empty"


def test_text_must_be_utf8_without_nul_even_split_inside_a_character():
    check = TextCheck()
    data = "Свидетель".encode()
    check.feed(data[:3])  # splits the second Cyrillic letter
    check.feed(data[3:])
    check.close()
    with pytest.raises(Refused):
        TextCheck().feed(b"\xff\xfe binary")
    with pytest.raises(Refused):
        TextCheck().feed(b"text\x00with nul")
    truncated = TextCheck()
    truncated.feed(data[:3])
    with pytest.raises(Refused):
        truncated.close()


def _docx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _zip_check(data: bytes) -> None:
    tail = ZipTail()
    for i in range(0, len(data), 1000):
        tail.feed(data[i:i + 1000])
    tail.close(len(data))


def test_a_word_document_passes():
    _zip_check(_docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}))


def test_a_zip_that_is_not_a_word_document_is_refused():
    with pytest.raises(Refused) as err:
        _zip_check(_docx({"payload.apk": b"dex"}))
    assert err.value.code == "content_mismatch"


def test_a_docx_decompression_bomb_is_refused():
    bomb = _docx({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\x00" * (50 << 20)})
    assert len(bomb) < 100_000
    with pytest.raises(Refused) as err:
        _zip_check(bomb)
    assert err.value.code == "bomb"


def test_a_truncated_zip_is_refused():
    with pytest.raises(Refused):
        _zip_check(_docx({"[Content_Types].xml": b"x", "word/a.xml": b"y"})[:-30])


def test_jpeg_working_copy_loses_exif_and_comments_but_keeps_the_picture():
    original = make_jpeg()
    stripper = JpegStripper()
    stripped = run(stripper, original)
    assert FAKE_METADATA in original and FAKE_METADATA not in stripped
    assert b"Exif" not in stripped and b"JFIF" not in stripped
    assert (stripper.width, stripper.height) == (64, 48)
    # The entropy-coded picture is copied byte for byte.
    sos = original.index(b"\xff\xda")
    assert original[sos:] in stripped
    assert stripped.startswith(b"\xff\xd8") and stripped.endswith(b"\xff\xd9")


def test_jpeg_trailing_data_after_eoi_is_dropped():
    stripped = run(JpegStripper(), make_jpeg() + b"PK\x03\x04 hidden archive")
    assert b"hidden archive" not in stripped


def test_jpeg_icc_and_adobe_segments_are_kept():
    original = make_jpeg(metadata=False)
    icc = b"\xff\xe2" + struct.pack(">H", 2 + 14 + 4) + b"ICC_PROFILE\x00\x01\x01" + b"prof"
    extra = original[:2] + icc + original[2:]
    assert icc in run(JpegStripper(), extra)


def test_jpeg_declaring_huge_dimensions_is_a_bomb():
    original = make_jpeg()
    sof = original.index(b"\xff\xc0")
    bomb = original[:sof + 5] + struct.pack(">HH", 60000, 60000) + original[sof + 9:]
    with pytest.raises(Refused) as err:
        run(JpegStripper(max_pixels=10_000_000), bomb)
    assert err.value.code == "bomb"


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xda\x00\x08", make_jpeg()[:-40], b"\xff\xd8junk"])
def test_malformed_or_truncated_jpegs_are_refused(data):
    with pytest.raises(Refused):
        run(JpegStripper(), data)


def test_png_working_copy_drops_text_and_time_chunks():
    original = make_png()
    stripper = PngStripper()
    stripped = run(stripper, original, piece=5)
    assert FAKE_METADATA in original and FAKE_METADATA not in stripped
    assert b"tEXt" not in stripped and b"tIME" not in stripped
    assert zlib.decompress(stripped[stripped.index(b"IDAT") + 4:-16]) == zlib.decompress(
        original[original.index(b"IDAT") + 4:-16])
    assert (stripper.width, stripper.height) == (64, 48)


def test_png_declaring_huge_dimensions_is_refused_before_any_pixel():
    bomb = make_png(8, 8, declared=(100_000, 100_000))
    stripper = PngStripper()
    with pytest.raises(Refused) as err:
        stripper.feed(bomb[:33])  # signature and IHDR only
    assert err.value.code == "bomb"


def test_png_with_a_bad_crc_is_refused():
    data = bytearray(make_png())
    data[data.index(b"IDAT") + 10] ^= 0xFF
    with pytest.raises(Refused) as err:
        run(PngStripper(), bytes(data))
    assert err.value.code == "malformed"


def test_png_with_an_unknown_critical_chunk_is_refused():
    data = make_png(metadata=False)
    chunk = struct.pack(">I", 1) + b"XXXX" + b"\x00" + struct.pack(">I", zlib.crc32(b"XXXX\x00"))
    evil = data[:33] + chunk + data[33:]
    with pytest.raises(Refused):
        run(PngStripper(), evil)
