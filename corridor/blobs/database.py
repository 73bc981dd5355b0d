"""The database backend: each file a `StoredFile` row and 1 MiB `StoredChunk` rows.

On PostgreSQL the chunks go through psycopg's binary protocol (`%b`): sent as raw
bytes, not hex-escaped text, and the `data` column is `STORAGE EXTERNAL` (set by
the migration), so the server does not try to compress ciphertext. One query per
chunk in both directions keeps memory at about two chunks whatever the file size.

The writer inserts its rows on the caller's connection. Outside a transaction
each chunk commits on its own (without waiting for the disk, see `_insert`), and
the file stays invisible (`complete=false`)
until `adopt()` flips it inside the transaction that writes the referring row;
inside a transaction the chunks simply commit (or roll back) with everything else.

A large file written outside a transaction on PostgreSQL sends its chunks from the
third on through a second connection in a thread (`_SideSender`), in one transaction
of its own: the server stores chunk n while this process hashes and encrypts chunk
n + 1, so the two cores overlap instead of taking turns. A queue of two chunks keeps
memory bounded; at most `SIDE_CONNECTIONS` such connections per process, beyond
which files are written on the caller's connection as before.
"""

from __future__ import annotations

import io
import queue
import secrets
import threading
from datetime import timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from corridor.blobs.models import StoredChunk, StoredFile
from corridor.blobs.storage import AREAS

CHUNK = 1 << 20
SIDE_CONNECTIONS = 2
SIDE_FROM_CHUNK = 2  # a file of one or two chunks never opens a connection
_side_slots = threading.BoundedSemaphore(SIDE_CONNECTIONS)
_FILES = StoredFile._meta.db_table
_CHUNKS = StoredChunk._meta.db_table


def _raw_cursor():
    """A cursor that sends parameters separately from the query (binary bytea) on
    PostgreSQL; Django's own cursor elsewhere."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def _bytes_param() -> str:
    return "%b" if connection.vendor == "postgresql" else "%s"


class _SideSender:
    """Inserts one file's chunks on its own connection, in one transaction committed
    without waiting for the WAL flush. The caller's next synchronous commit (the
    size update in `DatabaseWriter.commit`) comes later in the WAL, so once it is
    flushed these chunks are durable too; a crash before it leaves a file nobody
    refers to, which the sweep removes."""

    def __init__(self, sql: str, file_pk: int) -> None:
        import psycopg

        params = {k: v for k, v in connection.get_connection_params().items()
                  if k not in ("cursor_factory", "context", "prepare_threshold")}
        self._conn = psycopg.connect(**params)
        try:
            self._conn.execute("SET synchronous_commit TO OFF")
        except BaseException:
            self._conn.close()
            raise
        self._sql, self._pk = sql, file_pk
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="blob-chunks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        stopped = False
        try:
            with self._conn.cursor() as cur:
                while (item := self._queue.get()) is not None:
                    cur.execute(self._sql, (self._pk, *item))
            stopped = True
            self._conn.commit()
        except BaseException as exc:  # reported to the caller by send() or finish()
            self.error = exc
            while not stopped and self._queue.get() is not None:  # never leave the caller blocked
                pass

    def send(self, seq: int, data: bytes) -> None:
        if self.error is not None:
            raise DatabaseError("storing a chunk failed") from self.error
        self._queue.put((seq, data))

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._close()
        if self.error is not None:
            raise DatabaseError("storing a chunk failed") from self.error

    def cancel(self) -> None:
        if self._thread.is_alive():
            self.error = self.error or DatabaseError("cancelled")
            self._queue.put(None)
            self._thread.join()
        try:
            self._conn.rollback()
        except Exception:  # noqa: BLE001, S110 - the connection is closed next either way
            pass
        self._close()

    def _close(self) -> None:
        self._conn.close()
        _side_slots.release()


class DatabaseWriter:
    def __init__(self, area: str) -> None:
        self.area = area
        self.name = secrets.token_hex(AREAS[area])
        self.size = 0
        self._seq = 0
        self._buf = bytearray()
        self._row = StoredFile.objects.create(area=area, name=self.name)
        self._sql = f"INSERT INTO {_CHUNKS} (file_id, seq, data) VALUES (%s, %s, {_bytes_param()})"  # noqa: S608 - table names from the models
        self._done = False
        self._side: _SideSender | None = None
        self._side_possible = connection.vendor == "postgresql" and not connection.in_atomic_block

    def write(self, data) -> int:
        n = len(data)
        self.size += n
        self._buf += data
        if len(self._buf) >= CHUNK:
            view = memoryview(self._buf)
            start = 0
            try:
                while len(self._buf) - start >= CHUNK:
                    self._insert(view[start:start + CHUNK])
                    start += CHUNK
            finally:
                view.release()
            del self._buf[:start]
        return n

    def _insert(self, chunk) -> None:
        if self._side is None and self._side_possible and self._seq >= SIDE_FROM_CHUNK:
            self._side_possible = False
            if _side_slots.acquire(blocking=False):
                import psycopg

                try:
                    self._side = _SideSender(self._sql, self._row.pk)
                except psycopg.OperationalError:
                    # No second connection to be had (the server's limit, say): this
                    # file goes on the caller's connection, as a small one would.
                    _side_slots.release()
                except BaseException:
                    _side_slots.release()
                    raise
        if self._side is not None:
            self._side.send(self._seq, bytes(chunk))  # the caller reuses its buffer
            self._seq += 1
            return
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Each chunk commits without waiting for its WAL flush; `commit()` then ends
            # with an ordinary, synchronous commit, and since the WAL is flushed in order
            # that one flush makes every earlier chunk durable too. A crash before it
            # loses only chunks of a file nobody refers to yet.
            with transaction.atomic(), _raw_cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit TO OFF")
                self._send(cur, chunk)
        else:
            with _raw_cursor() as cur:
                self._send(cur, chunk)
        self._seq += 1

    def _send(self, cur, chunk) -> None:
        if connection.vendor == "postgresql":
            # psycopg sends a buffer as it is (binary bytea): no copy of the chunk.
            with memoryview(chunk) as view:
                cur.execute(self._sql, (self._row.pk, self._seq, view))
        else:
            cur.execute(self._sql, (self._row.pk, self._seq, bytes(chunk)))

    def flush(self) -> None:
        """File-object politeness (the rows are written by `commit`)."""

    def commit(self) -> None:
        if self._buf or self._seq == 0:
            self._insert(self._buf)
            self._buf = bytearray()
        if self._side is not None:
            side, self._side = self._side, None
            side.finish()
        StoredFile.objects.filter(pk=self._row.pk).update(size=self.size)
        self._done = True

    def discard(self) -> None:
        self._buf = bytearray()
        if self._side is not None:
            side, self._side = self._side, None
            side.cancel()
        try:
            _delete_ids([self._row.pk])
        except DatabaseError:
            # The caller's transaction is broken and will roll back: the rows go with it,
            # or the sweep takes them once they are old.
            pass


def _delete_ids(ids: list[int]) -> None:
    if not ids:
        return
    with transaction.atomic(), connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(ids))
        cur.execute(f"DELETE FROM {_CHUNKS} WHERE file_id IN ({marks})", ids)  # noqa: S608
        cur.execute(f"DELETE FROM {_FILES} WHERE id IN ({marks})", ids)  # noqa: S608


def writer(area: str) -> DatabaseWriter:
    return DatabaseWriter(area)


def adopt(area: str, names: list[str]) -> None:
    found = StoredFile.objects.filter(area=area, name__in=names).update(complete=True)
    if found != len(set(names)):
        raise FileNotFoundError("a file to adopt is not in the database")


class DatabaseReader(io.RawIOBase):
    """Reads a stored file chunk by chunk; constant memory."""

    def __init__(self, file_id: int, size: int | None) -> None:
        super().__init__()
        self._id = file_id
        self._size = size
        self._seq = 0
        self._chunk = b""
        self._offset = 0
        self._eof = False
        self._sql = f"SELECT data FROM {_CHUNKS} WHERE file_id = %s AND seq = %s"  # noqa: S608

    def readable(self) -> bool:
        return True

    def _next(self) -> bool:
        with _raw_cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(self._sql, (self._id, self._seq), binary=True)
            else:
                cur.execute(self._sql, (self._id, self._seq))
            row = cur.fetchone()
        if row is None:
            self._eof = True
            return False
        self._chunk, self._offset = bytes(row[0]), 0
        self._seq += 1
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and not self._eof:
            if self._offset >= len(self._chunk) and not self._next():
                break
            take = min(len(view) - filled, len(self._chunk) - self._offset)
            view[filled:filled + take] = self._chunk[self._offset:self._offset + take]
            filled += take
            self._offset += take
        return filled

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        out = bytearray(size)
        n = self.readinto(out)
        del out[n:]
        return bytes(out)


def open_file(area: str, name: str):
    row = StoredFile.objects.filter(area=area, name=name, complete=True).values_list("id", "size").first()
    if row is None:
        raise FileNotFoundError(f"{area}/{name}")
    return DatabaseReader(*row)


def delete(area: str, name: str) -> None:
    _delete_ids(list(StoredFile.objects.filter(area=area, name=name).values_list("id", flat=True)))


def names(area: str) -> list[str]:
    return sorted(StoredFile.objects.filter(area=area, complete=True).values_list("name", flat=True))


def sweep(area: str, *, keep: set[str], older_than: float) -> int:
    cutoff = timezone.now() - timedelta(seconds=older_than)
    stale = [(pk, name) for pk, name in
             StoredFile.objects.filter(area=area, created__lt=cutoff).values_list("id", "name")
             if name not in keep]
    for start in range(0, len(stale), 500):
        _delete_ids([pk for pk, _ in stale[start:start + 500]])
    return len(stale)


def abandoned(area: str, *, older_than: float) -> int:
    cutoff = timezone.now() - timedelta(seconds=older_than)
    ids = list(StoredFile.objects.filter(area=area, complete=False, created__lt=cutoff).values_list("id", flat=True))
    for start in range(0, len(ids), 500):
        _delete_ids(ids[start:start + 500])
    return len(ids)


def has_room_for(size: int) -> bool:
    return True  # the database server watches its own disk
