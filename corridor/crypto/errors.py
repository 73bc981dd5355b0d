"""Errors raised by Corridor's field encryption (agent errors are re-exported)."""

from __future__ import annotations

from corridor.keyd.errors import (  # noqa: F401  (re-exported for callers)
    BadUnseal,
    CeilingTripped,
    KeydError,
    KeydUnavailable,
    Sealed,
    UnwrapFailed,
)


class CryptoError(Exception):
    """Base class for field-level failures."""


class DecryptionError(CryptoError):
    """The ciphertext does not authenticate for this row, field and key (moved or altered)."""


class StaleKeyVersion(CryptoError):
    """The ciphertext names a key version that is no longer the data key's current one."""


class Erased(CryptoError):
    """The data key was destroyed: the record is cryptographically erased."""
