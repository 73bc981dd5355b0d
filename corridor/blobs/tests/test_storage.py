"""The file store's two backends behave alike: streaming both ways, invisible until
adopted, removed by the sweeps, names checked, and constant memory."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from datetime import timedelta

import pytest
from django.db import connection, transaction

from corridor.blobs import storage
from corridor.blobs.models import StoredChunk, StoredFile

pytestmark = pytest.mark.django_db

BACKENDS = ["filesystem", "database"]


@pytest.fixture(params=BACKENDS)
def backend(request, settings, tmp_path):
    settings.CORRIDOR_FILE_STORAGE = request.param
    settings.CORRIDOR_BLOB_DIR = tmp_path / "blobs"
    return request.param


def _write(area: str, data: bytes, piece: int = 70_001) -> storage.Writer:
    w = storage.writer(area)
    for start in range(0, len(data), piece):
        w.write(data[start:start + piece])
    w.commit()
    return w


def _read(area: str, name: str, piece: int = 1 << 20 | 16) -> bytes:
    out = bytearray()
    with storage.open_file(area, name) as fh:
        while chunk := fh.read(piece):
            out += chunk
    return bytes(out)


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (3 << 20) + 12345])
def test_bytes_come_back_exactly(backend, size):
    data = os.urandom(size)
    w = _write("evidence", data)
    with transaction.atomic():
        storage.adopt("evidence", [w.name])
    assert w.size == size
    assert _read("evidence", w.name) == data
    assert _read("evidence", w.name, piece=4096) == data
    assert storage.names("evidence") == [w.name]


def test_an_upload_is_invisible_until_its_row_commits(backend):
    w = _write("intake", b"sealed bytes" * 1000)
    with pytest.raises(FileNotFoundError):
        storage.open_file("intake", w.name)
    with pytest.raises(RuntimeError), transaction.atomic():
        storage.adopt("intake", [w.name])
        raise RuntimeError("the attachment row failed")
    if backend == "database":
        # The flag rolled back with the row that referred to the file.
        assert not StoredFile.objects.get(name=w.name).complete
    storage.delete("intake", w.name)
    with pytest.raises(FileNotFoundError):
        storage.open_file("intake", w.name)
    w2 = _write("intake", b"kept")
    with transaction.atomic():
        storage.adopt("intake", [w2.name])
    assert _read("intake", w2.name) == b"kept"


def test_discard_leaves_nothing(backend, tmp_path):
    w = storage.writer("evidence")
    w.write(os.urandom(3 << 20))
    w.discard()
    assert storage.names("evidence") == []
    assert not StoredChunk.objects.exists() and not StoredFile.objects.exists()
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


def _age(area: str, name: str, seconds: float) -> None:
    from corridor.blobs import filesystem

    if storage.backend_name() == "database":
        StoredFile.objects.filter(name=name).update(created=StoredFile.objects.get(name=name).created
                                                    - timedelta(seconds=seconds))
        return
    for path in (filesystem.path_for(area, name), filesystem.temp_for(area, name)):
        if path.exists():
            st = path.stat()
            os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


def test_sweeps_remove_only_old_unreferenced_files(backend):
    kept, orphan, fresh = (_write("evidence", os.urandom(1000)) for _ in range(3))
    with transaction.atomic():
        storage.adopt("evidence", [kept.name, orphan.name, fresh.name])
    for w in (kept, orphan):
        _age("evidence", w.name, 3600)
    assert storage.sweep("evidence", keep={kept.name}, older_than=1800) == 1
    assert storage.names("evidence") == sorted([kept.name, fresh.name])

    dead, alive = _write("intake", b"x" * 10), _write("intake", b"y" * 10)
    with transaction.atomic():
        storage.adopt("intake", [alive.name])
    for w in (dead, alive):
        _age("intake", w.name, 7200)
    assert storage.abandoned("intake", older_than=3600) == 1
    assert _read("intake", alive.name) == b"y" * 10


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 32, "0" * 31, "0" * 40, "", None])
def test_names_are_checked_before_any_use(backend, bad):
    with pytest.raises(ValueError):
        storage.open_file("evidence", bad)
    with pytest.raises(ValueError):
        storage.delete("evidence", bad or "x")
    with pytest.raises(ValueError):
        storage.writer("../evidence")


def test_a_bad_setting_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CORRIDOR_FILE_STORAGE = "s3"
    with pytest.raises(ImproperlyConfigured):
        storage.writer("evidence")


def test_memory_stays_constant_both_ways(backend):
    piece = os.urandom(256 << 10)
    sha = hashlib.sha256()
    tracemalloc.start()
    try:
        w = storage.writer("evidence")
        for _ in range(128):  # 32 MiB
            w.write(piece)
            sha.update(piece)
        w.commit()
        with transaction.atomic():
            storage.adopt("evidence", [w.name])
        back = hashlib.sha256()
        with storage.open_file("evidence", w.name) as fh:
            while chunk := fh.read((1 << 20) + 16):
                back.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert back.hexdigest() == sha.hexdigest()
    assert peak < 8 << 20, f"peak {peak} bytes for a 32 MiB file"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_does_not_try_to_compress_ciphertext(backend):
    with connection.cursor() as cur:
        cur.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = 'blobs_storedchunk'::regclass "
                    "AND attname = 'data'")
        assert cur.fetchone()[0] == "e"
