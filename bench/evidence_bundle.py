"""Evidence bundles: build time and offline verification time.

    .venv/bin/python -m bench.evidence_bundle [--files 20] [--file-mb 8] [--big-mb 512] [--log 20000]

Builds a throw-away installation whose audit log already holds --log entries, ingests
--files files of --file-mb each plus one of --big-mb, gives each file a few custody
entries, has a second person approve an export of all of them, and times:

* building the bundle (custody entries, manifest, checkpoint, proofs, tar, age);
* `verify_bundle` (age decryption, checkpoint signature, manifest seal, every
  inclusion proof, every file's SHA-256), the same code as `corridor verify-bundle`;
* one RFC 9162 inclusion proof verification on its own.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.evidence_setup import installation

MIB = 1 << 20


def _fill_log(n: int) -> None:
    from django.db import transaction

    from corridor.audit.events import CoreEvent
    from corridor.audit.services import record

    done = 0
    while done < n:
        with transaction.atomic():
            for i in range(done, min(n, done + 5000)):
                record(CoreEvent.USER_UPDATED, actor="system:bench", object_type="bench", object_id=str(i), n=i)
        done = min(n, done + 5000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--file-mb", type=int, default=8)
    parser.add_argument("--big-mb", type=int, default=512)
    parser.add_argument("--log", type=int, default=20000, help="audit entries already in the log")
    args = parser.parse_args(argv)
    with installation() as inst:
        from pyrage import x25519

        from corridor.audit import merkle
        from corridor.audit.models import AuditEntry, AuditHead
        from corridor.audit.services import inclusion_proof
        from corridor.evidence import services, storage
        from corridor.evidence.bundle_verify import render, verify_bundle
        from corridor.evidence.ingest import ingest_chunks

        inst.settings.CORRIDOR_EVIDENCE_MAX_BYTES = (args.big_mb + 1) * MIB
        start = time.perf_counter()
        _fill_log(args.log)
        print(f"audit log: {args.log} entries in {time.perf_counter() - start:.1f} s")
        block = os.urandom(MIB)
        files = []
        sizes = [args.file_mb] * args.files + ([args.big_mb] if args.big_mb else [])
        for i, mb in enumerate(sizes):
            chunks = (b"%PDF-1.7\n" + block[9:] if n == 0 else block for n in range(mb))
            f = services.file_register(actor=inst.legal, ingested=ingest_chunks(
                organisation=inst.org, name=f"doc-{i}.pdf", chunks=chunks))
            for _ in range(2):
                list(services.file_view(actor=inst.legal, file=f, working=False))
            files.append(f)
        total = sum(sizes) * MIB
        identity = x25519.Identity.generate()
        bundle = services.bundle_request(actor=inst.legal, audience="legal", recipients=[str(identity.to_public())],
                                         files=files, purpose="benchmark")
        start = time.perf_counter()
        bundle = services.bundle_approve(actor=inst.coordinator, bundle=bundle)
        build = time.perf_counter() - start
        assert bundle.status == "ready", bundle.status
        path = storage.path_for(bundle.blob)
        start = time.perf_counter()
        report = verify_bundle(path, [identity])
        verify = time.perf_counter() - start
        assert report.ok, render(report)
        size = AuditHead.objects.get().size
        entry = AuditEntry.objects.filter(object_type="bench").order_by("seq")[size // 3]
        proof = inclusion_proof(entry.seq, size)
        root = bytes(AuditHead.objects.get().root)
        rounds = 2000
        start = time.perf_counter()
        for _ in range(rounds):
            assert merkle.verify_inclusion(bytes(entry.leaf_hash), entry.seq, size, proof, root)
        one_proof = (time.perf_counter() - start) / rounds
        print(f"bundle: {len(files)} files, {total / MIB:.0f} MiB, {report.entries} custody entries, "
              f"log of {report.tree_size} entries, age file {bundle.size / MIB:.0f} MiB")
        print(f"build  {build:6.2f} s  ({total / MIB / build:.0f} MB/s)")
        print(f"verify {verify:6.2f} s  ({total / MIB / verify:.0f} MB/s), "
              f"{report.entries} inclusion proofs + {report.files} file hashes + checkpoint + manifest")
        print(f"one inclusion proof: {one_proof * 1e6:.1f} µs ({len(proof)} hashes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
