"""`corridor audit verify` over 1,000,000 entries, and one inclusion proof.

Builds a valid log directly (the same leaf encoding, tree and checkpoint format as
`record()` and `make_checkpoint()`, with a local Ed25519 key standing in for the
agent), then times the full verification and inclusion proofs built from the stored
node table with one query each. Targets: verify < 15 s; one proof < 1 ms.

    .venv/bin/python -m bench.audit_verify [--entries 1000000] [--every 10000] [--repeat 3]

Also times `--against` (every checkpoint given as a witness's copy) and the incremental
mode over the last --appended entries, and the floors in the same run: a bare cursor
reading the same rows, and hashlib over the same leaves and inner nodes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench._common import django_setup, machine


def build(entries: int, every: int, key, origin: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from django.db import transaction

    from corridor.audit import merkle
    from corridor.audit.checkpoint import Checkpoint as Note
    from corridor.audit.checkpoint import sign_checkpoint
    from corridor.audit.models import AuditEntry, AuditHead, AuditNode, Checkpoint, node_key
    from corridor.audit.services import canonical_leaf

    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    compact = merkle.CompactRange()
    rows, nodes, t0 = [], [], 1_700_000_000_000_000
    for seq in range(entries):
        data = {"n": seq % 97, "stage": "sheltered"}
        fields = dict(seq=seq, ts_us=t0 + seq * 1000, code=4011, actor="user:bench", organisation="org",
                      object_type="cases.case", object_id=f"K-{seq % 100000:05d}", data=data)
        leaf_bytes = canonical_leaf(**fields)
        leaf = merkle.leaf_hash(leaf_bytes)
        del fields["data"]
        rows.append(AuditEntry(leaf=leaf_bytes, leaf_hash=leaf, **fields))
        nodes += [AuditNode(key=node_key(lv, ix), hash=h) for lv, ix, h in compact.append(leaf)]
        if compact.size % every == 0 or compact.size == entries:
            with transaction.atomic():
                AuditEntry.objects.bulk_create(rows, batch_size=5000)
                AuditNode.objects.bulk_create(nodes, batch_size=5000)
                note = sign_checkpoint(Note(origin=origin, size=compact.size, root=compact.root()), origin,
                                       key.sign, public)
                Checkpoint.objects.create(size=compact.size, root=compact.root(), note=note)
            rows, nodes = [], []
    AuditHead.objects.update_or_create(id=1, defaults=dict(size=compact.size, compact=compact.to_bytes(),
                                                           root=compact.root()))


def _floors() -> tuple[float, float]:
    """The cost of reading the rows with a bare cursor, and of the hashing alone."""
    import hashlib

    from django.db import connection

    t = time.perf_counter()
    leaves = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, leaf, leaf_hash FROM audit_auditentry ORDER BY seq")
        while rows := cursor.fetchmany(8192):
            leaves.extend(bytes(r[1]) for r in rows)
    read = time.perf_counter() - t
    sha = hashlib.sha256
    t = time.perf_counter()
    level = [sha(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
    return read, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--appended", type=int, default=10_000,
                        help="entries the incremental verify re-reads (a multiple of --every)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    django_setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.db import connection

    from corridor.audit import merkle
    from corridor.audit.models import AuditEntry, Checkpoint
    from corridor.audit.services import inclusion_proof
    from corridor.audit.verify import verify_log

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    origin = "bench.corridor/audit"
    t = time.perf_counter()
    build(args.entries, args.every, key, origin)
    print(f"machine: {machine()}; database: {connection.vendor}")
    print(f"built {args.entries:,} entries in {time.perf_counter() - t:.1f} s")

    from corridor.audit.verify import OutsideHead

    def timed(**kwargs) -> float:
        t = time.perf_counter()
        report = verify_log(public_key=public, origin=origin, **kwargs)
        elapsed = time.perf_counter() - t
        assert report.ok, report.problems
        return elapsed

    # A witness's copy: every checkpoint the log signed, given as outside heads (--against).
    outside = [OutsideHead("witness copy", cp.size, bytes(cp.root)) for cp in Checkpoint.objects.all()]
    since_size = args.entries - args.appended
    since = OutsideHead("last full verify", since_size, bytes(Checkpoint.objects.get(size=since_size).root))
    full, against, incremental = [], [], []
    for _ in range(args.repeat):
        full.append(timed())
        against.append(timed(outside=outside))
        incremental.append(timed(since=since))
    floor_read, floor_hash = _floors()
    med = statistics.median
    print(f"audit verify, {args.entries:,} entries, {len(outside)} checkpoints, median of {args.repeat}: "
          f"{med(full):.2f} s (runs {', '.join(f'{x:.2f}' for x in full)})")
    print(f"audit verify --against {len(outside)} outside heads: {med(against):.2f} s")
    print(f"audit verify --since-checkpoint, last {args.appended:,} entries: {med(incremental) * 1e3:.0f} ms")
    print(f"floors in the same run: reading (seq, leaf, leaf_hash) raw {floor_read:.2f} s; hashlib over the "
          f"same leaves and the ~{args.entries:,} inner nodes {floor_hash:.2f} s; together "
          f"{floor_read + floor_hash:.2f} s; verify/floor {med(full) / (floor_read + floor_hash):.2f}x")

    size = Checkpoint.objects.order_by("-size").first().size
    root = bytes(Checkpoint.objects.order_by("-size").first().root)
    seqs = [random.randrange(size) for _ in range(1000)]
    leaves = dict(AuditEntry.objects.filter(seq__in=seqs).values_list("seq", "leaf_hash"))
    gen, ver = [], []
    for seq in seqs:
        t = time.perf_counter()
        proof = inclusion_proof(seq, size)
        gen.append(time.perf_counter() - t)
        t = time.perf_counter()
        ok = merkle.verify_inclusion(bytes(leaves[seq]), seq, size, proof, root)
        ver.append(time.perf_counter() - t)
        assert ok
    print(f"inclusion proof from the database (one query): p50 {statistics.median(gen) * 1e3:.3f} ms; "
          f"verification: p50 {statistics.median(ver) * 1e6:.0f} µs ({len(proof)} hashes)")


if __name__ == "__main__":
    main()
