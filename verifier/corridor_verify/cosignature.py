"""Witness cosignatures, c2sp.org/tlog-cosignature (Ed25519, cosignature/v1).

A cosignature is a signed-note line "— <witness name> base64(key id || timestamp || signature)":

* key id = SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4];
* timestamp = u64 big-endian POSIX seconds, never zero;
* signature = Ed25519 over "cosignature/v1\\n" "time <timestamp>\\n" || the checkpoint body.

Verifier keys use the vkey form "<name>+<hex key id>+base64(0x04 || key)". The spec
recommends ML-DSA-44 for new deployments; Ed25519 is used here because it is the
algorithm `cryptography` offers on every supported platform, and the note format
lets a witness add an ML-DSA line later without breaking old verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .checkpoint import (
    _KEY_ID_HEX,
    KEY_ID_SIZE,
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    CheckpointError,
    _b64decode,
    _check_key_name,
    _decode_note,
    _parse_signature_line,
    _split_note,
)

COSIGNATURE_TYPE = b"\x04"
_HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True)
class Witness:
    name: str
    key_id: bytes
    public_key: bytes

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(COSIGNATURE_TYPE + self.public_key).decode()}"


@dataclass(frozen=True)
class Cosignature:
    witness: Witness
    timestamp: int


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    _check_key_name(name)
    if type(public_key) is not bytes or len(public_key) != PUBLIC_KEY_SIZE:
        raise CheckpointError("a cosigner key is a 32-byte Ed25519 public key")
    return hashlib.sha256(name.encode("utf-8") + b"\n" + COSIGNATURE_TYPE + public_key).digest()[:KEY_ID_SIZE]


def witness(name: str, public_key: bytes) -> Witness:
    return Witness(name, cosigner_key_id(name, public_key), public_key)


def parse_witness_key(text: str) -> Witness:
    """A witness's vkey "<name>+<key id>+<base64(0x04 || key)>", its id checked."""
    if not isinstance(text, str):
        raise TypeError("witness key must be a str")
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _KEY_ID_HEX.fullmatch(parts[1]):
        raise CheckpointError("witness key must be <name>+<8 hex key id>+<base64 key>")
    name, id_hex, encoded = parts
    material = _b64decode(encoded, "witness key")
    if len(material) != 1 + PUBLIC_KEY_SIZE or material[:1] != COSIGNATURE_TYPE:
        raise CheckpointError("witness key is not an Ed25519 cosigner key (type 0x04)")
    w = witness(name, material[1:])
    if w.key_id != bytes.fromhex(id_hex):
        raise CheckpointError("witness key id does not match its name and key")
    return w


def signed_message(body: str, timestamp: int) -> bytes:
    return (_HEADER + f"time {timestamp}\n" + body).encode("utf-8")


def cosign(body: str, name: str, public_key: bytes, sign: Callable[[bytes], bytes],
           timestamp: int | None = None) -> str:
    """The cosignature line (with its newline) for a checkpoint body."""
    ts = int(time.time()) if timestamp is None else timestamp
    if not 0 < ts <= MAX_TIMESTAMP:
        raise CheckpointError("cosignature timestamp out of range")
    signature = sign(signed_message(body, ts))
    if len(signature) != SIGNATURE_SIZE:
        raise CheckpointError("signer did not return an Ed25519 signature")
    raw = cosigner_key_id(name, public_key) + ts.to_bytes(8, "big") + signature
    return f"\u2014 {name} {base64.b64encode(raw).decode()}\n"


def verify_cosignatures(note: str | bytes, witnesses: Iterable[Witness], *,
                        now: int | None = None) -> list[Cosignature]:
    """The valid cosignatures in `note` from the known `witnesses` (others are ignored).

    A line that names a known witness and its key id but does not verify is an error,
    as in c2sp.org/signed-note; so is a timestamp in the future (more than a minute).
    """
    text, lines = _split_note(_decode_note(note))
    known = {(w.name, w.key_id): w for w in witnesses}
    limit = (int(time.time()) if now is None else now) + 60
    found: dict[str, Cosignature] = {}
    for line in lines:
        name, raw = _parse_signature_line(line)
        w = known.get((name, raw[:KEY_ID_SIZE]))
        if w is None:
            continue
        if len(raw) != KEY_ID_SIZE + 8 + SIGNATURE_SIZE:
            raise CheckpointError(f"cosignature by {name} has the wrong length")
        ts = int.from_bytes(raw[KEY_ID_SIZE:KEY_ID_SIZE + 8], "big")
        if not 0 < ts <= MAX_TIMESTAMP or ts > limit:
            raise CheckpointError(f"cosignature by {name} has an impossible timestamp {ts}")
        try:
            Ed25519PublicKey.from_public_bytes(w.public_key).verify(raw[KEY_ID_SIZE + 8:], signed_message(text, ts))
        except InvalidSignature:
            raise CheckpointError(f"cosignature by {name} does not verify") from None
        found[w.name] = Cosignature(w, ts)
    return list(found.values())


def require_quorum(note: str | bytes, witnesses: list[Witness], k: int) -> list[Cosignature]:
    """At least `k` distinct known witnesses cosigned; CheckpointError otherwise."""
    found = verify_cosignatures(note, witnesses)
    if len(found) < k:
        names = ", ".join(c.witness.name for c in found) or "none"
        raise CheckpointError(f"{len(found)} of the {len(witnesses)} known witnesses cosigned "
                              f"this checkpoint ({names}); {k} are required")
    return found
