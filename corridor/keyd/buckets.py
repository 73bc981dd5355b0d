"""Erasure buckets: data keys wrapped under bucket keys that only the keystore holds.

Why: a wrapped data key copied out of the database (a WAL frame, a free page, a
PostgreSQL dead tuple, a replica, a backup) stays unwrappable as long as the key
that wrapped it exists. Destroying the root key would erase everybody. So data
keys are wrapped under one of many small *bucket keys*; erasing a data key asks
the agent for a fresh generation of its bucket's key, the live bucket-mates are
re-wrapped under it, and the old generation is deleted from the keystore. Every
copy of the erased key's wrapped blob, wherever it lingers, then refers to a
bucket generation that no longer exists anywhere after the keystore rewrite.

Blob format (the item's root_version is 0, meaning "bucketed"):

    bucket (4 bytes BE) || gen (4 bytes BE) || nonce12 || AES-256-GCM(B_{bucket,gen}, key,
        AD = b"corridor/bucket/v1\\x00" || bucket || gen || b"\\x00" || caller AD)

B_{bucket,gen} is 32 random bytes, kept in the keystore wrapped under the current
root key with AD `corridor/keystore/v1/bucket/<bucket>/<gen>` (a reserved prefix,
so no caller can ask for it to be unwrapped). The header is bound in the AD, so a
blob cannot be replayed under another bucket or generation. Nonces are random:
one bucket generation encrypts a few hundred keys, far below the 2^32 limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .wrapping import NONCE_LEN, TAG_LEN, Wrapper

BUCKETED = 0  # the root_version callers store for a bucketed blob
# Keys per bucket. Erasing one key re-wraps the others: 256 keeps that well under
# 100 ms end to end (see BENCHMARKS.md), while 100,000 people need only ~400
# bucket entries (~60 KB) in the keystore.
BUCKET_SIZE = 256
HEADER_LEN = 8
BUCKET_AD_PREFIX = b"corridor/bucket/v1\x00"
KEY_LEN = 32


def keystore_ad(bucket: int, gen: int) -> bytes:
    return f"corridor/keystore/v1/bucket/{bucket}/{gen}".encode("ascii")


def header(bucket: int, gen: int) -> bytes:
    return bucket.to_bytes(4, "big") + gen.to_bytes(4, "big")


def parse_header(blob: bytes) -> tuple[int, int]:
    """(bucket, gen) of a bucketed blob; ValueError if it cannot be one."""
    if len(blob) < HEADER_LEN + NONCE_LEN + TAG_LEN:
        raise ValueError("bucketed blob too short")
    return int.from_bytes(blob[:4], "big"), int.from_bytes(blob[4:8], "big")


@dataclass(frozen=True)
class BucketEntry:
    """One bucket as the keystore stores it: gen -> (root_version, wrapped bucket key)."""

    current: int
    gens: dict[int, tuple[int, bytes]]

    def retiring(self) -> list[int]:
        return sorted(g for g in self.gens if g != self.current)


def new_bucket_key() -> bytearray:
    return bytearray(os.urandom(KEY_LEN))


def seal_bucket_key(wrapper: Wrapper, bucket: int, gen: int, key: bytes | bytearray) -> tuple[int, bytes]:
    return wrapper.version, wrapper.wrap(bytes(key), keystore_ad(bucket, gen))


def open_bucket_key(wrapper: Wrapper, bucket: int, gen: int, wrapped: bytes) -> bytearray:
    return bytearray(wrapper.unwrap(wrapped, keystore_ad(bucket, gen)))


def wrap(cipher: AESGCM, bucket: int, gen: int, key: bytes, ad: bytes) -> bytes:
    head = header(bucket, gen)
    nonce = os.urandom(NONCE_LEN)
    return head + nonce + cipher.encrypt(nonce, key, BUCKET_AD_PREFIX + head + b"\x00" + ad)


def unwrap(cipher: AESGCM, blob: bytes, ad: bytes) -> bytes:
    """Raises InvalidTag or ValueError on any mismatch."""
    head = blob[:HEADER_LEN]
    body = blob[HEADER_LEN:]
    if len(body) < NONCE_LEN + TAG_LEN:
        raise ValueError("bucketed blob too short")
    return cipher.decrypt(body[:NONCE_LEN], body[NONCE_LEN:], BUCKET_AD_PREFIX + head + b"\x00" + ad)


__all__ = [
    "BUCKETED", "BUCKET_SIZE", "BucketEntry", "InvalidTag", "keystore_ad", "new_bucket_key",
    "open_bucket_key", "parse_header", "seal_bucket_key", "unwrap", "wrap",
]
