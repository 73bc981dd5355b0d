"""Receipts: how an anonymous person comes back, shaped like phone numbers.

A receipt is 21 random decimal digits (log2(10^21) ≈ 69.8 bits), written as two
Russian mobile numbers and an extension:

    +7 9DD DDD-DD-DD, +7 9DD DDD-DD-DD доб. DDD

Written in a notebook or saved as a contact, it reads as somebody's phone numbers,
which is what a searched phone is full of. The fixed "+7 9" of each number carries
no entropy and is not part of the secret.

Stored per receipt (never the receipt itself):
- `lookup`: HMAC-SHA256(key from SECRET_KEY, digits)[:3]. 24 bits find the row
  without a scan while leaving ~2^46 candidate receipts per tag, so the tag does not
  shortcut guessing even for someone who has the database and the secret key.
- `salt`, Argon2id cost, and `verifier` = HKDF(Argon2id(digits, salt), "verifier").
- `reply_public_key`: X25519 public key whose private key is
  HKDF(Argon2id(digits, salt), "reply-key"); replies are sealed to it.
One Argon2id run serves both, on submission and on each return.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from corridor.intake.receipt_format import parse, plausible  # noqa: F401 - the format lives there

DIGITS = 21
ENTROPY_BITS = 69  # floor(21 * log2(10))
LOOKUP_LEN = 3
SALT_LEN = 16
# OWASP's minimum for Argon2id (19 MiB, 2 passes): about 30 ms on one core here,
# which keeps 20 submissions a second possible on two cores. The 70-bit receipt,
# not the cost, is what makes guessing hopeless; the cost is a second wall.
TIME_COST = 2
MEMORY_KIB = 19 * 1024


@dataclass(frozen=True)
class Derived:
    verifier: bytes
    private_key: X25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                           serialization.PublicFormat.Raw)


def generate() -> str:
    """A fresh receipt, as its 21 canonical digits."""
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def display(digits: str, extension_label: str = "доб.") -> str:
    d = digits
    return (f"+7 9{d[0:2]} {d[2:5]}-{d[5:7]}-{d[7:9]}, "
            f"+7 9{d[9:11]} {d[11:14]}-{d[14:16]}-{d[16:18]} {extension_label} {d[18:21]}")


def _lookup_key() -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"corridor/intake/receipt-lookup/v1").derive(
        settings.SECRET_KEY.encode("utf-8"))


def lookup_tag(digits: str) -> bytes:
    return hmac.new(_lookup_key(), digits.encode("ascii"), hashlib.sha256).digest()[:LOOKUP_LEN]


def new_salt() -> bytes:
    return os.urandom(SALT_LEN)


def derive(digits: str, salt: bytes, *, time_cost: int = TIME_COST, memory_cost: int = MEMORY_KIB) -> Derived:
    master = hash_secret_raw(digits.encode("ascii"), bytes(salt), time_cost=time_cost,
                             memory_cost=memory_cost, parallelism=1, hash_len=32, type=Type.ID)

    def expand(label: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"corridor/intake/receipt/" + label).derive(master)

    return Derived(verifier=expand(b"verifier/v1"),
                   private_key=X25519PrivateKey.from_private_bytes(expand(b"reply-key/v1")))


def matches(derived: Derived, verifier: bytes) -> bool:
    return hmac.compare_digest(derived.verifier, bytes(verifier))
