"""Decompression bombs and archive polyglots are refused while they stream in,
whatever the declared sizes say."""

from __future__ import annotations

import pytest

from corridor.evidence import bombs, samples
from corridor.evidence.sniff import Refused, ZipTail


def _feed(check, data: bytes, step: int = 65536) -> None:
    for at in range(0, len(data), step):
        check.feed(data[at:at + step])
    check.close()


@pytest.fixture(scope="module")
def docx_bomb():
    return samples.make_docx_bomb()


@pytest.fixture(scope="module")
def lying_docx_bomb():
    return samples.make_docx_bomb(lie=True)


def test_a_306_kb_docx_that_inflates_to_300_mb_is_refused(docx_bomb):
    assert 290_000 < len(docx_bomb) < 330_000
    check = bombs.ZipInflation()
    with pytest.raises(Refused) as exc:
        _feed(check, docx_bomb)
    assert exc.value.code == "bomb"
    assert check.inflated < 40 << 20  # it stopped long before 300 MB


def test_a_docx_whose_directory_lies_about_its_sizes_is_still_refused(lying_docx_bomb):
    tail = ZipTail()  # the declared sizes look harmless ...
    tail.feed(lying_docx_bomb)
    tail.close(len(lying_docx_bomb))
    with pytest.raises(Refused) as exc:  # ... but inflating it for real does not
        _feed(bombs.ZipInflation(), lying_docx_bomb)
    assert exc.value.code == "bomb"


def test_an_ordinary_docx_inflates_to_its_real_size():
    data = samples.make_docx()
    check = bombs.ZipInflation()
    _feed(check, data, step=7)
    assert 800 < check.inflated < 2000


def test_a_pdf_whose_stream_inflates_to_300_mb_is_refused():
    data = samples.make_pdf_bomb()
    assert len(data) < 400_000
    check = bombs.PdfInflation()
    with pytest.raises(Refused) as exc:
        _feed(check, data, step=1000)
    assert exc.value.code == "bomb"


def test_an_ordinary_pdf_passes_with_its_streams_counted():
    check = bombs.PdfInflation()
    _feed(check, samples.make_pdf(), step=5)
    assert check.inflated > 20


@pytest.mark.parametrize("carrier", ["jpeg", "pdf", "png"])
def test_a_zip_appended_to_a_photo_or_pdf_is_a_polyglot(carrier):
    first = {"jpeg": samples.make_jpeg, "pdf": samples.make_pdf, "png": samples.make_png}[carrier]()
    with pytest.raises(Refused) as exc:
        _feed(bombs.ContentChecks(carrier, max_pixels=10**8), first + samples.make_zip(), step=333)
    assert exc.value.code == "polyglot"
    _feed(bombs.ContentChecks(carrier, max_pixels=10**8), first)  # the same file alone passes


def test_a_rar_signature_split_across_two_chunks_is_found():
    data = samples.make_pdf() + b"Rar!\x1a\x07\x00" + b"\x00" * 100
    at = data.index(b"Rar!") + 3
    check = bombs.PolyglotCheck()
    check.feed(data[:at])
    with pytest.raises(Refused):
        check.feed(data[at:])


def test_a_docx_that_is_also_a_pdf_is_a_polyglot():
    data = samples.make_zip({"%PDF-1.4 x": b"", "[Content_Types].xml": b"", "word/document.xml": b""})
    with pytest.raises(Refused) as exc:
        _feed(bombs.ContentChecks("docx", max_pixels=10**8), data)
    assert exc.value.code == "polyglot"


def test_a_picture_declaring_too_many_pixels_is_refused_before_its_pixels():
    png = samples.make_png(declared=(60_000, 60_000))
    check = bombs.ContentChecks("png", max_pixels=200_000_000)
    with pytest.raises(Refused) as exc:
        check.feed(png[:40])
    assert exc.value.code == "pixels"


def test_a_webp_and_a_heic_declaring_too_many_pixels_are_refused():
    vp8x = b"VP8X" + (10).to_bytes(4, "little") + b"\x00" * 4 + (59_999).to_bytes(3, "little") * 2
    webp = b"RIFF" + (4 + len(vp8x)).to_bytes(4, "little") + b"WEBP" + vp8x
    with pytest.raises(Refused):
        _feed(bombs.ContentChecks("webp", max_pixels=200_000_000), webp)
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 12 + b"\x00\x00\x00\x14ispe\x00\x00\x00\x00" + \
        (50_000).to_bytes(4, "big") * 2
    with pytest.raises(Refused):
        _feed(bombs.ContentChecks("heic", max_pixels=200_000_000), heic)
