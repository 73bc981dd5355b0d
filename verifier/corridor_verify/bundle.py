"""Verify a Corridor evidence bundle offline: no server, no database, no Django.

    corridor-verify bundle BUNDLE.age --identity KEY.txt [--log-key KEY] [--witness VKEY --require K]
    corridor verify-bundle BUNDLE.age --identity KEY.txt            (same checks)

What is checked, each failure naming the item:

1. The age file opens with the recipient's identity and every age chunk
   authenticates (a changed byte in the .age file names the member being read).
2. `checkpoint.txt` is a C2SP checkpoint signed by the key in `log-key.txt`
   (or by the key given with --log-key, which a court should take from the
   organisation's published copy, not from the bundle itself).
3. `manifest.json` hashes to the value in the "bundle sealed" audit entry, and
   that entry is included in the signed tree (RFC 9162 inclusion proof).
4. Every custody entry listed in the manifest is included in the signed tree, and
   names the file and SHA-256 it is listed under.
5. Every file hashes to the SHA-256 in the manifest and has the listed size; no
   file is missing and nothing unlisted is present. README.txt is hashed too.
6. A file listed as a copy without metadata ("copy": "stripped", what journalists,
   advocacy and the public receive) is linked to its original without the
   original: a custody entry included in the signed tree ("received" for
   pictures stripped on arrival, "stripped" otherwise) records the copy's
   SHA-256 as the working copy of the original's SHA-256, which the other custody
   entries carry.

Uses only the standard library, `pyrage` and `cryptography`: it is the
`corridor-verify` distribution (verifier/), which a court installs on its own.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from corridor_verify import bundle_format as fmt
from corridor_verify import merkle
from corridor_verify.checkpoint import CheckpointError, open_checkpoint, parse_verifier_key
from corridor_verify.cosignature import require_quorum

MAX_METADATA = 256 << 20


@dataclass
class Finding:
    item: str
    ok: bool
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    entries: int = 0
    origin: str = ""
    tree_size: int = 0
    key: str = ""
    pinned: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def add(self, item: str, ok: bool, message: str) -> bool:
        self.findings.append(Finding(item, ok, message))
        return ok


class _Collector:
    """Receives the tar stream: keeps the small metadata members, hashes the files."""

    def __init__(self) -> None:
        self.metadata: dict[str, bytearray] = {}
        self.files: dict[str, tuple[str, int]] = {}
        self.duplicates: list[str] = []
        self.unexpected: list[str] = []
        self._name: str | None = None
        self._sha = None
        self._size = 0
        self._pending = bytearray()

    def start(self, name: str, size: int) -> None:
        if name in self.metadata or name in self.files:
            self.duplicates.append(name)
        self._name = name
        self._size = 0
        if name in fmt.METADATA:
            if size > MAX_METADATA:
                raise ValueError(f"{name} is implausibly large")
            self.metadata[name] = bytearray()
            self._sha = None
        else:
            if not name.startswith(fmt.FILES):
                self.unexpected.append(name)
            self._sha = hashlib.sha256()

    def data(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._sha is None:
            self.metadata[self._name] += piece
        else:
            # age hands over 8 KiB at a time; hashing in 1 MiB batches is faster.
            self._pending += piece
            if len(self._pending) >= 1 << 20:
                self._sha.update(self._pending)
                self._pending.clear()

    def end(self) -> None:
        if self._sha is not None:
            self._sha.update(self._pending)
            self._pending.clear()
            self.files[self._name] = (self._sha.hexdigest(), self._size)
        self._name = None


def read_identities(path: str | Path) -> list:
    """Identities from an age key file (as written by `age-keygen`)."""
    from pyrage import x25519

    identities = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            identities.append(x25519.Identity.from_str(line))
    if not identities:
        raise ValueError(f"no age identity in {path}")
    return identities


def _decrypt(bundle: Path, identities: list, report: Report) -> _Collector | None:
    import pyrage

    collector = _Collector()
    reader = fmt.TarReader(on_start=collector.start, on_data=collector.data, on_end=collector.end)
    try:
        source = open(bundle, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        report.add(str(bundle), False, f"cannot be read: {exc.strerror}")
        return None
    try:
        with source:
            pyrage.decrypt_io(source, reader, identities)
    except (fmt.TarError, ValueError) as exc:
        report.add(reader.current or "tar archive", False, f"the archive is damaged: {exc}")
        return None
    except pyrage.DecryptError as exc:
        if reader.current is None and not collector.metadata:
            report.add("age header", False, f"the bundle cannot be opened with this identity ({exc}): "
                       "wrong key, or the age header was altered")
        else:
            report.add(reader.current or "age payload", False, "decryption failed while reading this "
                       "member: the age file was altered after it was made")
        return None
    except OSError:
        # A payload chunk that does not authenticate surfaces from age's reader as an
        # I/O error; the member being read when it happened is the one named.
        where = reader.current or "age payload"
        report.add(where, False, "decryption failed while reading this member: "
                   "the age file was altered after it was made")
        return None
    if not reader.ended:
        report.add("tar archive", False, "the archive ends early (truncated)")
        return None
    report.add("age file", True, "decrypted; every age chunk authenticates")
    return collector


def _b64_list(values, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise ValueError(f"{what} is not a list")
    return [base64.b64decode(v, validate=True) for v in values]


def _leaf(text: object) -> dict:
    if not isinstance(text, str):
        raise ValueError("leaf is not a string")
    body = json.loads(text)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ValueError("leaf has no data")
    return body


def _included(leaf_text: str, seq: int, proof: list[bytes], size: int, root: bytes) -> bool:
    return merkle.verify_inclusion(merkle.leaf_hash(leaf_text.encode("utf-8")), seq, size, proof, root)


def verify_bundle(bundle: str | Path, identities: list, *, pinned_key: str | None = None,
                  witnesses: list | None = None, quorum: int = 0) -> Report:
    """Check everything listed above; with `witnesses` and `quorum` k, also that at least
    k of those witnesses cosigned the bundle's checkpoint (c2sp.org/tlog-cosignature)."""
    report = Report()
    collector = _decrypt(Path(bundle), identities, report)
    if collector is None:
        return report
    meta = collector.metadata
    for name in fmt.METADATA:
        if name not in meta:
            report.add(name, False, "missing from the bundle")
    for name in collector.duplicates:
        report.add(name, False, "appears twice in the archive")
    for name in collector.unexpected:
        report.add(name, False, "is not part of a Corridor bundle")
    if report.failures:
        return report

    # 2. the signed checkpoint, under the included (or pinned) key
    key_text = pinned_key or bytes(meta[fmt.LOG_KEY]).decode("utf-8", "replace").strip()
    report.pinned = pinned_key is not None
    try:
        name, _, public_key = parse_verifier_key(key_text)
        checkpoint = open_checkpoint(bytes(meta[fmt.CHECKPOINT]), name, public_key, origin=name)
    except (CheckpointError, ValueError, TypeError) as exc:
        report.add(fmt.CHECKPOINT, False, f"the signed checkpoint does not verify: {exc}")
        return report
    report.origin, report.tree_size, report.key = checkpoint.origin, checkpoint.size, key_text
    if pinned_key and bytes(meta[fmt.LOG_KEY]).decode("utf-8", "replace").strip() != pinned_key:
        report.add(fmt.LOG_KEY, False, "the bundle carries a different log key from the one you gave")
    report.add(fmt.CHECKPOINT, True, f"signed by {name}; tree of {checkpoint.size} entries")
    if quorum:
        try:
            found = require_quorum(bytes(meta[fmt.CHECKPOINT]), list(witnesses or []), quorum)
        except CheckpointError as exc:
            report.add("cosignatures", False, str(exc))
        else:
            report.add("cosignatures", True, "cosigned by " + ", ".join(
                f"{c.witness.name} at {c.timestamp}" for c in found))

    # 3. the manifest is sealed by an entry in the signed tree
    manifest_bytes = bytes(meta[fmt.MANIFEST])
    try:
        proofs = json.loads(bytes(meta[fmt.PROOFS]))
        sealed = proofs["manifest_entry"]
        sealed_seq = int(sealed["seq"])
        sealed_leaf = _leaf(sealed["leaf"])
        sealed_proof = _b64_list(sealed["proof"], "proof")
        inclusion = {int(k): _b64_list(v, "proof") for k, v in proofs["inclusion"].items()}
        if int(proofs["tree_size"]) != checkpoint.size:
            raise ValueError("proofs are for another tree size than the checkpoint")
    except (ValueError, KeyError, TypeError) as exc:
        report.add(fmt.PROOFS, False, f"proofs.json is damaged: {exc}")
        return report
    if not _included(sealed["leaf"], sealed_seq, sealed_proof, checkpoint.size, checkpoint.root):
        report.add(fmt.PROOFS, False, f"the inclusion proof of the sealing entry #{sealed_seq} does not verify")
        return report
    if sealed_leaf.get("code") != fmt.BUNDLE_SEALED or sealed_leaf.get("seq") != sealed_seq:
        report.add(fmt.PROOFS, False, f"entry #{sealed_seq} is not a bundle-sealing entry")
        return report
    if sealed_leaf["data"].get("manifest_sha256") != hashlib.sha256(manifest_bytes).hexdigest():
        report.add(fmt.MANIFEST, False, "manifest.json was altered: its SHA-256 is not the one sealed in the log")
        return report
    try:
        manifest = json.loads(manifest_bytes)
        if manifest.get("format") != fmt.FORMAT:
            raise ValueError("unknown format")
        files, custody = manifest["files"], manifest["custody"]
    except (ValueError, KeyError, TypeError) as exc:
        report.add(fmt.MANIFEST, False, f"manifest.json is damaged: {exc}")
        return report
    report.add(fmt.MANIFEST, True, f"sealed by log entry #{sealed_seq}")

    readme_sha = hashlib.sha256(bytes(meta[fmt.README])).hexdigest()
    report.add(fmt.README, readme_sha == manifest.get("readme_sha256"),
               "matches the manifest" if readme_sha == manifest.get("readme_sha256") else "was altered")

    # 4. custody entries: in the tree, and about the file they are listed under
    by_id = {f["id"]: f for f in files}
    verified: set[int] = set()
    for entry in custody:
        seq = entry.get("seq")
        label = f"custody entry #{seq} ({fmt.CUSTODY_NAMES.get(entry.get('code'), '?')} of {entry.get('file')})"
        try:
            leaf = _leaf(entry["leaf"])
            proof = inclusion[int(seq)]
        except (ValueError, KeyError, TypeError):
            report.add(label, False, "has no readable leaf or proof")
            continue
        if not _included(entry["leaf"], int(seq), proof, checkpoint.size, checkpoint.root):
            report.add(label, False, "its inclusion proof does not lead to the signed checkpoint")
            continue
        listed = by_id.get(entry.get("file"))
        data = leaf["data"]
        original_sha = listed.get("original_sha256", listed.get("sha256")) if listed else None
        if listed is None or data.get("file") != listed["id"] or data.get("sha256") != original_sha \
                or leaf.get("seq") != seq or leaf.get("code") not in fmt.CUSTODY_NAMES \
                or leaf.get("code") != entry.get("code"):
            report.add(label, False, "does not describe the file it is listed under")
            continue
        report.entries += 1
        verified.add(int(seq))
        report.add(label, True, "included in the signed log")

    # 5. the files themselves
    listed_paths = set()
    for f in files:
        path = f.get("path", "")
        listed_paths.add(path)
        got = collector.files.get(path)
        if got is None:
            report.add(path or f.get("id", "?"), False, "is listed in the manifest but missing")
        elif got[0] != f.get("sha256") or got[1] != f.get("size"):
            report.add(path, False, "was altered: its SHA-256 differs from the manifest and the custody log")
        elif not any(e.get("file") == f["id"] and e.get("code") == 6020 for e in custody):
            report.add(path, False, "has no \"received\" custody entry")
        elif f.get("copy", "original") == "original":
            if f.get("original_sha256", f["sha256"]) != f["sha256"]:
                report.add(path, False, "is listed as an original but its hash is not the original's")
            else:
                report.files += 1
                report.add(path, True, f"original, SHA-256 {got[0]}")
        elif f.get("copy") == "stripped":
            link = _copy_link(custody, f, verified)
            if link is None:
                report.add(path, False, "is listed as a copy without metadata, but no custody entry in the "
                                        "signed log links its SHA-256 to the original's")
            else:
                report.files += 1
                report.add(path, True, f"copy without metadata, SHA-256 {got[0]}; custody entry #{link} links it "
                                       f"to the original, SHA-256 {f['original_sha256']}")
        else:
            report.add(path, False, "has an unknown kind of copy")
    for path in sorted(set(collector.files) - listed_paths - set(fmt.METADATA)):
        report.add(path, False, "is in the archive but not in the manifest")
    return report


def _copy_link(custody: list, f: dict, verified: set[int]) -> int | None:
    """The seq of a verified custody entry that records this copy's SHA-256 as the
    working copy of the original listed with it, or None."""
    for entry in custody:
        try:
            seq = int(entry.get("seq"))
        except (TypeError, ValueError):
            continue
        if seq not in verified or entry.get("code") not in fmt.COPY_LINKS:
            continue
        data = _leaf(entry["leaf"])["data"]
        if data.get("file") == f["id"] and data.get("sha256") == f.get("original_sha256") \
                and data.get("working_sha256") == f["sha256"]:
            return seq
    return None


def render(report: Report) -> str:
    lines = [f"{'OK  ' if f.ok else 'FAIL'}  {f.item}: {f.message}" for f in report.findings]
    if report.ok:
        lines.append("")
        lines.append(f"VERIFIED: {report.files} files, {report.entries} custody entries, "
                     f"checkpoint {report.origin} size {report.tree_size}.")
        if not report.pinned:
            lines.append("Note: the log key came from the bundle itself. Compare it with the key the "
                         "organisation publishes, or pass it with --log-key:")
            lines.append(f"  {report.key}")
    else:
        lines.append("")
        lines.append(f"NOT VERIFIED: {len(report.failures)} problem(s); the first is {report.failures[0].item}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify-bundle",
        description="Verify a Corridor evidence bundle offline (no server, no database).",
    )
    parser.add_argument("bundle", help="the .age bundle file")
    parser.add_argument("--identity", "-i", required=True, help="age identity file (AGE-SECRET-KEY-1...)")
    parser.add_argument("--log-key", help="the log's verifier key as published by the organisation "
                                          "(origin+keyid+base64); default: the key inside the bundle")
    args = parser.parse_args(argv)
    try:
        identities = read_identities(args.identity)
    except (OSError, ValueError) as exc:
        print(f"verify-bundle: cannot read the identity: {exc}", file=sys.stderr)
        return 2
    report = verify_bundle(args.bundle, identities, pinned_key=args.log_key)
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
