"""PostgreSQL: a large file's chunks go through a second connection in a thread, so
storing overlaps hashing and encryption. Tried as things go wrong: the second
connection killed mid-file, every slot taken, a file abandoned half-way."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.db import DatabaseError, connection, transaction

from corridor.blobs import database, storage
from corridor.blobs.models import StoredChunk, StoredFile

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the database backend's PostgreSQL path")]

MIB = 1 << 20


@pytest.fixture(autouse=True)
def on_the_database(settings):
    settings.CORRIDOR_FILE_STORAGE = "database"


@pytest.fixture
def senders(monkeypatch):
    made = []
    real = database._SideSender

    class Spy(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(database, "_SideSender", Spy)
    return made


def _backends() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cur.fetchone()[0]


def _read(name: str) -> bytes:
    with storage.open_file("evidence", name) as fh:
        return fh.read()


def test_a_large_file_goes_through_the_second_connection_and_comes_back_exactly(senders):
    data = os.urandom(7 * MIB + 333)
    before = _backends()
    w = storage.writer("evidence")
    for start in range(0, len(data), 256 * 1024 + 7):
        w.write(data[start:start + 256 * 1024 + 7])
    assert len(senders) == 1 and _backends() == before + 1
    w.commit()
    assert _backends() == before  # closed with the file
    with transaction.atomic():
        storage.adopt("evidence", [w.name])
    assert hashlib.sha256(_read(w.name)).digest() == hashlib.sha256(data).digest()
    assert StoredChunk.objects.filter(file__name=w.name).count() == 8


def test_small_files_open_no_connection(senders):
    w = storage.writer("evidence")
    w.write(os.urandom(2 * MIB))
    w.commit()
    assert senders == []


def test_inside_a_transaction_the_chunks_stay_on_the_callers_connection(senders):
    with transaction.atomic():
        w = storage.writer("evidence")
        w.write(os.urandom(5 * MIB))
        w.commit()
        storage.adopt("evidence", [w.name])
    assert senders == [] and len(_read(w.name)) == 5 * MIB


def test_a_killed_second_connection_fails_the_file_and_leaves_nothing(senders):
    w = storage.writer("evidence")
    w.write(os.urandom(3 * MIB))
    (side,) = senders
    pid = side._conn.info.backend_pid
    with connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(DatabaseError):
        for _ in range(8):
            w.write(os.urandom(MIB))
        w.commit()
    w.discard()
    assert not StoredFile.objects.filter(name=w.name).exists()
    assert not StoredChunk.objects.filter(file__name=w.name).exists()
    # The slot came back: the next large file has its second connection again.
    w2 = storage.writer("evidence")
    w2.write(os.urandom(4 * MIB))
    w2.commit()
    assert len(senders) == 2


def test_an_abandoned_file_rolls_back_and_closes_its_connection(senders):
    before = _backends()
    w = storage.writer("evidence")
    w.write(os.urandom(6 * MIB))
    w.discard()
    assert _backends() == before
    assert not StoredChunk.objects.filter(file__name=w.name).exists()
    assert not StoredFile.objects.filter(name=w.name).exists()


def test_with_every_slot_taken_files_are_written_as_before(senders):
    taken = [database._side_slots.acquire(blocking=False) for _ in range(database.SIDE_CONNECTIONS)]
    try:
        assert all(taken)
        data = os.urandom(5 * MIB)
        w = storage.writer("evidence")
        w.write(data)
        w.commit()
    finally:
        for _ in taken:
            database._side_slots.release()
    with transaction.atomic():
        storage.adopt("evidence", [w.name])
    assert senders == [] and _read(w.name) == data


def test_no_second_connection_to_be_had_means_the_callers_one(senders, monkeypatch):
    import psycopg

    class Refused(database._SideSender):
        def __init__(self, *args, **kwargs):  # what psycopg.connect raises at the server's limit
            raise psycopg.OperationalError("sorry, too many clients already")

    monkeypatch.setattr(database, "_SideSender", Refused)
    data = os.urandom(5 * MIB)
    w = storage.writer("evidence")
    w.write(data)
    w.commit()
    with transaction.atomic():
        storage.adopt("evidence", [w.name])
    assert senders == [] and _read(w.name) == data
    # The slot was given back.
    assert all(database._side_slots.acquire(blocking=False) for _ in range(database.SIDE_CONNECTIONS))
    for _ in range(database.SIDE_CONNECTIONS):
        database._side_slots.release()


def test_an_evidence_upload_through_the_request_stack_uses_it(senders, cast, staff_client):
    """The upload handler streams outside any transaction, so a large evidence file
    takes this path; the file then opens with the hash it was received with."""
    from corridor.evidence.models import EvidenceFile
    from corridor.evidence.services import file_read
    from corridor.evidence.tests.multipart import MultipartStream, post_stream
    from corridor.evidence.tests.test_upload import MP4_HEAD, URL

    stream = MultipartStream(fields={"description": "long video"}, filename="video.mp4", head=MP4_HEAD,
                             size=12 << 20, fill=b"corridor")
    response = post_stream(staff_client(cast.legal), URL, stream)
    assert response.status_code == 302, response.content[:300]
    assert len(senders) >= 1
    f = EvidenceFile.objects.get()
    digest = hashlib.sha256()
    for piece in file_read(f):
        digest.update(piece)
    assert digest.hexdigest() == f.sha256 == stream.file_sha256.hexdigest()
