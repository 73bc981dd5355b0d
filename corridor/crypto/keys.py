"""Data keys and blind indexes through the key agent.

Web workers never see the root key. They generate a fresh data key locally, ask
keyd to wrap it, and later ask keyd to unwrap it; unwrapped keys live in a
per-request cache for at most half a second (see `context`).

Erasure: data keys are wrapped under erasure buckets in keyd (corridor.keyd.buckets).
Destroying a key shreds its bucket: a new generation of the bucket key, the live
bucket-mates re-wrapped under it, the old generation deleted from the keystore once
the transaction commits. Every old copy of the destroyed key's wrapped blob (WAL,
free pages, dead tuples, replicas, later backups) then refers to a bucket key that
exists nowhere. The ErasureBucket row lock makes that safe against workers adding
keys to the same bucket at the same moment:

- a worker adding keys takes a *share* lock on the bucket row and checks that its
  blob's generation is not behind the row's; behind means an erasure committed in
  between, so it wraps again;
- an eraser takes the row *for update* (waiting for every adder's transaction),
  re-wraps every live key below the new generation and moves the row forward.
So when the old generation is retired, no committed live key is still under it.
SQLite serialises write transactions (BEGIN IMMEDIATE), which gives the same order.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from corridor.crypto import context
from corridor.crypto.errors import Erased
from corridor.crypto.models import DataKey, ErasureBucket
from corridor.crypto.normalize import normalise
from corridor.keyd import buckets as bk
from corridor.keyd.client import KeydClient
from corridor.keyd.errors import KeydUnavailable, Sealed

log = logging.getLogger(__name__)
REWRAP_BATCH = 500

_client_lock = threading.Lock()
_client: KeydClient | None = None
_client_path: str | None = None


def new_keyd_client(timeout: float = 5.0) -> KeydClient:
    """A client for this host's agent: its Unix socket, or the shared agent at
    CORRIDOR_KEYD_URL over mutual TLS. Unusable certificate files make the agent
    unavailable (every page then answers as sealed), never a plaintext connection."""
    url = settings.CORRIDOR_KEYD_URL
    if not url:
        return KeydClient(settings.CORRIDOR_KEYD_SOCKET, timeout=timeout)
    import ssl

    from corridor.keyd.tls import client_context

    try:
        ctx = client_context(settings.CORRIDOR_KEYD_TLS_CERT, settings.CORRIDOR_KEYD_TLS_KEY,
                             settings.CORRIDOR_KEYD_TLS_CA)
    except (OSError, ssl.SSLError) as exc:
        raise KeydUnavailable(f"cannot load the key agent's TLS certificates: {exc}") from None
    return KeydClient(url, timeout=timeout, tls=ctx)


def log_public_key() -> tuple[bytes, str]:
    """The audit log's signing public key and origin: from the keystore on the key host,
    from the shared agent (authenticated by its certificate) on the other hosts, which
    keep no keystore (a stale copy would keep erased bucket keys alive)."""
    if settings.CORRIDOR_KEYD_URL:
        return keyd().public_key()
    from corridor.keyd.keystore import load_keystore

    ks = load_keystore(settings.CORRIDOR_KEYSTORE)
    return ks.signing_public_key, ks.log_origin


def keyd() -> KeydClient:
    """The process-wide agent client (its connections are per thread)."""
    global _client, _client_path
    path = settings.CORRIDOR_KEYD_URL or settings.CORRIDOR_KEYD_SOCKET
    with _client_lock:
        if _client is None or _client_path != path:
            if _client is not None:
                _client.close()
            _client = new_keyd_client()
            from corridor.web.ceiling import on_notice

            _client.on_notice = on_notice
            _client_path = path
        return _client


def is_sealed() -> bool:
    from corridor.keyd.errors import KeydError

    try:
        return bool(keyd().status()["sealed"])
    except KeydError:
        return True


_SHARE_SQL = "SELECT gen FROM crypto_erasurebucket WHERE id = %s FOR SHARE"
_UPDATE_SQL = "SELECT gen FROM crypto_erasurebucket WHERE id = %s FOR UPDATE"


def _lock_bucket(bucket: int, gen_if_new: int, *, share: bool) -> int:
    """Lock the bucket's row (creating it on first sight); return its generation."""
    ErasureBucket.objects.get_or_create(id=bucket, defaults={"gen": gen_if_new})
    if connection.vendor == "postgresql":
        # Django has no FOR SHARE; adders must not block each other, only erasers.
        sql = _SHARE_SQL if share else _UPDATE_SQL
        with connection.cursor() as cur:
            cur.execute(sql, [bucket])
            return cur.fetchone()[0]
    return ErasureBucket.objects.get(id=bucket).gen


def _set_bucketed(dk: DataKey, blob: bytes) -> None:
    dk.root_version = bk.BUCKETED
    dk.wrapped = blob
    dk.bucket, dk.bucket_gen = bk.parse_header(blob)


def _join_buckets(dks: list[DataKey], make: Callable[[list[DataKey]], list[bytes]]) -> None:
    """Give `dks` bucketed blobs made by `make`, re-made until no erasure has overtaken them.

    Must run inside the transaction that saves them, so the share locks last until commit.
    """
    pending = dks
    for _ in range(8):
        for dk, blob in zip(pending, make(pending), strict=True):
            _set_bucketed(dk, blob)
        behind = []
        for bucket in sorted({dk.bucket for dk in pending}):  # fixed lock order
            members = [dk for dk in pending if dk.bucket == bucket]
            row_gen = _lock_bucket(bucket, min(dk.bucket_gen for dk in members), share=True)
            behind += [dk for dk in members if dk.bucket_gen < row_gen]
        if not behind:
            return
        pending = behind
    raise RuntimeError("the key agent's buckets are behind the database: was an old keystore restored?")


def _wrap_fresh(pairs: dict[str, bytes]) -> Callable[[list[DataKey]], list[bytes]]:
    def make(dks: list[DataKey]) -> list[bytes]:
        _, wrapped = keyd().wrap(
            context.current_principal(), [(pairs[str(dk.id)], dk.wrap_ad()) for dk in dks], erasable=True
        )
        return wrapped
    return make


def new_data_key(*, scope: str, organisation=None) -> DataKey:
    return new_data_keys(scope=scope, organisation=organisation, count=1)[0]


def new_data_keys(*, scope: str, organisation=None, count: int) -> list[DataKey]:
    """Fresh keys under erasure buckets, many in one agent round trip (demo data, imports)."""
    dks = [DataKey(scope=scope, organisation=organisation, version=1, root_version=0) for _ in range(count)]
    keys = {str(dk.id): os.urandom(32) for dk in dks}
    with transaction.atomic():
        _join_buckets(dks, _wrap_fresh(keys))
        DataKey.objects.bulk_create(dks)
    for dk in dks:
        context.cache_put(str(dk.id), keys[str(dk.id)])
    return dks


def data_key_bytes(dk: DataKey) -> bytes:
    if dk.wrapped is None:
        raise Erased(f"data key {dk.id} was destroyed")
    cached = context.cache_get(str(dk.id))
    if cached is not None:
        return cached
    (key,) = keyd().unwrap(
        context.current_principal(), [(bytes(dk.wrapped), dk.wrap_ad(), dk.root_version)]
    )
    context.cache_put(str(dk.id), key)
    return key


def preload(dks: list[DataKey]) -> None:
    """Unwrap many keys in one round trip before a list page decrypts its rows."""
    wanted = [
        dk for dk in dks if dk.wrapped is not None and context.cache_get(str(dk.id)) is None
    ]
    unique = list({str(dk.id): dk for dk in wanted}.values())
    if not unique:
        return
    keys = keyd().unwrap(
        context.current_principal(),
        [(bytes(dk.wrapped), dk.wrap_ad(), dk.root_version) for dk in unique],
    )
    for dk, key in zip(unique, keys, strict=True):
        context.cache_put(str(dk.id), key)


def destroy_data_key(dk: DataKey) -> None:
    """Cryptographic erasure. The caller records the audit entry in its transaction."""
    destroy_data_keys([dk])


def destroy_data_keys(dks: list[DataKey]) -> None:
    """Erase keys for good: shred their buckets (see the module docstring).

    Runs in the caller's transaction (one is opened if there is none); the old
    bucket generations are retired after commit. If the agent cannot be reached
    then, `settle_buckets()` (run by the serve ticker) finishes the job.
    Keys made before buckets existed (root_version > 0) are only cut from the
    database: old copies of them stay openable until `corridor rotate-root --retire`.
    """
    now = timezone.now()
    with transaction.atomic():
        fresh = {dk.pk: dk for dk in DataKey.objects.filter(pk__in=[dk.pk for dk in dks])}
        buckets = sorted({d.bucket for d in fresh.values() if d.wrapped is not None and d.bucket is not None})
        legacy = [d for d in fresh.values() if d.wrapped is not None and d.bucket is None]
        if legacy:
            log.warning("erasing %d data key(s) from before erasure buckets: run `corridor rotate-root "
                        "--retire` so older copies of them stop opening", len(legacy))
        for bucket in buckets:
            _lock_bucket(bucket, 1, share=False)
        DataKey.objects.filter(pk__in=list(fresh)).update(wrapped=None, destroyed=now)
        for bucket in buckets:
            try:
                _shred(bucket)
            except (Sealed, KeydUnavailable):
                # Retention runs while sealed too: the row is cut now, the bucket is
                # shredded by settle_buckets() at the first tick after unsealing.
                ErasureBucket.objects.filter(id=bucket).update(dirty=True)
        transaction.on_commit(checkpoint_sqlite)
    for dk in dks:
        dk.wrapped = None
        dk.destroyed = now
        context.cache_drop(str(dk.id))


def _shred(bucket: int) -> None:
    """With the bucket row locked for update: new generation, mates moved, retire on commit."""
    gen = keyd().shred(bucket)
    while True:
        mates = list(
            DataKey.objects.filter(bucket=bucket, bucket_gen__lt=gen, wrapped__isnull=False)
            .order_by("id")[:REWRAP_BATCH]
        )
        if not mates:
            break
        _, wrapped = keyd().rewrap(
            context.current_principal(), [(bytes(d.wrapped), d.wrap_ad(), bk.BUCKETED) for d in mates],
            erasable=True,
        )
        for d, blob in zip(mates, wrapped, strict=True):
            _set_bucketed(d, blob)
        DataKey.objects.bulk_update(mates, ["wrapped", "bucket_gen"])
    ErasureBucket.objects.filter(id=bucket).update(gen=gen)
    transaction.on_commit(lambda: _retire(bucket, gen))


def _retire(bucket: int, gen: int) -> None:
    from corridor.keyd.errors import KeydError

    try:
        keyd().bucket_retire(bucket, gen)
    except KeydError as exc:  # e.g. sealed right now: the ticker settles it later
        log.warning("bucket %d: old generations not yet retired (%s)", bucket, exc.code)


def settle_buckets() -> int:
    """Finish erasures whose old bucket generations are still in the keystore
    (the agent was unreachable at commit, or the erasing transaction rolled back).
    Shredding again with no victim moves every live key forward, then retires."""
    status = keyd().status()
    if status["sealed"]:
        return 0
    todo = {int(b) for b in status.get("retiring") or {}}
    todo |= set(ErasureBucket.objects.filter(dirty=True).values_list("id", flat=True))
    for bucket in sorted(todo):
        with transaction.atomic():
            _lock_bucket(bucket, 1, share=False)
            _shred(bucket)
            ErasureBucket.objects.filter(id=bucket).update(dirty=False)
    return len(todo)


def checkpoint_sqlite() -> None:
    """Fold the WAL back into the database and truncate it, so the frames that held
    the erased rows do not linger in corridor.sqlite3-wal (secure_delete zeroes the
    freed space in the main file)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return  # inside a transaction (an outer one, or a test's) SQLite cannot checkpoint
    from django.db import OperationalError

    try:
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except OperationalError as exc:  # the erasure has committed; the next one checkpoints again
        log.warning("WAL checkpoint after erasure failed: %s", exc)


def blind_index(kind: str, raw: str) -> bytes:
    """Keyed index of a normalised identifier (raises NotAnIdentifier on junk)."""
    return blind_indexes(kind, [raw])[0]


def blind_indexes(kind: str, raws: list[str], *, normalised: bool = False) -> list[bytes]:
    values = [(r if normalised else normalise(kind, r)).encode("utf-8") for r in raws]
    if not values:
        return []
    return keyd().blind_index(context.current_principal(), kind, values)


def legacy_keys():
    """Live data keys still wrapped directly under a root version (made before buckets)."""
    return DataKey.objects.filter(wrapped__isnull=False, root_version__gt=0)


def rewrap_all(*, batch: int = 500, progress=None) -> int:
    """Move every live root-wrapped data key into an erasure bucket (the migration
    for installations older than buckets). Bucketed keys need nothing at a root
    rotation: keyd re-wraps the bucket keys in the keystore.

    Only the small wrapped keys change; no field is re-encrypted. Each batch is one
    transaction, so an interrupted run simply resumes where it stopped.
    """
    done = 0
    while True:
        chunk = list(legacy_keys().order_by("id")[:batch])
        if not chunk:
            return done
        sources = {str(dk.id): (bytes(dk.wrapped), dk.wrap_ad(), dk.root_version) for dk in chunk}

        def make(dks: list[DataKey], sources=sources) -> list[bytes]:
            return keyd().rewrap(context.current_principal(), [sources[str(d.id)] for d in dks], erasable=True)[1]

        with transaction.atomic():
            _join_buckets(chunk, make)
            DataKey.objects.bulk_update(chunk, ["wrapped", "root_version", "bucket", "bucket_gen"])
        done += len(chunk)
        if progress:
            progress(len(chunk))


def encrypted_field_names(obj) -> list[str]:
    from corridor.crypto.fields import EncryptedField

    return [f.attname for f in obj._meta.concrete_fields if isinstance(f, EncryptedField)]


def rekey(dk: DataKey, *, objects: list, organisation=None) -> DataKey:
    """Replace a data key with fresh key material under the next version and
    re-encrypt every encrypted field of `objects` (all records under this key).

    Used when a case moves to another organisation (the wrap is then bound to the
    receiving organisation) or a key is suspected exposed. Ciphertexts made under
    the old version are refused from then on (StaleKeyVersion).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rekey() must run inside a transaction")
    plain = [(obj, name, getattr(obj, name)) for obj in objects for name in encrypted_field_names(obj)]
    key = os.urandom(32)
    dk.version += 1
    if organisation is not None:
        dk.organisation = organisation
    _join_buckets([dk], _wrap_fresh({str(dk.id): key}))
    dk.save(update_fields=["version", "organisation", "root_version", "wrapped", "bucket", "bucket_gen"])
    context.cache_put(str(dk.id), key)
    for obj, name, value in plain:
        setattr(obj, name, value)
    for obj in objects:
        obj.save(update_fields=encrypted_field_names(obj))
    return dk
