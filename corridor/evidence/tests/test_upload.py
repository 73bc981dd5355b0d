"""Uploads through the real request stack and the streaming upload handler."""

from __future__ import annotations

import hashlib
import io
import stat
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from corridor.audit.models import AuditEntry
from corridor.crypto.models import DataKey
from corridor.evidence import storage
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import EvidenceFile
from corridor.evidence.samples import FAKE_METADATA, make_jpeg, make_png
from corridor.evidence.services import file_read
from corridor.evidence.tests.multipart import MultipartStream, post_stream

pytestmark = pytest.mark.django_db
URL = "/staff/evidence/files/upload/"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def blob_files() -> list:
    root = storage.blob_root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def refusals(reason: str) -> int:
    return sum(e.data.get("reason") == reason for e in AuditEntry.objects.filter(code=EvidenceEvent.FILE_REFUSED))


def test_a_photo_is_received_encrypted_with_a_stripped_working_copy(cast, staff_client):
    photo = make_jpeg()
    response = staff_client(cast.legal).post(URL, {"file": SimpleUploadedFile("допрос.jpg", photo),
                                                   "description": "injuries"})
    assert response.status_code == 302
    f = EvidenceFile.objects.get()
    assert f.sha256 == hashlib.sha256(photo).hexdigest() and f.size == len(photo)
    assert (f.kind, f.width, f.height) == ("jpeg", 64, 48)
    assert f.name == "допрос.jpg" and f.received_by == cast.legal
    files = blob_files()
    assert {p.name for p in files} == {f.blob, f.working_blob}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        raw = path.read_bytes()
        assert photo[200:260] not in raw and FAKE_METADATA not in raw and "допрос".encode() not in raw
    assert b"".join(file_read(f)) == photo
    working = b"".join(file_read(f, working=True))
    assert FAKE_METADATA not in working and hashlib.sha256(working).hexdigest() == f.working_sha256
    entry = AuditEntry.objects.get(code=EvidenceEvent.FILE_RECEIVED)
    assert entry.data["sha256"] == f.sha256 and entry.data["file"] == str(f.id)


def test_a_pdf_has_no_working_copy(cast, staff_client):
    response = staff_client(cast.legal).post(URL, {"file": SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert response.status_code == 302
    assert EvidenceFile.objects.get().working_blob is None
    assert len(blob_files()) == 1


def test_streaming_ingest_of_a_large_file_stays_in_constant_memory(cast, staff_client):
    size = 200 << 20
    stream = MultipartStream(fields={"description": "long video"}, filename="video.mp4", head=MP4_HEAD, size=size,
                             fill=b"corridor")
    client = staff_client(cast.legal)
    tracemalloc.start()
    try:
        response = post_stream(client, URL, stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 302, response.content[:500]
    f = EvidenceFile.objects.get()
    assert f.size == size
    assert f.sha256 == stream.file_sha256.hexdigest()
    # A few 1 MiB chunks in flight, never the file: far below its 200 MiB.
    assert peak < 16 << 20, f"peak traced memory {peak / 2**20:.1f} MiB"


def test_an_oversized_upload_is_refused_from_its_length_before_the_disk_is_touched(cast, staff_client, settings):
    settings.CORRIDOR_EVIDENCE_MAX_BYTES = 1 << 20
    stream = MultipartStream(fields={}, filename="big.mp4", head=MP4_HEAD, size=64 << 20)
    response = post_stream(staff_client(cast.legal), URL, stream)
    assert response.status_code == 413
    assert "1,0" in response.content.decode() or "1.0" in response.content.decode()
    assert blob_files() == []
    assert stream.read_bytes <= 2 << 20, "the body was read beyond the first chunk"
    assert refusals("too_large") == 1
    assert not EvidenceFile.objects.exists()
    assert not DataKey.objects.filter(scope="file").exists()


def test_a_file_that_grows_past_the_limit_is_cut_off_and_removed(cast, staff_client, settings):
    settings.CORRIDOR_EVIDENCE_MAX_BYTES = 1 << 20
    stream = MultipartStream(fields={}, filename="sneaky.mp4", head=MP4_HEAD, size=(1 << 20) + 10_000)
    response = post_stream(staff_client(cast.legal), URL, stream)
    assert response.status_code == 413
    assert blob_files() == []
    assert not DataKey.objects.filter(scope="file").exists()


def test_an_upload_is_refused_when_the_disk_reserve_would_be_used(cast, staff_client, settings):
    settings.CORRIDOR_EVIDENCE_DISK_RESERVE = 1 << 60
    response = staff_client(cast.legal).post(URL, {"file": SimpleUploadedFile("d.pdf", b"%PDF-1.4\n")})
    assert response.status_code == 400
    assert refusals("disk_full") == 1 and blob_files() == []


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("report.pdf", make_png(), "content_mismatch"),
    ("photo.jpg", b"<html><script>alert(1)</script></html>", "content_mismatch"),
    ("notes.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "content_mismatch"),
    ("notes.txt", "Показания".encode() + b"\xff\xfe", "content_mismatch"),
    ("tool.exe", b"MZ\x90\x00", "unsupported_type"),
    ("bomb.png", make_png(8, 8, declared=(60_000, 60_000)), "bomb"),
    ("empty.pdf", b"", "empty"),
])
def test_bad_content_is_refused_and_nothing_is_kept(cast, staff_client, name, content, reason):
    response = staff_client(cast.legal).post(URL, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert refusals(reason) == 1, response.content.decode()[:2000]
    assert blob_files() == [] and not EvidenceFile.objects.exists()
    assert not DataKey.objects.filter(scope="file").exists()


def test_a_traversal_name_never_becomes_a_path(cast, staff_client, settings, tmp_path):
    settings.CORRIDOR_BLOB_DIR = tmp_path / "blobs"
    response = staff_client(cast.legal).post(
        URL, {"file": SimpleUploadedFile("../../../../tmp/evil.txt", b"plain text")})
    assert response.status_code == 302
    f = EvidenceFile.objects.get()
    assert f.name == "evil.txt"  # Django keeps only the last component; we store it encrypted
    assert {p.parent.parent for p in blob_files()} == {storage.blob_root()}  # original and working copy
    assert not (tmp_path / "evil.txt").exists()


def test_the_upload_still_checks_csrf(cast, staff_client):
    signed_in = staff_client(cast.legal)
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies
    response = client.post(URL, {"file": SimpleUploadedFile("d.pdf", b"%PDF-1.4\n")})
    assert response.status_code == 403
    assert blob_files() == [] and not EvidenceFile.objects.exists()


def test_a_post_without_a_file_asks_for_one(cast, staff_client):
    response = staff_client(cast.legal).post(URL, {"description": "nothing"})
    assert response.status_code == 400
    assert not EvidenceFile.objects.exists()


def test_two_files_in_one_request_are_refused(cast, staff_client):
    response = staff_client(cast.legal).post(URL, {"file": [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"),
                                                            SimpleUploadedFile("b.pdf", b"%PDF-1.4\n")]})
    assert response.status_code == 400
    assert blob_files() == [] and not EvidenceFile.objects.exists()


class _Dropping(MultipartStream):
    def read(self, size=-1):
        if self.read_bytes > 3 << 20:
            raise OSError("client went away")
        return super().read(size)


def test_a_dropped_connection_leaves_no_blob_or_key(cast, staff_client):
    stream = _Dropping(fields={}, filename="v.mp4", head=MP4_HEAD, size=32 << 20)
    client = staff_client(cast.legal)
    with pytest.raises(OSError):
        post_stream(client, URL, stream)
    assert blob_files() == []
    assert not DataKey.objects.filter(scope="file").exists()


def test_the_upload_form_renders(cast, staff_client):
    response = staff_client(cast.legal).get(reverse("evidence:file_upload"))
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    page = response.content.decode()
    assert page.index("csrfmiddlewaretoken") < page.index('name="file"')


def test_ingest_refuses_a_traversal_name_at_the_service_level(cast):
    from corridor.evidence.ingest import ingest_chunks
    from corridor.evidence.sniff import Refused

    with pytest.raises(Refused):
        ingest_chunks(organisation=cast.org, name="../../etc/passwd.txt", chunks=[io.BytesIO(b"x").read()])
    assert blob_files() == []
