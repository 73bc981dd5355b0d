from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from corridor.keyd.errors import BadRequest, UnwrapFailed
from corridor.keyd.testing import RunningAgent

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def test_wrap_unwrap_round_trip_in_batches(kd: RunningAgent) -> None:
    keys = [os.urandom(32) for _ in range(5)]
    ads = [f"case:{i}/field:name".encode() for i in range(5)]
    version, wrapped = kd.client.wrap("worker-1", list(zip(keys, ads, strict=True)))
    assert version == 1 and len(wrapped) == 5
    assert all(len(w) == 12 + 32 + 16 and k not in w for w, k in zip(wrapped, keys, strict=True))
    assert kd.client.unwrap("worker-1", [(w, ad, version) for w, ad in zip(wrapped, ads, strict=True)]) == keys


def test_wrapping_the_same_key_twice_uses_fresh_nonces(kd: RunningAgent) -> None:
    _, (a, b) = kd.client.wrap("w", [(b"k" * 32, b"case:1"), (b"k" * 32, b"case:1")])
    assert a != b and a[:12] != b[:12]


def test_unwrap_with_another_records_ad_fails(kd: RunningAgent) -> None:
    # A worker (or SQL injection) that copies person A's wrapped key onto person B's row.
    v, [w] = kd.client.wrap("w", [(os.urandom(32), b"person:17")])
    with pytest.raises(UnwrapFailed, match="item 0"):
        kd.client.unwrap("w", [(w, b"person:18", v)])


def test_unwrap_of_a_flipped_bit_fails_everywhere_in_the_blob(kd: RunningAgent) -> None:
    v, [w] = kd.client.wrap("w", [(os.urandom(32), b"person:17")])
    for pos in (0, 11, 12, 30, len(w) - 1):
        tampered = bytearray(w)
        tampered[pos] ^= 0x01
        with pytest.raises(UnwrapFailed):
            kd.client.unwrap("w", [(bytes(tampered), b"person:17", v)])
    with pytest.raises(UnwrapFailed):
        kd.client.unwrap("w", [(w[:20], b"person:17", v)])


def test_unwrap_with_a_wrong_root_version_fails(kd: RunningAgent) -> None:
    v, [w] = kd.client.wrap("w", [(os.urandom(32), b"person:17")])
    with pytest.raises(UnwrapFailed, match="root version 2 is not available"):
        kd.client.unwrap("w", [(w, b"person:17", 2)])
    kd.client.rotate_root()
    # v2 now exists, but the version is bound into the AD, so the blob cannot be replayed under it.
    with pytest.raises(UnwrapFailed, match="authentication failed"):
        kd.client.unwrap("w", [(w, b"person:17", 2)])


def test_one_bad_item_fails_the_whole_batch_and_names_it(kd: RunningAgent) -> None:
    v, wrapped = kd.client.wrap("w", [(os.urandom(32), b"a:1"), (os.urandom(32), b"a:2")])
    with pytest.raises(UnwrapFailed, match="item 1") as info:
        kd.client.unwrap("w", [(wrapped[0], b"a:1", v), (wrapped[1], b"a:1", v)])
    assert "keys" not in str(info.value)


def test_keystore_internal_keys_cannot_be_unwrapped_through_the_api(kd: RunningAgent) -> None:
    # A worker that can read the keystore file must not get the signing or index key out of keyd.
    data = json.loads(Path(kd.keystore_path).read_text())
    for name, ad in (("signing_key", b"corridor/keystore/v1/signing-key"), ("index_key", b"corridor/keystore/v1/index-key")):
        entry = data[name]
        with pytest.raises(BadRequest, match="reserved"):
            kd.client.unwrap("w", [(base64.b64decode(entry["wrapped"]), ad, entry["root_version"])])
    with pytest.raises(BadRequest, match="reserved"):
        kd.client.wrap("w", [(b"k" * 32, b"corridor/keystore/v1/index-key")])


def test_empty_ad_and_malformed_items_are_bad_requests(kd: RunningAgent) -> None:
    with pytest.raises(BadRequest, match="ad must not be empty"):
        kd.client.wrap("w", [(b"k" * 32, b"")])
    with pytest.raises(BadRequest, match="principal"):
        kd.client.wrap("", [(b"k" * 32, b"a")])
    with pytest.raises(BadRequest, match="non-empty list"):
        kd.client.unwrap("w", [])
    r = kd.agent.handle({"op": "unwrap", "principal": "w", "items": [{"wrapped": "!!", "ad": "YQ==", "root_version": 1}]})
    assert r == {"ok": False, "error": "bad_request", "message": "item 0 wrapped is not valid base64"}
    assert kd.agent.handle({"op": "nope"})["error"] == "bad_request"


def test_blind_index_is_deterministic_per_kind_and_batched(kd: RunningAgent) -> None:
    values = [f"person-{i}".encode() for i in range(100_000)]
    first = kd.client.blind_index("w", "name", values)
    assert len(first) == 100_000 and all(len(i) == 16 for i in first)
    assert len(set(first)) == 100_000
    assert kd.client.blind_index("w", "name", values[:3]) == first[:3]
    assert kd.client.blind_index("w", "phone", values[:3]) != first[:3]
    assert kd.new_client().blind_index("other", "name", [values[7]]) == [first[7]]


def test_sign_verifies_with_the_published_public_key(kd: RunningAgent) -> None:
    message = b"corridor.test/audit\n1\n" + base64.b64encode(b"r" * 32) + b"\n"
    kd.client.reset_head("new installation")
    sig = kd.client.sign("audit", message)
    public, origin = kd.client.public_key()
    assert origin == "corridor.test/audit"
    Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
    assert base64.b64decode(kd.client.status()["signing_public_key"]) == public


def test_public_key_is_available_while_sealed(kd_sealed: RunningAgent) -> None:
    public, origin = kd_sealed.client.public_key()
    assert len(public) == 32 and origin == "corridor.test/audit"


def test_hpke_open_round_trips_with_a_wrapped_private_key(kd: RunningAgent) -> None:
    private = X25519PrivateKey.generate()
    ad = b"intake-form:7/hpke-key"
    v, [wrapped] = kd.client.wrap("intake", [(private.private_bytes_raw(), ad)])
    info = b"corridor/intake/v1"
    ciphertext = SUITE.encrypt(b"name=Ayesha; route=north", private.public_key(), info=info)
    assert kd.client.hpke_open("intake", (wrapped, ad, v), ciphertext, info) == b"name=Ayesha; route=north"
    with pytest.raises(UnwrapFailed, match="hpke_open"):
        kd.client.hpke_open("intake", (wrapped, ad, v), ciphertext, b"other info")
    tampered = ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])
    with pytest.raises(UnwrapFailed):
        kd.client.hpke_open("intake", (wrapped, ad, v), tampered, info)
    with pytest.raises(UnwrapFailed):
        kd.client.hpke_open("intake", (wrapped, b"intake-form:8/hpke-key", v), ciphertext, info)


def test_many_threads_on_one_client_get_their_own_answers(kd: RunningAgent) -> None:
    import threading

    keys = [os.urandom(32) for _ in range(16)]
    v, wrapped = kd.client.wrap("w", [(k, f"r:{i}".encode()) for i, k in enumerate(keys)])
    errors: list[str] = []

    def worker(i: int) -> None:
        for _ in range(100):
            if kd.client.unwrap(f"t{i}", [(wrapped[i], f"r:{i}".encode(), v)]) != [keys[i]]:
                errors.append(f"thread {i} got a foreign key")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
