"""The case-transfer package: format, building and checking (docs/transfer.md).

A package is the evidence bundle's construction applied to one case:

    age( tar( manifest.json, parts/<part>.json ..., proofs.json, checkpoint.txt, log-key.txt ) )

* age (X25519 recipient of the partner, via pyrage) gives confidentiality and
  integrity: any byte changed in the ciphertext fails its Poly1305 tags, and only
  the holder of the partner's identity can open it.
* Authenticity comes from the sender's audit log, not from a second signature
  scheme: the SHA-256 of manifest.json is written into a "transfer sealed" entry
  (code 4114) whose leaf names the transfer and the recipient's age key; a
  checkpoint signed by the sender's log key (Ed25519, held by keyd, which signs
  nothing but tree heads) covers that entry, and proofs.json carries its RFC 9162
  inclusion proof. The receiver verifies the checkpoint against the log key it
  recorded for the partner, never against the one inside the package.
* manifest.json lists every part with its SHA-256; parts outside the list or
  with another hash are refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import pyrage
from django.utils.translation import gettext as _
from pyrage import x25519

from corridor.audit import merkle
from corridor.audit.checkpoint import CheckpointError, open_checkpoint, parse_verifier_key
from corridor.evidence import bundle_format as tar

FORMAT = "corridor-case-transfer/1"
ROOT = "corridor-transfer/"
MANIFEST = ROOT + "manifest.json"
PROOFS = ROOT + "proofs.json"
CHECKPOINT = ROOT + "checkpoint.txt"
LOG_KEY = ROOT + "log-key.txt"
PARTS_DIR = ROOT + "parts/"
PARTS = ("identity", "documents", "services", "testimonies")
TRANSFER_SEALED = 4114
MAX_PACKAGE = 64 << 20


class TransferRefused(ValueError):
    """The package is not accepted; the message says why, in the user's language."""


def part_path(name: str) -> str:
    return f"{PARTS_DIR}{name}.json"


def dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def seal(members: list[tuple[str, bytes]], recipient: str, mtime: int) -> bytes:
    """The tar of `members`, age-encrypted to `recipient`."""
    chunks, offset = [], 0
    for name, data in members:
        pad = tar.tar_padding(len(data))
        chunks += [tar.tar_header(name, len(data), mtime), data, pad]
        offset += tar.BLOCK + len(data) + len(pad)
    chunks.append(tar.tar_end(offset))
    return pyrage.encrypt(b"".join(chunks), [x25519.Recipient.from_str(recipient)])


def proofs_json(*, tree_size: int, seq: int, leaf: bytes, proof: list[bytes]) -> bytes:
    return dumps({"tree_size": tree_size, "manifest_entry": {
        "seq": seq, "leaf": leaf.decode("ascii"), "proof": [base64.b64encode(h).decode() for h in proof]}})


@dataclass
class Opened:
    manifest: dict
    manifest_sha256: str
    parts: dict[str, object]
    log_key: str
    seq: int


def _members(plaintext: bytes) -> dict[str, bytes]:
    found: dict[str, bytearray] = {}
    current: list[str] = []

    def start(name: str, size: int) -> None:
        if name in found:
            raise tar.TarError(f"{name} appears twice")
        found[name] = bytearray()
        current[:] = [name]

    reader = tar.TarReader(on_start=start, on_data=lambda data: found[current[0]].extend(data),
                           on_end=lambda: None)
    reader.write(plaintext)
    if not reader.ended:
        raise tar.TarError("the archive ends early")
    return {name: bytes(data) for name, data in found.items()}


def open_package(data: bytes, *, identity: str) -> tuple[dict[str, bytes], str]:
    """Decrypt and unpack; returns the members and the log key the package names."""
    if len(data) > MAX_PACKAGE:
        raise TransferRefused(_("The package is larger than any case transfer can be."))
    try:
        plaintext = pyrage.decrypt(data, [x25519.Identity.from_str(identity)])
    except Exception:
        raise TransferRefused(_("The package does not open with this organisation's key: it was made for "
                                "another recipient, or it was altered or damaged.")) from None
    try:
        members = _members(plaintext)
    except tar.TarError:
        raise TransferRefused(_("The package opens but its contents are damaged.")) from None
    for name in (MANIFEST, PROOFS, CHECKPOINT, LOG_KEY):
        if name not in members:
            raise TransferRefused(_("The package is incomplete: %(name)s is missing.") % {"name": name})
    return members, members[LOG_KEY].decode("utf-8", "replace").strip()


def verify(members: dict[str, bytes], *, log_key: str, recipient: str) -> Opened:
    """Check the package against the sender's recorded log key and our own recipient."""
    try:
        name, _id, public_key = parse_verifier_key(log_key)
        checkpoint = open_checkpoint(members[CHECKPOINT], name, public_key, origin=name)
    except (CheckpointError, ValueError, TypeError):
        raise TransferRefused(_("The package's signature does not verify with the log key recorded for this "
                                "partner.")) from None
    manifest_bytes = members[MANIFEST]
    manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
    try:
        proofs = json.loads(members[PROOFS])
        entry = proofs["manifest_entry"]
        seq, leaf_text = int(entry["seq"]), entry["leaf"]
        proof = [base64.b64decode(h, validate=True) for h in entry["proof"]]
        leaf = json.loads(leaf_text)
        if int(proofs["tree_size"]) != checkpoint.size or not isinstance(leaf.get("data"), dict):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise TransferRefused(_("The package's proofs are damaged.")) from None
    if not merkle.verify_inclusion(merkle.leaf_hash(leaf_text.encode("ascii")), seq, checkpoint.size, proof,
                                   checkpoint.root):
        raise TransferRefused(_("The package's sealing entry is not in the partner's signed log."))
    try:
        manifest = json.loads(manifest_bytes)
        if manifest.get("format") != FORMAT:
            raise ValueError
        listed = manifest["parts"]
        transfer_id = str(manifest["transfer"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TransferRefused(_("The package's manifest is damaged.")) from None
    if leaf.get("code") != TRANSFER_SEALED or leaf.get("seq") != seq or leaf.get("id") != transfer_id \
            or leaf["data"].get("manifest_sha256") != manifest_sha:
        raise TransferRefused(_("The package was altered: its manifest is not the one sealed in the partner's log."))
    if leaf["data"].get("recipient") != recipient or manifest.get("recipient", {}).get("age") != recipient:
        raise TransferRefused(_("This package was made for another recipient."))
    parts: dict[str, object] = {}
    expected = {part_path(p) for p in listed}
    extra = set(members) - {MANIFEST, PROOFS, CHECKPOINT, LOG_KEY} - expected
    if extra or not set(listed) <= set(PARTS):
        raise TransferRefused(_("The package holds parts its manifest does not list."))
    for part, meta in listed.items():
        body = members.get(part_path(part))
        if body is None or hashlib.sha256(body).hexdigest() != meta.get("sha256"):
            raise TransferRefused(_("The package was altered: the part “%(part)s” does not match its hash.")
                                  % {"part": part})
        parts[part] = json.loads(body)
    return Opened(manifest=manifest, manifest_sha256=manifest_sha, parts=parts, log_key=log_key, seq=seq)
