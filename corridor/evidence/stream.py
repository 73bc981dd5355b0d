"""Chunked AES-256-GCM for evidence blobs: encrypt and decrypt in constant memory.

One-shot AES-GCM needs the whole plaintext at once, which a 2 GB video does not
allow. Each blob is therefore cut into chunks of `chunk_size` bytes (1 MiB), each
sealed on its own with AES-256-GCM (`cryptography`'s AESGCM; nothing hand-made),
in the manner of the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015):

    blob   = header || seal(chunk 0) || seal(chunk 1) || ... || seal(chunk n, final)
    header = "CRDRBLOB" | version (1) | role (1) | chunk_size (4, BE) | prefix (7, random)
    nonce  = role (1) || prefix (7) || chunk index (4, BE)
    AD     = "corridor/blob/v1" 0x00 context 0x00 header || chunk index (8, BE) || final (1)

* The key is a fresh per-file data key; each key seals at most two streams (the
  original and, for images, the working copy). Their nonces differ in the role
  byte, so no nonce is ever reused under a key even if the random prefixes collide.
* The counter in the nonce and AD rejects reordered or duplicated chunks; the final
  flag in the AD rejects truncation at a chunk boundary (the new last chunk was
  sealed as "not final") and appended chunks (the real last one says "final").
* `context` binds file id, data key id and key version (see `blob_context`), so a
  blob copied under another file's record does not decrypt; the header is in the
  AD too, so it cannot be edited to change the chunk size or role.

This module imports no Django: the offline tools and benchmarks use it directly.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CRDRBLOB"
VERSION = 1
ROLE_ORIGINAL = 1
ROLE_WORKING = 2
CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
MAX_CHUNKS = 1 << 32
_HEADER = struct.Struct(">8sBBI7s")
HEADER_SIZE = _HEADER.size
_AD_PREFIX = b"corridor/blob/v1\x00"


class BlobError(Exception):
    """A blob is malformed, truncated, reordered, altered or under another key."""


def blob_context(file_id: str, key_id: str, key_version: int) -> bytes:
    return "\x00".join([str(file_id), str(key_id), str(key_version)]).encode("utf-8")


def _nonce(role: int, prefix: bytes, index: int) -> bytes:
    return bytes([role]) + prefix + index.to_bytes(4, "big")


def _ad(base: bytes, index: int, final: bool) -> bytes:
    return base + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


class StreamEncryptor:
    """Push plaintext with `update()`, end with `finalize()`; ciphertext goes to `write`.

    At most one chunk (plus the caller's last piece) is buffered: a chunk is sealed
    as soon as more data shows it is not the last one.
    """

    def __init__(self, key: bytes, context: bytes, *, role: int, write: Callable[[bytes], object],
                 chunk_size: int = CHUNK_SIZE) -> None:
        if len(key) != 32:
            raise ValueError("AES-256 needs a 32-byte key")
        if role not in (ROLE_ORIGINAL, ROLE_WORKING):
            raise ValueError("unknown blob role")
        if not 1024 <= chunk_size <= 1 << 26:
            raise ValueError("chunk size out of range")
        self._aead = AESGCM(key)
        self._role = role
        self._prefix = os.urandom(7)
        self._chunk = chunk_size
        self.header = _HEADER.pack(MAGIC, VERSION, role, chunk_size, self._prefix)
        self._ad_base = _AD_PREFIX + context + b"\x00" + self.header
        self._write = write
        self._buf = bytearray()
        self._index = 0
        self._done = False
        self.ciphertext_size = HEADER_SIZE
        write(self.header)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise BlobError("stream already finalised")
        self._buf += data
        size = self._chunk
        if len(self._buf) <= size:
            return
        # Seal every whole chunk that is followed by more data; keep the rest.
        view = memoryview(self._buf)
        start = 0
        try:
            while len(self._buf) - start > size:
                self._seal(view[start:start + size], final=False)
                start += size
        finally:
            view.release()
        del self._buf[:start]

    def finalize(self) -> None:
        if self._done:
            raise BlobError("stream already finalised")
        self._seal(bytes(self._buf), final=True)
        self._buf = bytearray()
        self._done = True

    def _seal(self, chunk, *, final: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise BlobError("file too large for one stream")
        sealed = self._aead.encrypt(
            _nonce(self._role, self._prefix, self._index), chunk, _ad(self._ad_base, self._index, final)
        )
        self._write(sealed)
        self.ciphertext_size += len(sealed)
        self._index += 1


def _read_exactly(fh: BinaryIO, n: int) -> bytes:
    parts = []
    left = n
    while left:
        piece = fh.read(left)
        if not piece:
            break
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


def decrypt_stream(key: bytes, context: bytes, fh: BinaryIO, *, role: int) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; BlobError names the first bad chunk.

    A chunk is only yielded once it authenticates, but a caller streaming to a
    client has sent earlier chunks before a later one fails: callers that need
    all-or-nothing (bundles) hash the whole stream and compare before trusting it.
    """
    header = _read_exactly(fh, HEADER_SIZE)
    if len(header) != HEADER_SIZE:
        raise BlobError("blob header is truncated")
    magic, version, got_role, chunk_size, prefix = _HEADER.unpack(header)
    if magic != MAGIC or version != VERSION:
        raise BlobError("not a Corridor evidence blob")
    if got_role != role:
        raise BlobError("blob holds the wrong copy (original and working copy swapped)")
    if not 1024 <= chunk_size <= 1 << 26:
        raise BlobError("blob header has an impossible chunk size")
    aead = AESGCM(key)
    ad_base = _AD_PREFIX + context + b"\x00" + header
    block = chunk_size + TAG_SIZE
    current = _read_exactly(fh, block)
    index = 0
    while True:
        following = _read_exactly(fh, block) if len(current) == block else b""
        final = not following
        if len(current) < TAG_SIZE:
            raise BlobError(f"blob is truncated at chunk {index}")
        try:
            plain = aead.decrypt(_nonce(role, prefix, index), current, _ad(ad_base, index, final))
        except InvalidTag:
            raise BlobError(f"chunk {index} does not authenticate (altered, reordered or truncated)") from None
        yield plain
        if final:
            return
        current = following
        index += 1
