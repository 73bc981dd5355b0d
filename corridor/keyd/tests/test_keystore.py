from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from corridor.keyd import keystore as kslib
from corridor.keyd.errors import BadUnseal
from corridor.keyd.testing import FAST_KDF

PASS = "correct horse battery staple"


def _create(path: Path, **kw: object) -> list[str]:
    kw.setdefault("log_origin", "corridor.test/audit")
    if kw.get("mode", "passphrase") == "passphrase":
        kw.setdefault("passphrase", PASS)
        kw.setdefault("kdf_params", FAST_KDF)
    kw.setdefault("mode", "passphrase")
    return kslib.create_keystore(path, **kw)  # type: ignore[arg-type]


def _secrets(ks: kslib.Keystore, kek: bytearray) -> list[bytes]:
    roots = kslib.open_roots(ks, kek)
    index_key, signing_raw = kslib.open_internal_keys(ks, roots)
    return [bytes(r) for r in roots.values()] + [bytes(index_key), bytes(signing_raw), bytes(kek)]


def _assert_absent(raw: bytes, secret: bytes) -> None:
    for form in (secret, secret.hex().encode(), base64.b64encode(secret), base64.b64encode(secret).rstrip(b"=")):
        assert form not in raw


def test_keystore_file_is_private_and_holds_no_plaintext_key(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    assert _create(path) == []
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ks = kslib.load_keystore(path)
    kek = kslib.unlock_passphrase(ks, PASS)
    raw = path.read_bytes()
    for secret in _secrets(ks, kek):
        _assert_absent(raw, secret)
    assert PASS.encode() not in raw
    data = json.loads(raw)
    assert data["format"] == 1 and data["mode"] == "passphrase" and data["current_root"] == 1
    assert data["kdf"]["alg"] == "argon2id" and len(base64.b64decode(data["kdf"]["salt"])) == 16
    assert set(data) >= {"roots", "index_key", "signing_key", "signing_public_key", "log_origin", "created"}
    assert not [p for p in tmp_path.iterdir() if p.name != "ks.json"], "temp file left behind"


def test_shamir_keystore_holds_no_plaintext_key_or_share(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    shares = _create(path, mode="shamir", threshold=2, shares=3)
    ks = kslib.load_keystore(path)
    parts = [kslib.parse_share(s, threshold=2, shares=3) for s in shares[:2]]
    kek = kslib.unlock_shares(ks, parts)
    raw = path.read_bytes()
    for secret in _secrets(ks, kek) + [v for _, v in parts]:
        _assert_absent(raw, secret)
    assert json.loads(raw)["shamir"] == {"threshold": 2, "shares": 3}
    assert "kdf" not in json.loads(raw)


def test_default_kdf_parameters_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_hash(**kw: object) -> bytes:
        seen.update(kw)
        return b"\x01" * 32

    monkeypatch.setattr(kslib, "hash_secret_raw", fake_hash)
    kslib.create_keystore(tmp_path / "ks.json", mode="passphrase", passphrase=PASS, log_origin="o")
    kdf = json.loads((tmp_path / "ks.json").read_text())["kdf"]
    assert (kdf["time_cost"], kdf["memory_cost_kib"], kdf["parallelism"]) == (3, 65536, 2)
    assert (seen["time_cost"], seen["memory_cost"], seen["parallelism"], seen["hash_len"]) == (3, 65536, 2, 32)
    assert seen["type"] == kslib.Type.ID


def test_refuses_to_overwrite_an_existing_keystore(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    _create(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="refusing to overwrite"):
        _create(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passphrase": "too short"}, "at least 12"),
        ({"mode": "shamir", "threshold": 1, "shares": 3}, "2 <= threshold"),
        ({"mode": "shamir", "threshold": 4, "shares": 3}, "2 <= threshold"),
        ({"mode": "shamir", "threshold": 2, "shares": 17}, "2 <= threshold"),
        ({"mode": "shamir", "threshold": 2, "shares": 3, "passphrase": PASS}, "only for mode='passphrase'"),
        ({"threshold": 2, "shares": 3}, "only for mode='shamir'"),
        ({"mode": "escrow"}, "mode must be"),
        ({"log_origin": " "}, "log_origin"),
        ({"kdf_params": {"rounds": 3}}, "kdf_params"),
    ],
)
def test_create_validates_its_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _create(tmp_path / "ks.json", **kwargs)
    assert not (tmp_path / "ks.json").exists()


def test_wrong_passphrase_is_bad_unseal(tmp_path: Path) -> None:
    _create(tmp_path / "ks.json")
    ks = kslib.load_keystore(tmp_path / "ks.json")
    with pytest.raises(BadUnseal):
        kslib.unlock_passphrase(ks, PASS + "!")


def test_share_text_format_and_checksum(tmp_path: Path) -> None:
    shares = _create(tmp_path / "ks.json", mode="shamir", threshold=2, shares=3)
    assert len(shares) == 3
    for i, share in enumerate(shares, start=1):
        prefix, k, index, value, checksum = share.rsplit("-", 4)
        assert (prefix, k, index) == ("corridor-share", "2", str(i))
        assert len(value) == 32 and len(checksum) == 4
        # Operators retype these: upper case and stray spaces/newlines are tolerated.
        assert kslib.parse_share(f"  {share.upper()[:20]}\n{share.upper()[20:]} ", threshold=2, shares=3)[0] == i


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda s: s[:-9] + ("0" if s[-9] != "0" else "1") + s[-8:], "mistyped"),  # one hex digit wrong
        (lambda s: s[:-1], "not of the form"),
        (lambda s: "share-" + s, "not of the form"),
        (lambda s: "", "not of the form"),
    ],
)
def test_mistyped_share_is_named_as_such(tmp_path: Path, mangle, message: str) -> None:
    share = _create(tmp_path / "ks.json", mode="shamir", threshold=2, shares=3)[0]
    with pytest.raises(BadUnseal, match=message) as info:
        kslib.parse_share(mangle(share), threshold=2, shares=3)
    assert share[15:47] not in str(info.value)  # the message never echoes share material


def test_share_from_a_different_threshold_or_index_is_rejected() -> None:
    value = bytes(range(16))
    with pytest.raises(BadUnseal, match="needs 2 shares"):
        kslib.parse_share(kslib.format_share(3, 1, value), threshold=2, shares=3)
    with pytest.raises(BadUnseal, match="outside 1..3"):
        kslib.parse_share(kslib.format_share(2, 4, value), threshold=2, shares=3)


def test_load_refuses_a_group_readable_keystore(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    _create(path)
    os.chmod(path, 0o640)
    with pytest.raises(ValueError, match="chmod 600"):
        kslib.load_keystore(path)


def test_load_refuses_a_damaged_keystore(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    _create(path)
    data = json.loads(path.read_text())
    data["current_root"] = 7
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="current_root"):
        kslib.load_keystore(path)


def test_tampered_root_blob_fails_to_unlock(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    _create(path)
    data = json.loads(path.read_text())
    blob = bytearray(base64.b64decode(data["roots"]["1"]))
    blob[20] ^= 1
    data["roots"]["1"] = base64.b64encode(bytes(blob)).decode()
    path.write_text(json.dumps(data))
    with pytest.raises(BadUnseal):
        kslib.unlock_passphrase(kslib.load_keystore(path), PASS)


def test_passphrase_unicode_normalisation_does_not_lock_out(tmp_path: Path) -> None:
    composed = "passphrase caf\u00e9 long enough"
    _create(tmp_path / "ks.json", passphrase=composed)
    ks = kslib.load_keystore(tmp_path / "ks.json")
    kslib.unlock_passphrase(ks, "passphrase cafe\u0301 long enough")  # decomposed é
