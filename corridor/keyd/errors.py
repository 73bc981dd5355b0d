"""Errors raised by keyd and re-raised, by code, in its clients.

Messages travel to the web workers, so they must never contain key material,
passphrases or share values: only item indexes, versions and principal names.
"""

from __future__ import annotations


class KeydError(Exception):
    """Base class; `code` is the stable identifier carried over the socket."""

    code = "error"

    def __init__(self, code: str | None = None, message: str = "") -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(message or self.code)


class _Coded(KeydError):
    code = "error"

    def __init__(self, message: str = "") -> None:
        super().__init__(type(self).code, message)


class Sealed(_Coded):
    """The agent holds no root key: unseal it first."""

    code = "sealed"


class BadUnseal(_Coded):
    """Wrong passphrase, or a wrong, mistyped or inconsistent share."""

    code = "bad_unseal"


class CeilingTripped(_Coded):
    """A principal unwrapped more keys per minute than allowed; the agent sealed itself."""

    code = "ceiling"


class PrincipalSuspended(_Coded):
    """This principal opened too many distinct keys; only it is refused for a while."""

    code = "suspended"


class KeydUnavailable(_Coded):
    """The socket is missing, refused us, or the connection broke."""

    code = "unavailable"


class BadRequest(_Coded):
    """Malformed, oversized or forbidden request."""

    code = "bad_request"


class UnwrapFailed(_Coded):
    """AEAD authentication failed: wrong AD, tampered data or wrong/retired root version."""

    code = "unwrap_failed"


ERRORS_BY_CODE: dict[str, type[_Coded]] = {
    cls.code: cls
    for cls in (Sealed, BadUnseal, CeilingTripped, PrincipalSuspended, KeydUnavailable, BadRequest, UnwrapFailed)
}


def error_from_code(code: str, message: str) -> KeydError:
    """Rebuild the exception a server response describes (unknown codes → KeydError)."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        return KeydError(code, message)
    return cls(message)
