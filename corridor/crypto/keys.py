"""Data keys and blind indexes through the key agent.

Web workers never see the root key. They generate a fresh data key locally, ask
keyd to wrap it, and later ask keyd to unwrap it; unwrapped keys live in a
per-request cache for at most half a second (see `context`).
"""

from __future__ import annotations

import os
import threading

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from corridor.crypto import context
from corridor.crypto.errors import Erased
from corridor.crypto.models import DataKey
from corridor.crypto.normalize import normalise
from corridor.keyd.client import KeydClient

_client_lock = threading.Lock()
_client: KeydClient | None = None
_client_path: str | None = None


def keyd() -> KeydClient:
    """The process-wide agent client (its connections are per thread)."""
    global _client, _client_path
    path = settings.CORRIDOR_KEYD_SOCKET
    with _client_lock:
        if _client is None or _client_path != path:
            if _client is not None:
                _client.close()
            _client = KeydClient(path)
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


def new_data_key(*, scope: str, organisation=None) -> DataKey:
    key = os.urandom(32)
    dk = DataKey(scope=scope, organisation=organisation, version=1, root_version=0)
    root_version, wrapped = keyd().wrap(context.current_principal(), [(key, dk.wrap_ad())])
    dk.root_version = root_version
    dk.wrapped = wrapped[0]
    dk.save(force_insert=True)
    context.cache_put(str(dk.id), key)
    return dk


def new_data_keys(*, scope: str, organisation=None, count: int) -> list[DataKey]:
    """Many keys in one agent round trip (demo data, bulk imports)."""
    keys = [os.urandom(32) for _ in range(count)]
    dks = [DataKey(scope=scope, organisation=organisation, version=1, root_version=0) for _ in keys]
    root_version, wrapped = keyd().wrap(
        context.current_principal(), [(k, dk.wrap_ad()) for k, dk in zip(keys, dks, strict=True)]
    )
    for dk, w, k in zip(dks, wrapped, keys, strict=True):
        dk.root_version = root_version
        dk.wrapped = w
        context.cache_put(str(dk.id), k)
    DataKey.objects.bulk_create(dks)
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
    DataKey.objects.filter(pk=dk.pk).update(wrapped=None, destroyed=timezone.now())
    dk.wrapped = None
    dk.destroyed = timezone.now()
    context.cache_drop(str(dk.id))


def blind_index(kind: str, raw: str) -> bytes:
    """Keyed index of a normalised identifier (raises NotAnIdentifier on junk)."""
    return blind_indexes(kind, [raw])[0]


def blind_indexes(kind: str, raws: list[str], *, normalised: bool = False) -> list[bytes]:
    values = [(r if normalised else normalise(kind, r)).encode("utf-8") for r in raws]
    if not values:
        return []
    return keyd().blind_index(context.current_principal(), kind, values)


def rewrap_all(*, batch: int = 500, progress=None) -> int:
    """Re-wrap every live data key under the agent's current root version.

    Only the small wrapped keys change; no field is re-encrypted. Each batch is one
    transaction, so an interrupted rotation simply resumes where it stopped.
    """
    current = keyd().status()["root_version"]
    done = 0
    while True:
        chunk = list(
            DataKey.objects.filter(wrapped__isnull=False)
            .exclude(root_version=current)
            .order_by("id")[:batch]
        )
        if not chunk:
            return done
        version, wrapped = keyd().rewrap(
            context.current_principal(),
            [(bytes(dk.wrapped), dk.wrap_ad(), dk.root_version) for dk in chunk],
        )
        with transaction.atomic():
            for dk, w in zip(chunk, wrapped, strict=True):
                dk.wrapped = w
                dk.root_version = version
            DataKey.objects.bulk_update(chunk, ["wrapped", "root_version"])
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
    dk.root_version, (dk.wrapped,) = keyd().wrap(context.current_principal(), [(key, dk.wrap_ad())])
    dk.save(update_fields=["version", "organisation", "root_version", "wrapped"])
    context.cache_put(str(dk.id), key)
    for obj, name, value in plain:
        setattr(obj, name, value)
    for obj in objects:
        obj.save(update_fields=encrypted_field_names(obj))
    return dk
