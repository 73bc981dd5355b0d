"""The chunked AEAD of evidence blobs: round trips, and every way to cut or splice."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.evidence.stream import (
    HEADER_SIZE,
    ROLE_ORIGINAL,
    ROLE_WORKING,
    TAG_SIZE,
    BlobError,
    StreamEncryptor,
    blob_context,
    decrypt_stream,
)

KEY = bytes(range(32))
CTX = blob_context("file-1", "key-1", 1)
CHUNK = 1024


def seal(data: bytes, *, pieces: int = 333, role: int = ROLE_ORIGINAL, ctx: bytes = CTX, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    enc = StreamEncryptor(key, ctx, role=role, write=out.write, chunk_size=CHUNK)
    for i in range(0, len(data), pieces):
        enc.update(data[i:i + pieces])
    enc.finalize()
    assert enc.ciphertext_size == len(out.getvalue())
    return out.getvalue()


def unseal(blob: bytes, *, role: int = ROLE_ORIGINAL, ctx: bytes = CTX, key: bytes = KEY) -> bytes:
    return b"".join(decrypt_stream(key, ctx, io.BytesIO(blob), role=role))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7])
def test_it_round_trips_at_every_chunk_boundary(size):
    data = os.urandom(size)
    assert unseal(seal(data)) == data


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=5 * CHUNK), pieces=st.integers(min_value=1, max_value=3000))
def test_it_round_trips_whatever_the_piece_sizes(data, pieces):
    assert unseal(seal(data, pieces=pieces)) == data


def test_the_ciphertext_does_not_contain_the_plaintext():
    data = b"secret testimony " * 500
    assert b"secret testimony" not in seal(data)


def test_a_changed_byte_anywhere_is_refused():
    blob = bytearray(seal(os.urandom(3 * CHUNK + 5)))
    for position in (HEADER_SIZE + 3, HEADER_SIZE + CHUNK + TAG_SIZE + 9, len(blob) - 1, 12):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(BlobError):
            unseal(bytes(tampered))


def test_truncation_at_a_chunk_boundary_is_refused():
    blob = seal(os.urandom(3 * CHUNK + 5))
    two_chunks = HEADER_SIZE + 2 * (CHUNK + TAG_SIZE)
    with pytest.raises(BlobError, match="chunk 1"):
        unseal(blob[:two_chunks])


def test_an_exact_multiple_cannot_lose_its_last_chunk_unnoticed():
    blob = seal(os.urandom(2 * CHUNK))
    with pytest.raises(BlobError):
        unseal(blob[: HEADER_SIZE + CHUNK + TAG_SIZE])


def test_reordered_chunks_are_refused():
    blob = seal(os.urandom(3 * CHUNK + 5))
    size = CHUNK + TAG_SIZE
    c0 = blob[HEADER_SIZE:HEADER_SIZE + size]
    c1 = blob[HEADER_SIZE + size:HEADER_SIZE + 2 * size]
    swapped = blob[:HEADER_SIZE] + c1 + c0 + blob[HEADER_SIZE + 2 * size:]
    with pytest.raises(BlobError, match="chunk 0"):
        unseal(swapped)


def test_a_blob_moved_to_another_file_record_does_not_decrypt():
    blob = seal(b"evidence")
    with pytest.raises(BlobError):
        unseal(blob, ctx=blob_context("file-2", "key-1", 1))
    with pytest.raises(BlobError):
        unseal(blob, ctx=blob_context("file-1", "key-1", 2))


def test_the_working_copy_cannot_pass_for_the_original():
    blob = seal(b"stripped image", role=ROLE_WORKING)
    with pytest.raises(BlobError, match="wrong copy"):
        unseal(blob, role=ROLE_ORIGINAL)
    forged = bytearray(blob)
    forged[9] = ROLE_ORIGINAL  # edit the header's role byte: the AD no longer matches
    with pytest.raises(BlobError):
        unseal(bytes(forged), role=ROLE_ORIGINAL)


def test_another_key_does_not_decrypt():
    with pytest.raises(BlobError):
        unseal(seal(b"evidence"), key=bytes(32))


def test_garbage_and_short_headers_are_refused():
    with pytest.raises(BlobError, match="truncated"):
        unseal(b"CRDR")
    with pytest.raises(BlobError, match="not a Corridor"):
        unseal(b"X" * 64)


def test_the_encryptor_refuses_bad_parameters():
    with pytest.raises(ValueError):
        StreamEncryptor(b"short", CTX, role=ROLE_ORIGINAL, write=lambda b: None)
    with pytest.raises(ValueError):
        StreamEncryptor(KEY, CTX, role=9, write=lambda b: None)
    enc = StreamEncryptor(KEY, CTX, role=ROLE_ORIGINAL, write=lambda b: None)
    enc.finalize()
    with pytest.raises(BlobError):
        enc.update(b"more")
    with pytest.raises(BlobError):
        enc.finalize()
