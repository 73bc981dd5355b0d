"""The key-wrap construction shared by the keystore and the agent.

wrap_v(key, ad) = nonce12 || AES-256-GCM(K_v, nonce, key,
                   AD = b"corridor/wrap/v1\\x00" || v (4 bytes BE) || b"\\x00" || ad)
with K_v = HKDF-SHA256(R_v, info=b"corridor/keyd/v1/wrap").

Binding the root version into the AD means a blob cannot be replayed under a
different version; binding the caller's AD means a wrapped key cannot be moved
from one record (person, case) to another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WRAP_INFO = b"corridor/keyd/v1/wrap"
WRAP_AD_PREFIX = b"corridor/wrap/v1\x00"
NONCE_LEN = 12
TAG_LEN = 16
# ADs under this prefix label the keystore's own keys (index key, signing key).
# Callers may never use them: otherwise a worker that can read the keystore
# file could ask keyd to "unwrap" the audit-signing or blind-index key.
RESERVED_AD_PREFIX = b"corridor/keystore/"


def hkdf32(key: bytes | bytearray, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(bytes(key))


@dataclass(frozen=True, slots=True)
class Wrapper:
    """Precomputed per-root-version state so the hot path is one AES-GCM call."""

    version: int
    cipher: AESGCM
    ad_prefix: bytes

    def wrap(self, key: bytes, ad: bytes) -> bytes:
        nonce = os.urandom(NONCE_LEN)
        return nonce + self.cipher.encrypt(nonce, key, self.ad_prefix + ad)

    def unwrap(self, wrapped: bytes, ad: bytes) -> bytes:
        """Raises cryptography.exceptions.InvalidTag (or ValueError) on any mismatch."""
        if len(wrapped) < NONCE_LEN + TAG_LEN:
            raise ValueError("wrapped blob too short")
        return self.cipher.decrypt(wrapped[:NONCE_LEN], wrapped[NONCE_LEN:], self.ad_prefix + ad)


def make_wrapper(version: int, root_key: bytes | bytearray) -> Wrapper:
    wrap_key = hkdf32(root_key, WRAP_INFO)
    return Wrapper(
        version=version,
        cipher=AESGCM(wrap_key),
        ad_prefix=WRAP_AD_PREFIX + version.to_bytes(4, "big") + b"\x00",
    )
