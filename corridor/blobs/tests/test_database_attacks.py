"""Someone with write access to the database moves, drops or edits chunk rows of
the database file store: every such change is caught when the file is read, because
the bytes are the authenticated streams of `corridor/evidence/stream.py` and
`corridor/intake/sealing.py`, bound to their file."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.db import connection

from corridor.blobs import storage
from corridor.blobs.models import StoredChunk, StoredFile
from corridor.evidence.services import file_read
from corridor.evidence.stream import BlobError
from corridor.evidence.tests.conftest import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_store(settings):
    settings.CORRIDOR_FILE_STORAGE = "database"


def _file_id(name: str) -> int:
    return StoredFile.objects.get(area="evidence", name=name).pk


def _set_chunk(file_name: str, seq: int, data: bytes) -> None:
    with connection.cursor() as cur:
        cur.execute("UPDATE blobs_storedchunk SET data = %s WHERE file_id = %s AND seq = %s",
                    [data, _file_id(file_name), seq])


def _chunk(file_name: str, seq: int) -> bytes:
    return bytes(StoredChunk.objects.get(file_id=_file_id(file_name), seq=seq).data)


def test_an_evidence_file_round_trips_through_the_database(cast):
    data = os.urandom((2 << 20) + 777)
    f = ingest(cast.legal, "scan.pdf", b"%PDF-1.7\n" + data)
    assert StoredFile.objects.get(name=f.blob).complete
    assert hashlib.sha256(b"".join(file_read(f))).hexdigest() == f.sha256 == hashlib.sha256(
        b"%PDF-1.7\n" + data).hexdigest()


def test_a_chunk_moved_from_another_file_does_not_decrypt(cast):
    a = ingest(cast.legal, "a.pdf", b"%PDF-1.7\n" + os.urandom(3 << 20))
    b = ingest(cast.legal, "b.pdf", b"%PDF-1.7\n" + os.urandom(3 << 20))
    _set_chunk(a.blob, 1, _chunk(b.blob, 1))
    with pytest.raises(BlobError):
        b"".join(file_read(a))


def test_swapped_or_dropped_chunks_are_caught(cast):
    f = ingest(cast.legal, "c.pdf", b"%PDF-1.7\n" + os.urandom(3 << 20))
    first, second = _chunk(f.blob, 0), _chunk(f.blob, 1)
    _set_chunk(f.blob, 0, second)
    _set_chunk(f.blob, 1, first)
    with pytest.raises(BlobError):
        b"".join(file_read(f))
    _set_chunk(f.blob, 0, first)
    _set_chunk(f.blob, 1, second)
    assert hashlib.sha256(b"".join(file_read(f))).hexdigest() == f.sha256
    last = StoredChunk.objects.filter(file_id=_file_id(f.blob)).order_by("-seq").first()
    StoredChunk.objects.filter(file_id=_file_id(f.blob), seq=last.seq).delete()
    with pytest.raises(BlobError):
        b"".join(file_read(f))


def test_a_file_row_pointed_at_another_files_bytes_does_not_decrypt(cast):
    a = ingest(cast.legal, "d.pdf", b"%PDF-1.7\n" + os.urandom(5000))
    b = ingest(cast.legal, "e.pdf", b"%PDF-1.7\n" + os.urandom(5000))
    # The stored rows trade names, so each file row now finds the other file's bytes.
    StoredFile.objects.filter(name=a.blob).update(name="0" * 32)
    StoredFile.objects.filter(name=b.blob).update(name=a.blob)
    StoredFile.objects.filter(name="0" * 32).update(name=b.blob)
    with pytest.raises(BlobError):
        b"".join(file_read(a))


def test_an_unregistered_ingest_is_not_readable(cast):
    from corridor.evidence.ingest import discard, ingest_chunks

    done = ingest_chunks(organisation=cast.org, name="f.pdf", chunks=[b"%PDF-1.7\n" + os.urandom(9000)])
    with pytest.raises(FileNotFoundError):
        storage.open_file("evidence", done.blob)
    discard(done)
    assert not StoredFile.objects.filter(name=done.blob).exists()


def test_an_intake_photo_is_stored_in_the_database_and_read_back(cast, client, staff_client, settings,
                                                                  monkeypatch):
    from corridor.evidence.samples import make_jpeg
    from corridor.intake import receipts
    from corridor.intake.models import Attachment
    from corridor.intake.services import messages_open
    from corridor.intake.tests.conftest import receipt_from, submit, upload

    monkeypatch.setattr(receipts, "TIME_COST", 1)
    monkeypatch.setattr(receipts, "MEMORY_KIB", 64)
    public = client
    photo = make_jpeg(640, 480)  # a real picture: the upload checks refuse padded fakes
    receipt_from(submit(public, what="Задержали брата", files=[upload("photo.jpg", photo)]))
    messages_open(actor=cast.operator, organisation=cast.org)
    attachment = Attachment.objects.get()
    assert StoredFile.objects.get(area="intake", name=attachment.blob).complete
    assert not [p for p in (settings.CORRIDOR_BLOB_DIR / "intake").rglob("*") if p.is_file()]
    # The original, opened on purpose, comes back byte for byte from the database.
    response = staff_client(cast.coordinator).post(f"/staff/intake/files/{attachment.pk}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == photo
    # An edited chunk: the download stops instead of handing over altered bytes.
    row = StoredFile.objects.get(area="intake", name=attachment.blob)
    chunk = bytearray(StoredChunk.objects.get(file_id=row.pk, seq=0).data)
    chunk[100] ^= 1
    StoredChunk.objects.filter(file_id=row.pk, seq=0).update(data=bytes(chunk))
    from corridor.intake.sealing import SealingError

    with pytest.raises(SealingError):
        b"".join(staff_client(cast.coordinator).get(f"/staff/intake/files/{attachment.pk}/").streaming_content)
