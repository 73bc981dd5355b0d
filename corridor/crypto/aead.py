"""Field encryption: AES-256-GCM with associated data that pins a value to its place.

Ciphertext layout (all fields fixed width, so parsing has no ambiguity):

    0x01 | key_version (4 bytes, big-endian) | nonce (12 bytes) | ciphertext || tag (16)

The nonce is random (96 bits). Each data key encrypts the fields of one person or
one file, so even a busy record sees at most thousands of encryptions under a key,
far below the 2^32 bound for random GCM nonces. The associated data binds the
model, field, row, data key id and key version (see `field_ad`), so a ciphertext
copied to another row, another field, or another person's record fails to
authenticate, and a ciphertext made under an older key version is refused.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from corridor.crypto.errors import DecryptionError, StaleKeyVersion

FORMAT = 0x01
_HEADER = struct.Struct(">BI")
NONCE_LEN = 12
OVERHEAD = _HEADER.size + NONCE_LEN + 16


def field_ad(model_label: str, field: str, row_id: str, key_id: str, key_version: int) -> bytes:
    parts = ["corridor/field/v1", model_label, field, row_id, key_id, str(key_version)]
    return "\x00".join(parts).encode("utf-8")


def encrypt(key: bytes, plaintext: bytes, ad: bytes, key_version: int) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return _HEADER.pack(FORMAT, key_version) + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def key_version_of(blob: bytes) -> int:
    if len(blob) < OVERHEAD or blob[0] != FORMAT:
        raise DecryptionError("not a Corridor ciphertext")
    return _HEADER.unpack_from(blob)[1]


def decrypt(key: bytes, blob: bytes, ad: bytes, expected_version: int) -> bytes:
    version = key_version_of(blob)
    if version != expected_version:
        raise StaleKeyVersion(f"ciphertext is under key version {version}, current is {expected_version}")
    nonce = blob[_HEADER.size : _HEADER.size + NONCE_LEN]
    try:
        return AESGCM(key).decrypt(nonce, blob[_HEADER.size + NONCE_LEN :], ad)
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate for this row and field") from None
