"""The keystore file: root keys encrypted under a key-encryption key (KEK).

Threat model: the file sits on disk and in backups, so an attacker who copies
it must learn nothing without the passphrase (Argon2id makes guessing costly)
or k Shamir shares. Root keys, the blind-index key and the audit-signing key
never touch the disk in plaintext. The file is written atomically (temp file,
fsync, rename) so a crash mid-rotation cannot leave a torn keystore, which
would lock an organisation out of its own case files. The keystore also holds
the erasure-bucket keys (see `buckets`), so its rewrite *is* an erasure: after
the rename the old file's blocks are overwritten in place (see `_write_atomic`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
import re
import stat
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from Crypto.Protocol.SecretSharing import Shamir
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .buckets import BucketEntry, open_bucket_key, seal_bucket_key
from .errors import BadUnseal
from .wrapping import hkdf32, make_wrapper

FORMAT = 1
# Format 2 = format 1 + erasure buckets. An older agent refuses it instead of
# rewriting the file without the buckets (which would lose every bucketed key).
FORMAT_BUCKETS = 2
ROOT_AD_PREFIX = b"corridor/keystore/v1/root/"
INDEX_KEY_AD = b"corridor/keystore/v1/index-key"
SIGNING_KEY_AD = b"corridor/keystore/v1/signing-key"
SHAMIR_KEK_INFO = b"corridor/keystore/v1/shamir-kek"
DEFAULT_KDF = {"time_cost": 3, "memory_cost_kib": 65536, "parallelism": 2}
MIN_PASSPHRASE_CHARS = 12
# pycryptodome's Shamir works in GF(2^128) and has no small share limit; 16 is
# our policy: more custodians means more people who can be coerced.
MAX_SHARES = 16
SHAMIR_SECRET_LEN = 16  # the size pycryptodome's Shamir documents
ROOT_KEY_LEN = 32
_ROOT_BLOB_LEN = 12 + ROOT_KEY_LEN + 16
_SHARE_RE = re.compile(r"^corridor-share-(\d{1,2})-(\d{1,2})-([0-9a-f]{32})-([0-9a-f]{4})$")
SHARE_FORM = "corridor-share-<k>-<index>-<32 hex digits>-<4 hex digits>"


def zero(buf: bytearray) -> None:
    """Best-effort wipe (Python may have made copies we cannot reach)."""
    buf[:] = b"\x00" * len(buf)


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class Keystore:
    path: str
    mode: str
    kdf: dict[str, Any] | None
    shamir: dict[str, int] | None
    roots: dict[int, bytes]  # version -> nonce12 || AES-256-GCM(KEK) ciphertext
    current_root: int
    index_key: tuple[int, bytes]  # (root_version, wrapped)
    signing_key: tuple[int, bytes]
    signing_public_key: bytes
    log_origin: str
    created: str
    buckets: dict[int, BucketEntry] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT_BUCKETS if self.buckets else FORMAT, "mode": self.mode}
        if self.kdf is not None:
            data["kdf"] = dict(self.kdf)
        if self.shamir is not None:
            data["shamir"] = dict(self.shamir)
        data.update(
            roots={str(v): b64e(blob) for v, blob in sorted(self.roots.items())},
            current_root=self.current_root,
            index_key={"root_version": self.index_key[0], "wrapped": b64e(self.index_key[1])},
            signing_key={"root_version": self.signing_key[0], "wrapped": b64e(self.signing_key[1])},
            signing_public_key=b64e(self.signing_public_key),
            log_origin=self.log_origin,
            created=self.created,
        )
        if self.buckets:
            data["buckets"] = {
                str(b): {"current": e.current,
                         "gens": {str(g): {"root_version": v, "wrapped": b64e(w)} for g, (v, w) in sorted(e.gens.items())}}
                for b, e in sorted(self.buckets.items())
            }
        return data


# ---------------------------------------------------------------- file I/O


def _write_atomic(path: str, data: bytes, *, overwrite: bool) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".keystore-", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            old = _open_old(path)
            try:
                os.replace(tmp, path)
                _fsync_dir(directory)
                if old is not None:
                    _scrub(old)
            finally:
                if old is not None:
                    os.close(old)
        else:
            try:
                os.link(tmp, path)  # atomic "create if absent": never clobber a keystore
            except FileExistsError:
                raise ValueError(f"refusing to overwrite existing keystore {path}") from None
            os.unlink(tmp)
        _fsync_dir(directory)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _fsync_dir(directory: str) -> None:
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _open_old(path: str) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except (FileNotFoundError, PermissionError):  # a read-only keystore cannot be scrubbed
        return None


def _scrub(fd: int) -> None:
    """Overwrite the replaced keystore's blocks once the new one is durable.

    The old file still holds bucket keys that an erasure just deleted. Overwriting
    the unlinked inode in place (then fsync) removes them from the disk on a
    filesystem that updates blocks in place (ext4, xfs in their default modes).
    It cannot reach copies a copy-on-write filesystem (btrfs, ZFS), a journal in
    data=journal mode, an SSD's remapped cells or a snapshot kept: see
    docs/threat-model.md. A file that still has another name (a hard-link
    backup) is left alone: zeroing it would destroy that backup.
    """
    st = os.fstat(fd)
    if st.st_nlink != 0:
        return
    size = st.st_size
    os.lseek(fd, 0, os.SEEK_SET)
    chunk = b"\x00" * 65536
    written = 0
    while written < size:
        written += os.write(fd, chunk[: min(len(chunk), size - written)])
    os.fsync(fd)


def _save(ks: Keystore, *, overwrite: bool = True) -> None:
    blob = json.dumps(ks.to_json(), indent=2).encode("utf-8") + b"\n"
    _write_atomic(ks.path, blob, overwrite=overwrite)


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"keystore field {name!r} is missing or not a {kind.__name__}")
    return value


def load_keystore(path: str | os.PathLike[str]) -> Keystore:
    path = os.fspath(path)
    st = os.stat(path)
    if st.st_mode & 0o077:
        raise ValueError(f"keystore {path} is accessible by group/others (mode {stat.filemode(st.st_mode)}); chmod 600 it")
    with open(path, "rb") as fh:
        try:
            data = json.loads(fh.read())
        except ValueError:
            raise ValueError(f"keystore {path} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, FORMAT_BUCKETS):
        raise ValueError(f"keystore {path} has an unknown format (expected {FORMAT} or {FORMAT_BUCKETS})")
    mode = data.get("mode")
    kdf = shamir = None
    try:
        if mode == "passphrase":
            raw = _field(data, "kdf", dict)
            if raw.get("alg") != "argon2id":
                raise ValueError("keystore kdf must be argon2id")
            kdf = {"alg": "argon2id", "salt": _field(raw, "salt", str)}
            for name, (lo, hi) in {"time_cost": (1, 100), "memory_cost_kib": (8, 4 * 1024 * 1024), "parallelism": (1, 64)}.items():
                value = _field(raw, name, int)
                if not lo <= value <= hi:
                    raise ValueError(f"keystore kdf {name} out of range")
                kdf[name] = value
            if len(b64d(kdf["salt"])) != 16:
                raise ValueError("keystore kdf salt must be 16 bytes")
        elif mode == "shamir":
            raw = _field(data, "shamir", dict)
            k, n = _field(raw, "threshold", int), _field(raw, "shares", int)
            if not 2 <= k <= n <= MAX_SHARES:
                raise ValueError("keystore shamir threshold/shares out of range")
            shamir = {"threshold": k, "shares": n}
        else:
            raise ValueError("keystore mode must be 'passphrase' or 'shamir'")
        roots = {}
        for v, blob in _field(data, "roots", dict).items():
            if not v.isdigit() or int(v) < 1:
                raise ValueError("keystore root versions must be positive integers")
            roots[int(v)] = b64d(blob)
            if len(roots[int(v)]) != _ROOT_BLOB_LEN:
                raise ValueError(f"keystore root {v} has the wrong length")
        current = _field(data, "current_root", int)
        if current not in roots:
            raise ValueError("keystore current_root is not among its roots")
        wrapped = {}
        for name in ("index_key", "signing_key"):
            entry = _field(data, name, dict)
            wrapped[name] = (_field(entry, "root_version", int), b64d(_field(entry, "wrapped", str)))
            if wrapped[name][0] not in roots:
                raise ValueError(f"keystore {name} is wrapped under a missing root")
        public = b64d(_field(data, "signing_public_key", str))
        if len(public) != 32:
            raise ValueError("keystore signing_public_key must be 32 bytes")
        buckets = _load_buckets(data.get("buckets", {}), roots)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise ValueError(f"keystore {path} contains invalid base64") from None
    return Keystore(
        path=path, mode=mode, kdf=kdf, shamir=shamir, roots=roots, current_root=current,
        index_key=wrapped["index_key"], signing_key=wrapped["signing_key"], signing_public_key=public,
        log_origin=_field(data, "log_origin", str), created=_field(data, "created", str),
        buckets=buckets,
    )


def _load_buckets(raw: Any, roots: dict[int, bytes]) -> dict[int, BucketEntry]:
    if not isinstance(raw, dict):
        raise ValueError("keystore buckets must be an object")
    out: dict[int, BucketEntry] = {}
    for b, entry in raw.items():
        if not b.isdigit() or not isinstance(entry, dict):
            raise ValueError("keystore bucket ids must be integers")
        gens = {}
        for g, item in _field(entry, "gens", dict).items():
            if not g.isdigit() or not isinstance(item, dict):
                raise ValueError(f"keystore bucket {b} has a bad generation")
            version = _field(item, "root_version", int)
            if version not in roots:
                raise ValueError(f"keystore bucket {b} is wrapped under a missing root")
            gens[int(g)] = (version, b64d(_field(item, "wrapped", str)))
        current = _field(entry, "current", int)
        if current not in gens:
            raise ValueError(f"keystore bucket {b} current generation is missing")
        out[int(b)] = BucketEntry(current=current, gens=gens)
    return out


def save_buckets(ks: Keystore, buckets: dict[int, BucketEntry]) -> Keystore:
    """Persist a new bucket table; returns the new keystore. The rewrite is the erasure."""
    new = dataclasses.replace(ks, buckets=buckets)
    _save(new)
    return new


# ---------------------------------------------------------------- KEKs and shares


def _normalise(passphrase: str) -> bytes:
    # The same passphrase typed on another keyboard/OS may arrive in another
    # Unicode normal form; without this an operator could be locked out.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _argon2(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytearray:
    return bytearray(hash_secret_raw(
        secret=_normalise(passphrase), salt=salt, time_cost=kdf["time_cost"],
        memory_cost=kdf["memory_cost_kib"], parallelism=kdf["parallelism"],
        hash_len=32, type=Type.ID,
    ))


def _share_checksum(body: str) -> str:
    return hashlib.sha256(body.encode("ascii")).digest()[:2].hex()


def format_share(k: int, index: int, value: bytes) -> str:
    body = f"corridor-share-{k}-{index}-{value.hex()}"
    return f"{body}-{_share_checksum(body)}"


def parse_share(text: str, *, threshold: int, shares: int) -> tuple[int, bytes]:
    """Validate one typed share; raise BadUnseal naming the problem (never echoing it)."""
    if not isinstance(text, str):
        raise BadUnseal(f"share must be text of the form {SHARE_FORM}")
    cleaned = "".join(text.split()).lower()  # tolerate line breaks / spaces from copying
    m = _SHARE_RE.match(cleaned)
    if m is None:
        raise BadUnseal(f"share is not of the form {SHARE_FORM}")
    k, index, value_hex, checksum = int(m[1]), int(m[2]), m[3], m[4]
    if _share_checksum(cleaned.rsplit("-", 1)[0]) != checksum:
        raise BadUnseal("share checksum does not match: the share was mistyped")
    if k != threshold:
        raise BadUnseal(f"share belongs to a {k}-of-n set but this keystore needs {threshold} shares")
    if not 1 <= index <= shares:
        raise BadUnseal(f"share index {index} is outside 1..{shares}")
    return index, bytes.fromhex(value_hex)


def kek_from_shares(parts: list[tuple[int, bytes]]) -> bytearray:
    secret = bytearray(Shamir.combine(parts))
    try:
        return bytearray(hkdf32(secret, SHAMIR_KEK_INFO))
    finally:
        zero(secret)


def open_roots(ks: Keystore, kek: bytes | bytearray) -> dict[int, bytearray]:
    """Decrypt every root; BadUnseal if the KEK is wrong (AES-GCM authenticates it)."""
    aead = AESGCM(bytes(kek))
    roots: dict[int, bytearray] = {}
    for version in sorted(ks.roots, key=lambda v: v != ks.current_root):
        blob = ks.roots[version]
        try:
            roots[version] = bytearray(aead.decrypt(blob[:12], blob[12:], ROOT_AD_PREFIX + str(version).encode()))
        except InvalidTag:
            for r in roots.values():
                zero(r)
            if version == ks.current_root:
                raise BadUnseal("wrong passphrase or shares") from None
            raise BadUnseal(f"keystore root v{version} does not open: the keystore is damaged") from None
    return roots


def unlock_passphrase(ks: Keystore, passphrase: str) -> bytearray:
    """Return the KEK, or raise BadUnseal."""
    if ks.mode != "passphrase" or ks.kdf is None:
        raise BadUnseal("this keystore is unsealed with shares, not a passphrase")
    if not isinstance(passphrase, str) or not passphrase:
        raise BadUnseal("passphrase is empty")
    kek = _argon2(passphrase, b64d(ks.kdf["salt"]), ks.kdf)
    try:
        for r in open_roots(ks, kek).values():
            zero(r)
    except BadUnseal:
        zero(kek)
        raise
    return kek


def unlock_shares(ks: Keystore, parts: list[tuple[int, bytes]]) -> bytearray:
    """Return the KEK combined from k (index, value) shares, or raise BadUnseal."""
    kek = kek_from_shares(parts)
    try:
        for r in open_roots(ks, kek).values():
            zero(r)
    except BadUnseal:
        zero(kek)
        raise
    return kek


def open_internal_keys(ks: Keystore, roots: dict[int, bytearray]) -> tuple[bytearray, bytearray]:
    """(blind-index key, raw Ed25519 signing key); BadUnseal if the file was tampered with."""
    out = []
    for (version, wrapped), ad in ((ks.index_key, INDEX_KEY_AD), (ks.signing_key, SIGNING_KEY_AD)):
        try:
            out.append(bytearray(make_wrapper(version, roots[version]).unwrap(wrapped, ad)))
        except (InvalidTag, ValueError, KeyError):
            raise BadUnseal("keystore index/signing key does not open: the keystore is damaged") from None
    return out[0], out[1]


# ---------------------------------------------------------------- create / rotate / retire


def _seal_root(kek: bytes | bytearray, version: int, root: bytes | bytearray) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(bytes(kek)).encrypt(nonce, bytes(root), ROOT_AD_PREFIX + str(version).encode())


def create_keystore(
    path: str | os.PathLike[str], *, mode: str, passphrase: str | None = None,
    threshold: int | None = None, shares: int | None = None, log_origin: str,
    kdf_params: dict[str, int] | None = None,
) -> list[str]:
    """Create a new keystore; return the share texts to print (shamir) or [] (passphrase)."""
    path = os.fspath(path)
    if os.path.lexists(path):
        raise ValueError(f"refusing to overwrite existing keystore {path}")
    if not isinstance(log_origin, str) or not log_origin.strip():
        raise ValueError("log_origin must be a non-empty string")
    kdf: dict[str, Any] | None = None
    shamir_cfg: dict[str, int] | None = None
    share_texts: list[str] = []
    if mode == "passphrase":
        if threshold is not None or shares is not None:
            raise ValueError("threshold/shares are only for mode='shamir'")
        if not isinstance(passphrase, str) or len(unicodedata.normalize("NFC", passphrase)) < MIN_PASSPHRASE_CHARS:
            raise ValueError(f"passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")
        params = {**DEFAULT_KDF, **(kdf_params or {})}
        if set(params) != set(DEFAULT_KDF):
            raise ValueError(f"kdf_params accepts only {sorted(DEFAULT_KDF)}")
        salt = os.urandom(16)
        kdf = {"alg": "argon2id", "salt": b64e(salt), **params}
        kek = _argon2(passphrase, salt, kdf)
    elif mode == "shamir":
        if passphrase is not None:
            raise ValueError("passphrase is only for mode='passphrase'")
        if not isinstance(threshold, int) or not isinstance(shares, int) or not 2 <= threshold <= shares <= MAX_SHARES:
            raise ValueError(f"shamir needs 2 <= threshold <= shares <= {MAX_SHARES}")
        shamir_cfg = {"threshold": threshold, "shares": shares}
        secret = bytearray(os.urandom(SHAMIR_SECRET_LEN))
        share_texts = [format_share(threshold, i, v) for i, v in Shamir.split(threshold, shares, bytes(secret))]
        kek = bytearray(hkdf32(secret, SHAMIR_KEK_INFO))
        zero(secret)
    else:
        raise ValueError("mode must be 'passphrase' or 'shamir'")

    root = bytearray(os.urandom(ROOT_KEY_LEN))
    index_key = bytearray(os.urandom(32))
    signing = Ed25519PrivateKey.generate()
    signing_raw = bytearray(signing.private_bytes_raw())
    try:
        wrapper = make_wrapper(1, root)
        ks = Keystore(
            path=path, mode=mode, kdf=kdf, shamir=shamir_cfg, roots={1: _seal_root(kek, 1, root)},
            current_root=1, index_key=(1, wrapper.wrap(bytes(index_key), INDEX_KEY_AD)),
            signing_key=(1, wrapper.wrap(bytes(signing_raw), SIGNING_KEY_AD)),
            signing_public_key=signing.public_key().public_bytes_raw(), log_origin=log_origin,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        _save(ks, overwrite=False)
    finally:
        for buf in (kek, root, index_key, signing_raw):
            zero(buf)
    return share_texts


def rotate(ks: Keystore, kek: bytes | bytearray, roots: dict[int, bytearray]) -> tuple[Keystore, int, bytearray]:
    """Add root v+1 under the same KEK, re-wrap index & signing keys under it, persist.

    Returns (new keystore, new version, new root key). Old roots stay so that
    data keys wrapped under them still unwrap until they are rewrapped.
    """
    index_key, signing_raw = open_internal_keys(ks, roots)
    version = max(ks.roots) + 1
    root = bytearray(os.urandom(ROOT_KEY_LEN))
    try:
        wrapper = make_wrapper(version, root)
        new = dataclasses.replace(
            ks, roots={**ks.roots, version: _seal_root(kek, version, root)}, current_root=version,
            index_key=(version, wrapper.wrap(bytes(index_key), INDEX_KEY_AD)),
            signing_key=(version, wrapper.wrap(bytes(signing_raw), SIGNING_KEY_AD)),
            buckets=_rewrap_buckets(ks, roots, wrapper),
        )
        _save(new)
    except BaseException:
        zero(root)
        raise
    finally:
        zero(index_key)
        zero(signing_raw)
    return new, version, root


def _rewrap_buckets(ks: Keystore, roots: dict[int, bytearray], wrapper) -> dict[int, BucketEntry]:
    """Bucket keys move to the new root with the index key: data keys do not change."""
    olds = {v: make_wrapper(v, r) for v, r in roots.items()}
    out = {}
    for b, entry in ks.buckets.items():
        gens = {}
        for g, (v, wrapped) in entry.gens.items():
            try:
                key = open_bucket_key(olds[v], b, g, wrapped)
            except (InvalidTag, ValueError, KeyError):
                raise BadUnseal(f"keystore bucket {b} does not open: the keystore is damaged") from None
            gens[g] = seal_bucket_key(wrapper, b, g, key)
            zero(key)
        out[b] = BucketEntry(current=entry.current, gens=gens)
    return out


def retire(ks: Keystore, version: int) -> Keystore:
    """Drop an old root version for good: anything still wrapped under it becomes unreadable."""
    if version == ks.current_root:
        raise ValueError("refusing to retire the current root version")
    if version not in ks.roots:
        raise ValueError(f"root version {version} does not exist")
    if version in (ks.index_key[0], ks.signing_key[0]):
        raise ValueError(f"root version {version} still wraps the index or signing key")
    if any(v == version for e in ks.buckets.values() for v, _ in e.gens.values()):
        raise ValueError(f"root version {version} still wraps erasure-bucket keys")
    new = dataclasses.replace(ks, roots={v: b for v, b in ks.roots.items() if v != version})
    _save(new)
    return new
