"""Signed tree heads for the audit log: C2SP checkpoints in C2SP signed notes.

* c2sp.org/tlog-checkpoint: the note text is the origin line, the tree size in
  canonical decimal, the base64 (RFC 4648 §4) RFC 9162 root hash, then optional
  non-empty extension lines, each line ending in "\\n".
* c2sp.org/signed-note: the text, a blank line, then one or more lines
  "— <key name> <base64(key id || signature)>". Ed25519 (signature type 0x01)
  signs the text including its final newline; the key id is
  SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]. Signatures from
  unknown keys are ignored; one from the trusted key must verify.
* golang.org/x/mod/sumdb/note verifier keys: "<name>+<hex key id>+<base64(0x01 || key)>".

The private key never enters this process: signing takes a callable (in
production a request to the key agent), and the result is checked against the
public key before it is published.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ROOT_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 in every other implementation
MAX_SIGNATURES = 100  # the spec requires accepting at least 16
_ED25519_TYPE = b"\x01"
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_CONTROL_CHAR = re.compile(r"[\x00-\x09\x0b-\x1f]")  # below U+0020, except newline
_CANONICAL_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")  # ASCII digits only, unlike int()
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A note or checkpoint is malformed, or lacks a valid signature from the trusted key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Validated here so a malformed checkpoint can neither be signed nor opened:
        # a newline in the origin, say, would let one checkpoint pose as another.
        _check_body_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise TypeError("size must be an int")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is out of range")
        if type(self.root) is not bytes:
            raise TypeError("root must be bytes")
        if len(self.root) != ROOT_SIZE:
            raise CheckpointError(f"root hash must be {ROOT_SIZE} bytes, got {len(self.root)}")
        if not isinstance(self.extensions, tuple):
            raise TypeError("extensions must be a tuple of str")
        for line in self.extensions:
            _check_body_line(line, "extension line")

    def body(self) -> str:
        """The note text: origin, size and root lines, then any extension lines."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    try:
        # validate=True rejects characters outside the standard alphabet, which
        # the default silently skips.
        return base64.b64decode(text, validate=True)
    except ValueError as exc:  # binascii.Error, or non-ASCII text
        raise CheckpointError(f"{what} is not valid base64") from exc


def _check_body_line(line: object, what: str) -> None:
    if not isinstance(line, str):
        raise TypeError(f"{what} must be a str")
    if not line:
        raise CheckpointError(f"{what} is empty")
    if "\n" in line or _CONTROL_CHAR.search(line):
        raise CheckpointError(f"{what} contains a control character")
    _check_utf8(line, what)


def _check_utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise CheckpointError(f"{what} is not valid UTF-8") from exc


def _check_key_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError("key name must be a str")
    if not name:
        raise CheckpointError("key name is empty")
    if "+" in name or any(ch.isspace() for ch in name) or _CONTROL_CHAR.search(name):
        raise CheckpointError(f"key name {name!r} contains a space, plus or control character")
    _check_utf8(name, "key name")


def _ed25519_public_key(public_key: object) -> Ed25519PublicKey:
    if type(public_key) is not bytes:
        raise TypeError("public_key must be bytes")
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise CheckpointError(f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
    return Ed25519PublicKey.from_public_bytes(public_key)


def key_id(key_name: str, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4], per c2sp.org/signed-note."""
    _check_key_name(key_name)
    _ed25519_public_key(public_key)
    material = key_name.encode("utf-8") + b"\n" + _ED25519_TYPE + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: bytes) -> str:
    """The sumdb/note verifier key string that names this key to other tools."""
    return f"{name}+{key_id(name, public_key).hex()}+{_b64(_ED25519_TYPE + public_key)}"


def parse_verifier_key(text: str) -> tuple[str, bytes, bytes]:
    """Split a verifier key into (name, key id, 32-byte public key), checking the id."""
    if not isinstance(text, str):
        raise TypeError("verifier key must be a str")
    # Split twice only: the base64 key may itself contain "+".
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("verifier key must be <name>+<key id>+<key>")
    name, id_hex, encoded = parts
    _check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise CheckpointError("verifier key id must be 8 lowercase hex digits")
    material = _b64decode(encoded, "verifier key")
    if len(material) != 1 + PUBLIC_KEY_SIZE or material[:1] != _ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 key")
    public_key = material[1:]
    stated_id = bytes.fromhex(id_hex)
    if key_id(name, public_key) != stated_id:
        raise CheckpointError("verifier key id does not match its name and key")
    return name, stated_id, public_key


def sign_note(text: str, key_name: str, sign: Callable[[bytes], bytes], public_key: bytes) -> str:
    """Return `text` as a signed note with one Ed25519 signature line.

    `sign` returns a 64-byte Ed25519 signature over the bytes it is given; the
    signature is verified with `public_key` before use, so a misconfigured key
    agent cannot publish a note that nobody can verify.
    """
    if not isinstance(text, str):
        raise TypeError("note text must be a str")
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline")
    if _CONTROL_CHAR.search(text):
        raise CheckpointError("note text contains a control character")
    message = _check_utf8(text, "note text")
    verifier = _ed25519_public_key(public_key)
    signer_id = key_id(key_name, public_key)
    signature = sign(message)
    if type(signature) is not bytes or len(signature) != SIGNATURE_SIZE:
        raise CheckpointError("signer did not return a 64-byte Ed25519 signature")
    try:
        verifier.verify(signature, message)
    except InvalidSignature as exc:
        raise CheckpointError("signer's signature does not verify under the public key") from exc
    encoded = _b64(signer_id + signature)
    return f"{text}\n{_SIGNATURE_PREFIX}{key_name} {encoded}\n"


def sign_checkpoint(
    cp: Checkpoint, key_name: str, sign: Callable[[bytes], bytes], public_key: bytes
) -> str:
    """The checkpoint as a signed note, signed once by `key_name`."""
    return sign_note(cp.body(), key_name, sign, public_key)


def _decode_note(note: str | bytes) -> str:
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    elif isinstance(note, str):
        _check_utf8(note, "note")
    else:
        raise TypeError("note must be str or bytes")
    if _CONTROL_CHAR.search(note):
        raise CheckpointError("note contains a control character other than newline")
    return note


def _split_note(note: str) -> tuple[str, list[str]]:
    """(text, signature lines): the text ends at the note's last blank line."""
    if not note.endswith("\n"):
        raise CheckpointError("note does not end with a newline")
    separator = note.rfind("\n\n")
    if separator < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, block = note[: separator + 1], note[separator + 2 :]
    if not block:
        raise CheckpointError("note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    """(key name, key id || signature) from "— <name> <base64>"."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise CheckpointError("malformed signature line: it must start with an em dash and space")
    name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise CheckpointError("malformed signature line: no signature after the key name")
    _check_key_name(name)
    raw = _b64decode(encoded, "signature")
    if len(raw) <= KEY_ID_SIZE:
        raise CheckpointError("malformed signature line: signature too short")
    return name, raw


def open_note(note: str | bytes, key_name: str, public_key: bytes) -> str:
    """Return the note text once a signature by the trusted key has verified.

    Lines from other keys are ignored, as the spec requires (witness cosignatures,
    key rotation). A line that names the trusted key and id but does not verify
    rejects the whole note.
    """
    text, lines = _split_note(_decode_note(note))
    signatures = [_parse_signature_line(line) for line in lines]
    verifier = _ed25519_public_key(public_key)
    trusted_id = key_id(key_name, public_key)
    message = text.encode("utf-8")
    verified = False
    for name, raw in signatures:
        if name != key_name or raw[:KEY_ID_SIZE] != trusted_id:
            continue
        signature = raw[KEY_ID_SIZE:]
        if len(signature) != SIGNATURE_SIZE:
            raise CheckpointError(f"signature by {key_name} is not an Ed25519 signature")
        try:
            verifier.verify(signature, message)
        except InvalidSignature as exc:
            raise CheckpointError(f"signature by {key_name} does not verify") from exc
        verified = True
    if not verified:
        raise CheckpointError(f"note has no signature by {key_name}+{trusted_id.hex()}")
    return text


def _parse_tree_size(line: str) -> int:
    if not _CANONICAL_DECIMAL.fullmatch(line):
        raise CheckpointError(f"tree size {line!r} is not a canonical decimal number")
    return int(line)


def _parse_root(line: str) -> bytes:
    root = _b64decode(line, "root hash")
    # One hash, one spelling: reject padding bits or forms that re-encode differently.
    if _b64(root) != line:
        raise CheckpointError("root hash is not canonical base64")
    if len(root) != ROOT_SIZE:
        raise CheckpointError(f"root hash must be {ROOT_SIZE} bytes, got {len(root)}")
    return root


def _parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")[:-1]  # the text always ends with a newline
    if len(lines) < 3:
        raise CheckpointError("checkpoint needs origin, tree size and root hash lines")
    origin, size_line, root_line, *extensions = lines
    return Checkpoint(origin, _parse_tree_size(size_line), _parse_root(root_line), tuple(extensions))


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse an unsigned checkpoint body (what the log key signs); CheckpointError on any defect."""
    if not isinstance(text, str):
        raise TypeError("checkpoint text must be a str")
    if not text.endswith("\n") or _CONTROL_CHAR.search(text) or "\n\n" in text:
        raise CheckpointError("checkpoint text must be lines ending in a newline, with no blank line")
    _check_utf8(text, "checkpoint text")
    return _parse_checkpoint_text(text)


def open_checkpoint(
    note_text: str | bytes, key_name: str, public_key: bytes, *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and return it; CheckpointError on any defect.

    Pass `origin` to also require the log's origin line; otherwise compare
    `.origin` yourself, since a key may sign for several logs.
    """
    checkpoint = _parse_checkpoint_text(open_note(note_text, key_name, public_key))
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for origin {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
