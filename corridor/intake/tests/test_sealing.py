from __future__ import annotations

import io
import os

import pytest

from corridor.intake import sealing


def _seal(data: bytes, key: bytes, aid: str = "a1") -> bytes:
    out = io.BytesIO()
    sealer = sealing.FileSealer(key, aid, out)
    for i in range(0, len(data), 10_000):
        sealer.write(data[i:i + 10_000])
    sealer.finish()
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, sealing.RECORD - 1, sealing.RECORD, sealing.RECORD + 1, 3 * sealing.RECORD])
def test_files_round_trip_at_record_boundaries(size):
    key, data = os.urandom(32), os.urandom(size)
    blob = _seal(data, key)
    assert b"".join(sealing.open_file(key, "a1", io.BytesIO(blob))) == data


def test_a_truncated_file_is_refused():
    key, data = os.urandom(32), os.urandom(3 * sealing.RECORD)
    blob = _seal(data, key)
    cut = blob[: len(sealing.FILE_MAGIC) + sealing.PREFIX_LEN + 2 * (sealing.RECORD + sealing.TAG)]
    with pytest.raises(sealing.SealingError):
        b"".join(sealing.open_file(key, "a1", io.BytesIO(cut)))


def test_a_file_moved_to_another_attachment_is_refused():
    key = os.urandom(32)
    blob = _seal(b"secret", key, "a1")
    with pytest.raises(sealing.SealingError):
        b"".join(sealing.open_file(key, "a2", io.BytesIO(blob)))


def test_swapped_records_are_refused():
    key = os.urandom(32)
    blob = _seal(os.urandom(2 * sealing.RECORD + 10), key)
    head = len(sealing.FILE_MAGIC) + sealing.PREFIX_LEN
    r = sealing.RECORD + sealing.TAG
    swapped = blob[:head] + blob[head + r:head + 2 * r] + blob[head:head + r] + blob[head + 2 * r:]
    with pytest.raises(sealing.SealingError):
        b"".join(sealing.open_file(key, "a1", io.BytesIO(swapped)))


def test_an_inbound_message_is_bound_to_its_organisation_and_id():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sealed = sealing.seal_inbound(public, organisation_id="o1", message_id="m1", content_key=b"k" * 32,
                                  payload={"what": "x"})
    assert sealing.SUITE.decrypt(sealed, private, info=sealing.inbound_info("o1", "m1"))[:32] == b"k" * 32
    for info in (sealing.inbound_info("o2", "m1"), sealing.inbound_info("o1", "m2")):
        with pytest.raises(Exception):  # noqa: B017 - the HPKE library raises its own type
            sealing.SUITE.decrypt(sealed, private, info=info)
