"""Working copies without metadata, for every type evidence and intake accept, made by
the tools the README installs (mat2, exiftool, ffmpeg), and read back by exiftool."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.evidence import samples, scrub, services
from corridor.evidence.ingest import ingest_chunks
from corridor.evidence.models import EvidenceFile

pytestmark = pytest.mark.django_db


def _tags(data: bytes, tmp_path: Path, ext: str) -> dict:
    path = tmp_path / f"copy.{ext}"
    path.write_bytes(data)
    return scrub.read_metadata(path)


def _clean(kind: str, data: bytes) -> bytes:
    with scrub.scrubbed(kind, [data]) as fh:
        return fh.read()


def test_the_samples_carry_the_metadata_we_remove(tmp_path):
    assert _tags(samples.make_pdf(), tmp_path, "pdf")["Author"] == "Ivan Petrov"
    assert "GPSLatitude" in _tags(samples.with_gps(samples.make_jpeg()), tmp_path, "jpg")
    video = _tags(samples.make_media("mp4"), tmp_path, "mp4")
    assert video["CreateDate"].startswith("2024:05:01") and video["Artist"] == "Ivan Petrov"


def test_a_pdf_loses_its_author_and_dates(tmp_path):
    tags = _tags(_clean("pdf", samples.make_pdf()), tmp_path, "pdf")
    assert not {"Author", "Creator", "Producer", "CreateDate"} & set(tags)


def test_a_docx_loses_its_author(tmp_path):
    clean = _clean("docx", samples.make_docx())
    assert b"Ivan Petrov" not in clean
    assert not {"Creator", "LastModifiedBy"} & set(_tags(clean, tmp_path, "docx"))


@pytest.mark.parametrize("kind", ["mp4", "m4a", "mp3", "ogg", "wav"])
def test_audio_and_video_lose_creation_time_place_and_owner(kind, tmp_path):
    tags = _tags(_clean(kind, samples.make_media(kind)), tmp_path, kind)
    assert scrub.residual(tags) == []
    assert "Ivan" not in repr(tags) and "43.3" not in repr(tags) and "2024" not in repr(tags)


def test_a_jpeg_loses_gps_camera_and_serial(tmp_path):
    tags = _tags(_clean("jpeg", samples.with_gps(samples.make_jpeg())), tmp_path, "jpg")
    assert not [t for t in tags if t.startswith("GPS")]
    assert not {"Make", "Model", "SerialNumber"} & set(tags)


def test_a_tool_that_leaves_metadata_behind_gives_no_working_copy(monkeypatch):
    monkeypatch.setattr(scrub, "_mat2", lambda src, work, **kw: src)  # a "cleaner" that does nothing
    with pytest.raises(scrub.Unstrippable) as exc:
        _clean("pdf", samples.make_pdf())
    assert exc.value.code == "residual_metadata" and "Author" in str(exc.value)


def test_a_missing_tool_gives_no_working_copy(monkeypatch):
    monkeypatch.setattr(scrub.shutil, "which", lambda name: None)
    with pytest.raises(scrub.Unstrippable) as exc:
        _clean("pdf", samples.make_pdf())
    assert exc.value.code == "tool_missing"


def test_no_plaintext_is_left_in_the_scrub_directory(settings, tmp_path):
    settings.CORRIDOR_SCRUB_DIR = str(tmp_path / "scrub")
    _clean("pdf", samples.make_pdf())
    with pytest.raises(scrub.Unstrippable):
        _clean("mp3", b"ID3 not really an mp3")
    assert list((tmp_path / "scrub").iterdir()) == []


def test_evidence_files_get_a_working_copy_linked_to_the_original_in_custody(cast, tmp_path):
    from corridor.audit.models import AuditEntry
    from corridor.evidence.events import EvidenceEvent

    f = services.file_register(actor=cast.legal, ingested=ingest_chunks(
        organisation=cast.org, name="decision.pdf", chunks=[samples.make_pdf()]))
    f.refresh_from_db()
    assert f.has_working_copy and not f.working_refused
    working = b"".join(services.file_read(f, working=True))
    assert b"Ivan Petrov" not in working and "Author" not in _tags(working, tmp_path, "pdf")
    entry = AuditEntry.objects.get(code=EvidenceEvent.FILE_STRIPPED, object_id=str(f.id))
    assert entry.data["sha256"] == f.sha256 and entry.data["working_sha256"] == f.working_sha256
    assert entry.data["tool"] == "mat2"


def test_a_file_that_cannot_be_stripped_shows_staff_why(cast, staff_client):
    f = services.file_register(actor=cast.legal, ingested=ingest_chunks(
        organisation=cast.org, name="voice.mp3", chunks=[b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64]))
    f = EvidenceFile.objects.get(pk=f.pk)
    assert not f.has_working_copy and f.working_refused == "tool_failed"
    from django.utils import translation

    page = staff_client(cast.legal).get(f"/staff/evidence/files/{f.pk}/").content.decode()
    with translation.override("ru"):
        assert "Рабочей копии нет:" in page and scrub.reason_text("tool_failed") in page
    assert staff_client(cast.legal).get(f"/staff/evidence/files/{f.pk}/download/working/").status_code == 404
