"""Token strings: 256 random bits, and the digest that is all the database keeps."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "crd_"
PREFIX_SHOWN = 10  # "crd_" and six characters of the random part


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of the whole token. No key or salt is needed: the token is 256 random
    bits, so there is nothing to guess, and a lookup by digest stays one indexed query."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(PREFIX) and 40 <= len(value) <= 64
