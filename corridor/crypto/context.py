"""Who is asking the key agent, and the short-lived cache of unwrapped data keys.

The principal travels in a context variable so services need not thread it through
every call; the key agent counts unwraps per principal and seals when one exceeds
its ceiling. Unwrapped keys are cached for one request and at most half a second,
so a `corridor seal` stops every worker from decrypting within a second.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

CACHE_SECONDS = 0.5

_principal: ContextVar[str] = ContextVar("corridor_principal", default="system:anonymous")
_cache: ContextVar[dict | None] = ContextVar("corridor_key_cache", default=None)


def current_principal() -> str:
    return _principal.get()


@contextlib.contextmanager
def acting_as(principal: str) -> Iterator[None]:
    token = _principal.set(principal)
    cache_token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(cache_token)
        _principal.reset(token)


def act_within_request(principal: str) -> None:
    """Name the principal for the rest of the current `acting_as` block.

    For a request whose identity is only known inside the view (an API token): the
    enclosing `acting_as` of the middleware restores its own principal, and drops
    the key cache, when the request ends."""
    _principal.set(principal)
    _cache.set({})


def cache_get(key_id: str) -> bytes | None:
    cache = _cache.get()
    if cache is None:
        return None
    hit = cache.get(key_id)
    if hit is None:
        return None
    value, expires = hit
    if time.monotonic() > expires:
        del cache[key_id]
        return None
    return value


def cache_put(key_id: str, key: bytes) -> None:
    cache = _cache.get()
    if cache is None:
        cache = {}
        _cache.set(cache)
    cache[key_id] = (key, time.monotonic() + CACHE_SECONDS)


def cache_drop(key_id: str) -> None:
    cache = _cache.get()
    if cache:
        cache.pop(key_id, None)


def cache_clear() -> None:
    cache = _cache.get()
    if cache:
        cache.clear()
