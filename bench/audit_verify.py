"""`corridor audit verify` over 1,000,000 entries, and one inclusion proof.

Builds a valid log directly (the same leaf encoding, tree and checkpoint format as
`record()` and `make_checkpoint()`, with a local Ed25519 key standing in for the
agent), then times the full verification and inclusion proofs built from the stored
node table with one query each. Targets: verify < 15 s; one proof < 1 ms.

    .venv/bin/python -m bench.audit_verify [--entries 1000000] [--every 10000]
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
        leaf = merkle.leaf_hash(canonical_leaf(**fields))
        rows.append(AuditEntry(leaf_hash=leaf, **fields))
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=10_000)
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

    t = time.perf_counter()
    report = verify_log(public_key=public, origin=origin)
    elapsed = time.perf_counter() - t
    assert report.ok, report.problems
    print(f"audit verify: {report.entries:,} entries, {report.checkpoints} checkpoints in {elapsed:.2f} s")

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
