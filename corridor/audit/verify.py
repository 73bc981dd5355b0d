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

import hashlib
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from corridor.audit import merkle
from corridor.audit.checkpoint import CheckpointError, open_checkpoint
from corridor.audit.models import AuditEntry, AuditHead, AuditNode, Checkpoint, node_key
from corridor.audit.services import consistency_proof, inclusion_proof


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
    newest_checkpoint: OutsideHead | None = None  # the newest signed head the entries reached
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


# Entries read per query; a whole aligned block is one perfect subtree, hashed level by level.
BLOCK_LEVEL = 13

_sha256 = hashlib.sha256
_NODE = b"\x01"
_LEAF = b"\x00"


class _Peaks:
    """The compact range of the tree being rebuilt, as (level, hash) peaks largest first.
    `push` adds a perfect subtree at `level`; the size must be a multiple of 2**level,
    which holds for single leaves and for the aligned blocks the loop hashes at once."""

    __slots__ = ("size", "peaks")

    def __init__(self, size: int = 0, peaks: list[tuple[int, bytes]] | None = None) -> None:
        self.size = size
        self.peaks = peaks or []

    def push(self, level: int, node: bytes) -> None:
        peaks = self.peaks
        while peaks and peaks[-1][0] == level:
            node = _sha256(_NODE + peaks.pop()[1] + node).digest()
            level += 1
        peaks.append((level, node))

    def root(self) -> bytes:
        if not self.peaks:
            return merkle.EMPTY_ROOT
        node = self.peaks[-1][1]
        for _, left in reversed(self.peaks[:-1]):
            node = _sha256(_NODE + left + node).digest()
        return node


def _subtree_root(hashes: list[bytes]) -> bytes:
    """MTH of a power-of-two run of leaf hashes, one level at a time."""
    while len(hashes) > 1:
        hashes = [_sha256(_NODE + a + b).digest() for a, b in zip(hashes[0::2], hashes[1::2], strict=True)]
    return hashes[0]


def _peaks_at(size: int) -> list[tuple[int, bytes]]:
    """The compact range at `size` from the stored node table (largest subtree first)."""
    wanted, offset = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            wanted.append((level, node_key(level, offset >> level)))
            offset += 1 << level
    stored = dict(AuditNode.objects.filter(key__in=[k for _, k in wanted]).values_list("key", "hash"))
    if len(stored) != len(wanted):
        raise KeyError("tree nodes missing")
    return [(level, bytes(stored[key])) for level, key in wanted]


def _columns_disagree(since: int, limit: int) -> list[int]:
    """Entries whose indexed columns (seq, time, code, actor, organisation, object) do not
    say what their hashed leaf says, found by the database's own JSON functions in one scan.
    The leaf is what is signed and shown; the columns are copies for searching, so a
    change to them alone would hide an entry from a custody query without breaking a hash."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT seq FROM (SELECT seq, ts_us, code, actor, organisation, object_type, object_id, "
            "convert_from(leaf, 'UTF8')::jsonb AS j FROM audit_auditentry WHERE seq >= %s) s "
            "WHERE NOT ((j->>'seq')::bigint = seq AND (j->>'ts')::bigint = ts_us AND (j->>'code')::bigint = code "
            "AND j->>'actor' = actor AND j->>'org' = organisation AND j->>'type' = object_type "
            "AND j->>'id' = object_id AND jsonb_typeof(j->'data') = 'object') "
            "ORDER BY seq LIMIT %s"
        )
    else:
        sql = (
            "SELECT seq FROM (SELECT seq, ts_us, code, actor, organisation, object_type, object_id, "
            "CAST(leaf AS TEXT) AS j FROM audit_auditentry WHERE seq >= %s) "
            "WHERE NOT (json_valid(j) AND json_extract(j, '$.seq') = seq AND json_extract(j, '$.ts') = ts_us "
            "AND json_extract(j, '$.code') = code AND json_extract(j, '$.actor') = actor "
            "AND json_extract(j, '$.org') = organisation AND json_extract(j, '$.type') = object_type "
            "AND json_extract(j, '$.id') = object_id AND json_type(j, '$.data') = 'object') "
            "ORDER BY seq LIMIT %s"
        )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [since, limit])
            return [row[0] for row in cursor.fetchall()]
    except DatabaseError:
        # A leaf that is not JSON at all makes PostgreSQL's cast fail for the whole scan:
        # find it the slow way.
        bad = []
        for seq, leaf in AuditEntry.objects.filter(seq__gte=since).values_list("seq", "leaf").iterator(chunk_size=2000):
            try:
                json.loads(bytes(leaf))
            except ValueError:
                bad.append(seq)
                if len(bad) >= limit:
                    break
        return bad


class _ColumnCheck:
    """`_columns_disagree` on the other core while this thread hashes: the database's JSON
    scan releases the GIL. Inside a transaction (a test, a caller's atomic block) another
    connection would not see the rows, so it runs in line, after the hashing."""

    def __init__(self, since: int, limit: int) -> None:
        self.since, self.limit, self.found, self.error = since, limit, None, None
        self.thread = None
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name="audit-verify-columns", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            self.found = _columns_disagree(self.since, self.limit)
        except Exception as exc:  # noqa: BLE001 -- re-raised in the caller's thread
            self.error = exc
        finally:
            connection.close()

    def result(self) -> list[int]:
        if self.thread is None:
            return _columns_disagree(self.since, self.limit)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.found or []


def _blocks(since: int):
    """(seq, leaf, stored leaf hash, leaf node hash) in aligned blocks, one range query each;
    (seq, None) for the first entry after a run of missing blocks."""
    sql = ("SELECT e.seq, e.leaf, e.leaf_hash, n.hash FROM audit_auditentry e "
           "LEFT JOIN audit_auditnode n ON n.key = e.seq WHERE e.seq >= %s AND e.seq < %s ORDER BY e.seq")
    block = 1 << BLOCK_LEVEL
    low = since
    with connection.cursor() as cursor:
        while True:
            high = (low // block + 1) * block
            cursor.execute(sql, [low, high])
            rows = cursor.fetchall()
            if not rows:
                cursor.execute("SELECT MIN(seq) FROM audit_auditentry WHERE seq >= %s", [high])
                later = cursor.fetchone()[0]
                if later is not None:
                    yield later, None
                return
            yield low, rows
            low = high


def verify_log(
    *, public_key: bytes, origin: str, progress: Callable[[int], None] | None = None,
    max_problems: int = 20, outside: list[OutsideHead] | None = None, tail: TailBound | None = None,
    since: OutsideHead | None = None,
) -> VerifyReport:
    """Check the log. With `since` (a head an earlier full verification accepted), only the
    entries after it are re-hashed: the stored subtree nodes at that size must fold to its
    root, and the appended entries must then reach the newer signed checkpoints."""
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

    tree = _Peaks()
    begin = 0
    if since is not None:
        if signed.get(since.size) != since.root:
            problem(None, f"{since.source} accepted the log at {since.size} entries, but the database no "
                          "longer holds that signed checkpoint: the log was rewritten or checkpoints deleted")
            return report
        try:
            tree = _Peaks(since.size, _peaks_at(since.size))
        except KeyError:
            problem(since.size, f"tree nodes at size {since.size} are missing")
            return report
        if tree.root() != since.root:
            problem(since.size, f"the stored tree nodes at size {since.size} do not fold to the root "
                                "accepted earlier: the node table was changed")
            return report
        begin = since.size
    columns = _ColumnCheck(begin, max_problems)
    newest_signed = max(signed, default=0)
    # Sizes at which the rebuilt root is compared with something signed.
    marks = set(signed) | set(wanted)
    expected = begin
    last_good_checkpoint = begin
    for seq0, rows in _blocks(begin):
        if rows is None:
            problem(expected, f"entry {expected} is missing (the next entry is {seq0})")
            break
        if not rows:
            continue
        n = len(rows)
        if rows[0][0] != expected or rows[-1][0] != expected + n - 1:
            seqs = [r[0] for r in rows]
            missing = next(i for i, s in enumerate(seqs, expected) if s != i)
            problem(missing, f"entry {missing} is missing (the next entry is {seqs[missing - expected]})")
            expected = missing
            break
        hashes = [_sha256(_LEAF + bytes(r[1])).digest() for r in rows]
        stored = [bytes(r[2]) for r in rows]
        if hashes != stored:
            for i, (a, b) in enumerate(zip(hashes, stored, strict=True)):
                if a != b:
                    problem(expected + i, f"entry {expected + i} was altered or moved: its content does not "
                                          "match its leaf hash")
        else:
            node_hashes = [bytes(r[3]) if r[3] is not None else None for r in rows]
            if node_hashes != stored:
                for i, (a, b) in enumerate(zip(node_hashes, stored, strict=True)):
                    if a != b:
                        problem(expected + i, f"entry {expected + i} was altered: the Merkle tree holds a "
                                              "different leaf for it")
        end = expected + n
        # Each run between two sizes that are compared with something signed is split into
        # aligned perfect subtrees (a whole block is one), each hashed level by level.
        a = expected
        for cut in sorted(m for m in marks if expected < m < end) + [end]:
            while a < cut:
                level = (a & -a).bit_length() - 1 if a else 62
                while a + (1 << level) > cut:
                    level -= 1
                i = a - expected
                tree.push(level, _subtree_root(hashes[i:i + (1 << level)]) if level else hashes[i])
                a += 1 << level
            tree.size = cut
            if cut != end:
                last_good_checkpoint = _compare(tree, signed, wanted, last_good_checkpoint, problem)
        tree.size = end
        expected = end
        if expected in marks:
            last_good_checkpoint = _compare(tree, signed, wanted, last_good_checkpoint, problem)
        if progress:
            progress(n)
        if len(report.problems) >= max_problems:
            break
    report.entries = expected
    if tail is not None and expected > newest_signed:
        last_ts_unsigned = _ts_of(newest_signed)

    for seq in columns.result():
        problem(seq, f"entry {seq} was altered: its indexed columns do not match its signed content")

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
        unsigned = expected - newest_signed
        if unsigned > tail.max_entries:
            problem(newest_signed, f"{unsigned} entries after the newest signed checkpoint "
                                   f"(at {newest_signed}) exceed the bound of {tail.max_entries}")
        elif last_ts_unsigned is not None and tail.now_us - last_ts_unsigned > tail.max_seconds * 1_000_000:
            age = (tail.now_us - last_ts_unsigned) // 1_000_000
            problem(newest_signed, f"entries after the newest signed checkpoint (at {newest_signed}) have "
                                   f"stayed unsigned for {age} s, longer than the bound of {tail.max_seconds} s")
    if report.ok:
        _check_proofs({k: v for k, v in signed.items() if k >= begin}, problem)
    if report.ok and signed:
        report.newest_checkpoint = OutsideHead("the last verification", newest_signed, signed[newest_signed])
    return report


def _ts_of(seq: int) -> int:
    return AuditEntry.objects.filter(seq=seq).values_list("ts_us", flat=True).get()


def _compare(tree: _Peaks, signed, wanted, last_good: int, problem) -> int:
    root = tree.root()
    for h in wanted.get(tree.size, ()):
        if h.root != root:
            problem(None, f"{h.source} signed {tree.size} entries with another root: the log "
                          "was rewritten after that checkpoint was made")
    expected = signed.get(tree.size)
    if expected is None:
        return last_good
    if expected != root:
        problem(None, f"the signed checkpoint at size {tree.size} does not match the log: an entry "
                      f"between {last_good} and {tree.size - 1} was changed")
        return last_good
    return tree.size


def _check_proofs(signed: dict[int, bytes], problem) -> None:
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
