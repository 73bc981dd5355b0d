"""`corridor audit verify`: recompute the whole log and check it against the signed
checkpoints, naming the first entry that was altered, removed or reordered.

No unsigned history is accepted: a log with entries and no checkpoint fails, and
so does a tail after the newest checkpoint that is older or longer than the
stated bound (settings CORRIDOR_AUDIT_UNSIGNED_MAX_SECONDS / _ENTRIES). Signed
heads kept outside the database are compared too: the key agent's pinned head
and any checkpoints given with `--against` (a witness's copy, a court's copy, an
older bundle's checkpoint). Each must be a prefix of this log.

Three independent witnesses are compared for each entry: its columns (re-hashed
here), its stored leaf hash, and the leaf node of the Merkle tree. An editor who
changes a row without fixing all three is named at that row; one who rewrites all
three cannot also forge the Ed25519 signatures over the checkpoints, so the first
checkpoint after the change fails and the report names the range it covers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from corridor.audit import merkle
from corridor.audit.checkpoint import CheckpointError, open_checkpoint
from corridor.audit.models import AuditEntry, AuditHead, AuditNode, Checkpoint, node_key
from corridor.audit.services import canonical_leaf, consistency_proof, inclusion_proof

CHUNK = 5000


@dataclass(frozen=True)
class OutsideHead:
    """A tree head kept outside the database: (size, root) and where it came from."""

    source: str
    size: int
    root: bytes


@dataclass(frozen=True)
class TailBound:
    max_seconds: int
    max_entries: int
    now_us: int


@dataclass
class Problem:
    seq: int | None
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


def _leaf_nodes():
    # Level-0 keys are the leaf indexes themselves (node_key(0, i) == i).
    rows = AuditNode.objects.filter(key__lt=node_key(1, 0)).order_by("key").values_list("key", "hash")
    for index, h in rows.iterator(chunk_size=CHUNK):
        yield index, bytes(h)


def verify_log(
    *, public_key: bytes, origin: str, progress: Callable[[int], None] | None = None,
    max_problems: int = 20, outside: list[OutsideHead] | None = None, tail: TailBound | None = None,
) -> VerifyReport:
    report = VerifyReport()
    outside = list(outside or [])
    wanted: dict[int, list[OutsideHead]] = {}
    for h in outside:
        wanted.setdefault(h.size, []).append(h)
    last_ts_unsigned: int | None = None  # ts of the first entry after the newest checkpoint

    def problem(seq: int | None, message: str) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(Problem(seq, message))

    signed: dict[int, bytes] = {}
    for cp in Checkpoint.objects.order_by("size"):
        try:
            note = open_checkpoint(cp.note, origin, public_key)
        except CheckpointError as exc:
            problem(None, f"checkpoint at size {cp.size} has a bad signature or format: {exc}")
            continue
        if note.size != cp.size or note.root != bytes(cp.root):
            problem(None, f"checkpoint row at size {cp.size} disagrees with its signed note")
        signed[note.size] = note.root
    report.checkpoints = len(signed)

    compact = merkle.CompactRange()
    nodes = _leaf_nodes()
    expected = 0
    last_good_checkpoint = 0
    rows = AuditEntry.objects.order_by("seq").values_list(
        "seq", "ts_us", "code", "actor", "organisation", "object_type", "object_id", "data", "leaf_hash"
    )
    for seq, ts_us, code, actor, org, otype, oid, data, stored in rows.iterator(chunk_size=CHUNK):
        if seq != expected:
            problem(expected, f"entry {expected} is missing (the next entry is {seq})")
            break
        leaf = merkle.leaf_hash(
            canonical_leaf(
                seq=seq, ts_us=ts_us, code=code, actor=actor, organisation=org,
                object_type=otype, object_id=oid, data=data,
            )
        )
        node = next(nodes, None)
        if leaf != bytes(stored):
            problem(seq, f"entry {seq} was altered or moved: its content does not match its leaf hash")
        elif node is None or node[0] != seq or node[1] != leaf:
            problem(seq, f"entry {seq} was altered: the Merkle tree holds a different leaf for it")
        compact.append(leaf)
        expected += 1
        for h in wanted.get(compact.size, ()):
            if h.root != compact.root():
                problem(None, f"{h.source} signed {compact.size} entries with another root: the log "
                              "was rewritten after that checkpoint was made")
        if tail is not None and compact.size > max(signed, default=0) and last_ts_unsigned is None:
            last_ts_unsigned = ts_us
        root = signed.get(compact.size)
        if root is not None:
            if root != compact.root():
                problem(
                    None,
                    f"the signed checkpoint at size {compact.size} does not match the log: an entry "
                    f"between {last_good_checkpoint} and {compact.size - 1} was changed",
                )
            else:
                last_good_checkpoint = compact.size
        if progress and expected % CHUNK == 0:
            progress(CHUNK)
        if len(report.problems) >= max_problems:
            break
    if progress:
        progress(expected % CHUNK)
    report.entries = expected

    head = AuditHead.objects.filter(id=1).first()
    if head and head.size != expected and not report.problems:
        problem(expected, f"the tree head counts {head.size} entries but the log holds {expected}")
    beyond = [size for size in signed if size > expected]
    if beyond:
        problem(expected, f"a signed checkpoint covers {max(beyond)} entries but only {expected} exist: "
                          "entries were removed from the end")
    for h in outside:
        if h.size > expected:
            problem(expected, f"{h.source} signed {h.size} entries but the log holds only {expected}: "
                              "entries were removed")
        elif h.size not in signed and h.size > 0:
            problem(None, f"{h.source} signed a checkpoint at size {h.size} that the database no "
                          "longer holds: checkpoints were deleted")
    if expected and not signed:
        problem(None, f"the log holds {expected} entries and no signed checkpoint: unsigned history "
                      "proves nothing")
    elif tail is not None and expected:
        unsigned = expected - max(signed)
        if unsigned > tail.max_entries:
            problem(max(signed), f"{unsigned} entries after the newest signed checkpoint "
                                 f"(at {max(signed)}) exceed the bound of {tail.max_entries}")
        elif last_ts_unsigned is not None and tail.now_us - last_ts_unsigned > tail.max_seconds * 1_000_000:
            age = (tail.now_us - last_ts_unsigned) // 1_000_000
            problem(max(signed), f"entries after the newest signed checkpoint (at {max(signed)}) have "
                                 f"stayed unsigned for {age} s, longer than the bound of {tail.max_seconds} s")
    if report.ok:
        _check_proofs(signed, compact, problem)
    return report


def _check_proofs(signed: dict[int, bytes], compact: merkle.CompactRange, problem) -> None:
    """Consistency between consecutive checkpoints, and one random inclusion proof,
    both built from the stored node table (which later proofs in bundles rely on)."""
    sizes = sorted(signed)
    for old, new in zip(sizes, sizes[1:], strict=False):
        try:
            proof = consistency_proof(old, new)
        except KeyError:
            problem(None, f"tree nodes needed to prove checkpoint {old} → {new} are missing")
            return
        if not merkle.verify_consistency(old, new, signed[old], signed[new], proof):
            problem(None, f"checkpoints at sizes {old} and {new} are not consistent")
            return
    if sizes:
        size = sizes[-1]
        seq = random.randrange(size)
        entry = AuditEntry.objects.get(seq=seq)
        try:
            proof = inclusion_proof(seq, size)
        except KeyError:
            problem(seq, f"tree nodes needed to prove entry {seq} are missing")
            return
        if not merkle.verify_inclusion(bytes(entry.leaf_hash), seq, size, proof, signed[size]):
            problem(seq, f"entry {seq} has no valid inclusion proof in checkpoint {size}")


def split_notes(text: str) -> list[str]:
    """Signed notes one after another in a file: each is text lines, a blank line,
    then signature lines (which start with an em dash); the next note starts after them."""
    notes, current, in_signatures = [], [], False
    for line in text.splitlines(keepends=True):
        if in_signatures and not line.startswith("\u2014 "):
            notes.append("".join(current))
            current, in_signatures = [], False
        if not in_signatures and line == "\n" and current:
            in_signatures = True
        if line.strip() or current:
            current.append(line)
    if current:
        notes.append("".join(current))
    return [n for n in notes if n.strip()]


def outside_heads(text: str, source: str, *, public_key: bytes, origin: str) -> list[OutsideHead]:
    """The checkpoints in `text` signed by this log's key; CheckpointError if there are none
    or one of them is not ours (a copy that does not verify proves nothing either way)."""
    heads = []
    for note in split_notes(text):
        cp = open_checkpoint(note, origin, public_key, origin=origin)
        heads.append(OutsideHead(source, cp.size, cp.root))
    if not heads:
        raise CheckpointError(f"{source} holds no signed checkpoint")
    return heads
