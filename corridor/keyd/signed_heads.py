"""What keyd has signed: the last tree head per log origin, kept outside the database.

Threat: an attacker with write access to the database rewrites the audit log
(rows, leaf hashes, tree nodes, head) and deletes the checkpoints, then asks
keyd to sign the forged tree. The only memory of what was signed must therefore
live here, out of the database's reach:

- keyd signs a checkpoint only if it extends the head it signed last, shown by
  an RFC 9162 consistency proof; a smaller tree, another root at the same size
  or a missing/invalid proof is refused. Nothing else is ever signed with the
  log key, so the check cannot be bypassed by asking for a raw signature.
- The head is written (atomically, fsync'd) *before* the signature leaves keyd,
  so keyd never hands out a checkpoint it would not remember after a crash.
- The file is authenticated with HMAC-SHA256 under HKDF-SHA256(root key,
  info=HEADS_MAC_INFO) of the root version named in the file (see
  docs/threat-model.md for why a MAC and not an AEAD). Editing it is detected.
- A missing or unauthenticated file is never replaced silently: signing is
  refused until an administrator resets the head with a written reason
  (`reset_head`, journaled by keyd and audited by Corridor).
- Within one keyd process the file's bytes are remembered; a file swapped for
  another (an older copy, say) while keyd runs, seals or unseals is refused.
- A caller may present the newest checkpoint it holds; if it carries keyd's own
  signature and is beyond the remembered head, the file was rolled back.

What this cannot catch alone: an attacker who restores an older state file
while keyd is stopped *and* deletes every later checkpoint from the database.
Witnesses (other organisations' copies of the signed head) catch that.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from corridor.audit import merkle
from corridor.audit.checkpoint import CheckpointError, open_checkpoint, parse_checkpoint_body

from .errors import KeydError
from .wrapping import hkdf32

FORMAT = 1
HEADS_MAC_INFO = b"corridor/keyd/v1/signed-heads-mac"
_MAC_PREFIX = b"corridor/keyd/v1/signed-heads\x00"
MAX_PROOF = 128  # a uint64 tree needs at most 2*64 hashes
MAX_REFUSALS_KEPT = 20

# The state's condition, shown by `status`.
OK = "ok"
MISSING = "missing"  # no file: nothing will be signed until an administrator resets
INVALID = "invalid"  # the file fails authentication or does not parse
REPLACED = "replaced"  # the file changed under a running keyd
UNLOADED = "unloaded"  # keyd has not been unsealed yet


class HeadRefused(KeydError):
    """keyd refused to sign: the tree does not extend the head it signed last."""

    code = "head_refused"

    def __init__(self, message: str = "") -> None:
        super().__init__(type(self).code, message)


@dataclass(frozen=True)
class Head:
    size: int
    root: bytes


def state_path(keystore_path: str) -> str:
    """The state file lives beside the keystore, owned by the same user."""
    return os.fspath(keystore_path) + ".signed-heads"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _mac(key: bytes, body: dict[str, Any]) -> bytes:
    h = crypto_hmac.HMAC(key, hashes.SHA256())
    h.update(_MAC_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return h.finalize()


def _write_atomic(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".signed-heads-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    finally:
        if fd >= 0:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)


# A callable that returns (root version, HKDF-derived MAC key) for writing, and
# one that gives the MAC key of a named root version for reading (KeyError if gone).
CurrentKey = Callable[[], tuple[int, bytes]]
KeyFor = Callable[[int], bytes]


def mac_key(root_key: bytes | bytearray) -> bytes:
    return hkdf32(root_key, HEADS_MAC_INFO)


class SignedHeads:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._heads: dict[str, Head] = {}
        self._file_bytes: bytes | None = None  # what this process last read or wrote
        self._counter = 0
        self._reset: dict[str, str] | None = None
        self.condition = UNLOADED
        self.problem = ""
        self.refusals: list[dict[str, Any]] = []
        self.refused_total = 0

    # ------------------------------------------------------------ reading

    def _read(self) -> bytes | None:
        try:
            with open(self.path, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def _parse(self, data: bytes, key_for: KeyFor) -> tuple[dict[str, Head], int, dict[str, str] | None]:
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ValueError("unknown format")
            stated = base64.b64decode(doc.pop("mac"), validate=True)
            version = doc["root_version"]
            if not isinstance(version, int) or isinstance(version, bool):
                raise ValueError("bad root version")
            try:
                key = key_for(version)
            except KeyError:
                raise ValueError(f"it is authenticated under root version {version}, which keyd no longer holds") from None
            h = crypto_hmac.HMAC(key, hashes.SHA256())
            h.update(_MAC_PREFIX + json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8"))
            try:
                h.verify(stated)
            except InvalidSignature:
                raise ValueError("its authentication code does not verify: it was edited") from None
            heads = {}
            for origin, item in doc["heads"].items():
                root = base64.b64decode(item["root"], validate=True)
                size = item["size"]
                if not isinstance(size, int) or size < 0 or len(root) != merkle.HASH_SIZE:
                    raise ValueError("a head is malformed")
                heads[origin] = Head(size, root)
            return heads, int(doc["counter"]), doc.get("reset")
        except (KeyError, TypeError, AttributeError, binascii.Error, json.JSONDecodeError) as exc:
            raise ValueError(f"it does not parse ({exc.__class__.__name__})") from None

    def load(self, key_for: KeyFor) -> None:
        """At unseal: adopt the file, or record loudly why it cannot be trusted."""
        with self._lock:
            data = self._read()
            if data is None:
                self.condition, self.problem = MISSING, "the signed-head state file is missing"
                return
            if self._file_bytes is not None and data != self._file_bytes:
                self.condition = REPLACED
                self.problem = "the signed-head state file was replaced while keyd was running"
                return
            try:
                self._heads, self._counter, self._reset = self._parse(data, key_for)
            except ValueError as exc:
                self.condition, self.problem = INVALID, f"the signed-head state file cannot be trusted: {exc}"
                return
            self._file_bytes = data
            self.condition, self.problem = OK, ""

    # ------------------------------------------------------------ writing

    def _write(self, heads: dict[str, Head], current_key: CurrentKey, reset: dict[str, str] | None) -> None:
        version, key = current_key()
        body = {
            "format": FORMAT, "root_version": version, "counter": self._counter + 1, "written": _now(),
            "heads": {o: {"size": h.size, "root": _b64(h.root)} for o, h in sorted(heads.items())},
            "reset": reset,
        }
        data = json.dumps({**body, "mac": _b64(_mac(key, body))}, sort_keys=True, indent=1).encode("utf-8")
        _write_atomic(self.path, data)
        self._heads, self._counter, self._reset, self._file_bytes = dict(heads), self._counter + 1, reset, data

    def rekey(self, current_key: CurrentKey) -> None:
        """After a root rotation: re-authenticate under the new root, so retiring the old one is safe."""
        with self._lock:
            if self.condition == OK:
                self._write(self._heads, current_key, self._reset)

    def reset(self, origin: str, reason: str, current_key: CurrentKey) -> None:
        """An administrator's explicit act: forget the head for `origin` (the next
        checkpoint is trusted as the first) and start a new, authenticated file."""
        with self._lock:
            heads = dict(self._heads) if self.condition == OK else {}
            heads[origin] = Head(0, merkle.EMPTY_ROOT)
            self._write(heads, current_key, {"at": _now(), "origin": origin, "reason": reason,
                                             "previous_condition": self.condition})
            self.condition, self.problem = OK, ""

    # ------------------------------------------------------------ signing

    def _refuse(self, origin: str, size: int, reason: str) -> HeadRefused:
        self.refused_total += 1
        self.refusals.append({"at": _now(), "origin": origin, "size": size, "reason": reason})
        del self.refusals[:-MAX_REFUSALS_KEPT]
        return HeadRefused(reason)

    def sign_checkpoint(
        self, message: bytes, proof: Sequence[bytes], *, origin: str, public_key: bytes,
        latest: str | None, sign: Callable[[bytes], bytes], current_key: CurrentKey,
    ) -> tuple[bytes, int]:
        """Check, remember, then sign. Returns (signature, state counter)."""
        try:
            cp = parse_checkpoint_body(message.decode("utf-8"))
        except (UnicodeDecodeError, CheckpointError) as exc:
            raise HeadRefused(f"keyd signs only checkpoints of its log: {exc}") from None
        if cp.origin != origin:
            raise HeadRefused(f"keyd signs only checkpoints for {origin!r}")
        with self._lock:
            if self.condition == OK and self._read() != self._file_bytes:
                self.condition = REPLACED
                self.problem = "the signed-head state file was replaced or removed while keyd was running"
            if self.condition != OK:
                raise self._refuse(origin, cp.size, f"{self.problem}; an administrator must run "
                                   "`corridor audit reset-head --reason ...` after checking the log")
            head = self._heads.get(origin)
            if head is None:
                raise self._refuse(origin, cp.size, f"no signed head is on record for {origin!r}; an "
                                   "administrator must run `corridor audit reset-head --reason ...`")
            if latest:
                try:
                    shown = open_checkpoint(latest, origin, public_key, origin=origin)
                except (CheckpointError, TypeError):
                    shown = None  # not ours: the caller's problem, audit verify reports it
                if shown is not None and (shown.size > head.size or (
                        shown.size == head.size and shown.root != head.root)):
                    raise self._refuse(origin, cp.size, (
                        f"keyd signed a checkpoint at size {shown.size} that its state file does not "
                        f"remember (state at {head.size}): the state file was rolled back"))
            self._check_extends(head, cp.size, cp.root, proof, origin)
            self._write({**self._heads, origin: Head(cp.size, cp.root)}, current_key, self._reset)
            signature = sign(message)
            return signature, self._counter

    def _check_extends(self, head: Head, size: int, root: bytes, proof: Sequence[bytes], origin: str) -> None:
        if size < head.size:
            raise self._refuse(origin, size, f"refused a tree of {size} entries: keyd already signed "
                               f"{head.size} (entries were removed)")
        if size == head.size:
            if root != head.root:
                raise self._refuse(origin, size, f"refused a different root at size {size}: the log was "
                                   "rewritten after keyd signed it")
            return
        if head.size == 0:
            return  # the first head after a reset: nothing to be consistent with
        if not proof:
            raise self._refuse(origin, size, f"refused a tree of {size} entries with no consistency "
                               f"proof from the signed head at {head.size}")
        if len(proof) > MAX_PROOF or not merkle.verify_consistency(head.size, size, head.root, root, list(proof)):
            raise self._refuse(origin, size, f"refused a tree of {size} entries: it is not consistent "
                               f"with the head keyd signed at {head.size} (the log was rewritten)")

    # ------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "condition": self.condition, "problem": self.problem, "counter": self._counter,
                "heads": {o: {"size": h.size, "root": _b64(h.root)} for o, h in self._heads.items()},
                "reset": self._reset, "refused_total": self.refused_total,
                "refusals": list(self.refusals),
            }
