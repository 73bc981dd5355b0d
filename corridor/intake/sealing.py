"""The intake's cryptography, in one place with intent-named functions.

- Inbound messages are sealed with HPKE (RFC 9180: DHKEM(X25519), HKDF-SHA256,
  ChaCha20-Poly1305) to the organisation's intake public key. Only the public key
  is needed, so intake works while the key agent is sealed. The HPKE `info` binds
  the organisation and the message id, so a sealed blob moved to another row or
  organisation does not open.
- The sealed plaintext is a fresh 32-byte content key followed by the JSON payload;
  attachments are encrypted under that content key while they stream in.
- Replies to an anonymous person are sealed with the same HPKE suite to the X25519
  public key derived from their receipt (see `receipts`).
- Files use AES-256-GCM in fixed 64 KiB records, the STREAM construction (Hoang,
  Reyhanitabar, Rogaway, Vizár 2015): nonce = 7-byte random prefix || 32-bit record
  counter || last-record flag, so records cannot be reordered, dropped or
  truncated without failing. The attachment id is the associated data.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
CONTENT_KEY_LEN = 32

FILE_MAGIC = b"CIF1"
RECORD = 64 * 1024
TAG = 16
PREFIX_LEN = 7


class SealingError(Exception):
    """A sealed value or file does not open (tampered, moved, or the wrong key)."""


def new_content_key() -> bytes:
    return os.urandom(CONTENT_KEY_LEN)


# --- inbound (to the organisation) ------------------------------------------------
def inbound_info(organisation_id, message_id) -> bytes:
    return b"\x00".join([b"corridor/intake/inbound/v1", str(organisation_id).encode(), str(message_id).encode()])


def seal_inbound(public_key: bytes, *, organisation_id, message_id, content_key: bytes, payload: dict) -> bytes:
    plaintext = content_key + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return SUITE.encrypt(
        plaintext, X25519PublicKey.from_public_bytes(bytes(public_key)),
        info=inbound_info(organisation_id, message_id),
    )


def open_inbound(organisation, *, message_id, sealed: bytes) -> tuple[bytes, dict]:
    """Open through the key agent (the private key never leaves it unwrapped for
    long, and every opening is journalled and counted against the caller)."""
    from corridor.crypto.context import current_principal
    from corridor.crypto.keys import keyd

    dk = organisation.intake_private_key
    plaintext = keyd().hpke_open(
        current_principal(), (bytes(dk.wrapped), dk.wrap_ad(), dk.root_version), bytes(sealed),
        inbound_info(organisation.pk, message_id),
    )
    return plaintext[:CONTENT_KEY_LEN], json.loads(plaintext[CONTENT_KEY_LEN:].decode("utf-8"))


# --- replies (to the receipt) -----------------------------------------------------
def reply_info(contact_id, message_id) -> bytes:
    return b"\x00".join([b"corridor/intake/reply/v1", str(contact_id).encode(), str(message_id).encode()])


def seal_reply(public_key: bytes, *, contact_id, message_id, payload: dict) -> bytes:
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(bytes(public_key)),
                         info=reply_info(contact_id, message_id))


def open_reply(private_key: X25519PrivateKey, *, contact_id, message_id, sealed: bytes) -> dict:
    try:
        plaintext = SUITE.decrypt(bytes(sealed), private_key, info=reply_info(contact_id, message_id))
    except Exception:
        raise SealingError("reply does not open with this receipt") from None
    return json.loads(plaintext.decode("utf-8"))


# --- files --------------------------------------------------------------------------
def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= 2**32:
        raise SealingError("file too large for one key")
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def _file_ad(attachment_id) -> bytes:
    return b"corridor/intake/file/v1\x00" + str(attachment_id).encode()


def working_ad(attachment_id) -> str:
    """What stands for the attachment id in the working copy's associated data: the
    same content key seals both copies, and neither opens as the other."""
    return f"{attachment_id}/working"


class FileSealer:
    """Encrypts a file record by record as chunks arrive; holds at most one record."""

    def __init__(self, key: bytes, attachment_id, out: BinaryIO) -> None:
        self._aead = AESGCM(key)
        self._ad = _file_ad(attachment_id)
        self._prefix = os.urandom(PREFIX_LEN)
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        out.write(FILE_MAGIC + self._prefix)

    def write(self, data: bytes) -> None:
        self._buffer += data
        # Keep the last full record back: only finish() knows whether it is the last.
        while len(self._buffer) > RECORD:
            chunk = bytes(self._buffer[:RECORD])
            del self._buffer[:RECORD]
            self._emit(chunk, last=False)

    def finish(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer = bytearray()

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._ad))
        self._counter += 1


def open_file(key: bytes, attachment_id, source: BinaryIO) -> Iterator[bytes]:
    """Yield the plaintext record by record; raises SealingError on any tampering,
    including a missing last record."""
    header = source.read(len(FILE_MAGIC) + PREFIX_LEN)
    if len(header) != len(FILE_MAGIC) + PREFIX_LEN or not header.startswith(FILE_MAGIC):
        raise SealingError("not an intake file")
    prefix = header[len(FILE_MAGIC):]
    aead = AESGCM(key)
    ad = _file_ad(attachment_id)
    counter = 0
    record = source.read(RECORD + TAG)
    while True:
        following = source.read(RECORD + TAG) if len(record) == RECORD + TAG else b""
        last = not following
        try:
            yield aead.decrypt(_nonce(prefix, counter, last), record, ad)
        except InvalidTag:
            raise SealingError("file record does not authenticate") from None
        if last:
            return
        counter += 1
        record = following
