"""File store: ingest and read rates of the filesystem and database backends, against
`sha256sum` of the same file in the same run.

    DATABASE_URL=postgres://…/scratch .venv/bin/python -m bench.file_store [--size-mb 512]

A file of --size-mb random bytes is written once, then for each backend:

1. store alone: the file's bytes written to the store in 1 MiB pieces, committed and
   adopted, then read back and hashed;
2. ingest: `Ingestor` (SHA-256 + chunked AES-256-GCM + store), timed alone; then
   `file_register` (the row, adoption, and the working copy without metadata, which
   for a PDF means decrypting the original and running mat2 on it), timed apart;
   then `file_read` (decrypt) hashed and compared.

Resident memory is sampled every 50 ms. Run it against PostgreSQL: the database
backend exists for several hosts on one PostgreSQL server (on SQLite it works, but
means nothing). Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import time

from bench.evidence_setup import RssSampler, installation

MIB = 1 << 20
PDF_HEAD = b"%PDF-1.7\n"


def make_file(path, size: int) -> None:
    block = os.urandom(64 * MIB)
    with open(path, "wb") as fh:
        fh.write(PDF_HEAD)
        written = len(PDF_HEAD)
        while written < size:
            piece = block[: min(len(block), size - written)]
            fh.write(piece)
            written += len(piece)


def pieces(path):
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(MIB), b"")


def timed(label: str, size: int, fn):
    with RssSampler() as sampler:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    rate = size / MIB / elapsed
    print(f"  {label:<30} {rate:7.0f} MB/s  {elapsed:6.2f} s  peak RSS {sampler.peak / MIB:5.0f} MB", flush=True)
    return rate, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args(argv)
    size = args.size_mb * MIB
    with installation(base=args.dir) as inst:
        from django.db import connection, transaction

        from corridor.blobs import storage
        from corridor.evidence.ingest import ingest_chunks
        from corridor.evidence.services import file_read, file_register

        inst.settings.CORRIDOR_EVIDENCE_MAX_BYTES = size + MIB
        inst.settings.CORRIDOR_EVIDENCE_DISK_RESERVE = 0
        path = inst.work / "bench.pdf"
        make_file(path, size)
        sha = hashlib.sha256()
        for p in pieces(path):
            sha.update(p)
        expected = sha.hexdigest()
        print(f"file store, {args.size_mb} MiB, database {connection.vendor}, {os.cpu_count()} cores, "
              "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        subprocess.run(["sync"], check=False)
        floor, _ = timed("sha256sum (reference)", size,
                         lambda: subprocess.run(["sha256sum", str(path)], check=True, capture_output=True))
        results = {}
        for backend in ("filesystem", "database"):
            inst.settings.CORRIDOR_FILE_STORAGE = backend
            print(f"{backend}:")

            def store():
                w = storage.writer("evidence")
                for p in pieces(path):
                    w.write(p)
                w.commit()
                with transaction.atomic():
                    storage.adopt("evidence", [w.name])
                return w.name

            w_rate, name = timed("store write", size, store)

            def read_back(name=name):
                h = hashlib.sha256()
                with storage.open_file("evidence", name) as fh:
                    while chunk := fh.read(MIB + 16):
                        h.update(chunk)
                return h.hexdigest()

            r_rate, _ = timed("store read + sha256", size, read_back)
            storage.delete("evidence", name)

            def ingest():
                return ingest_chunks(organisation=inst.org, name="bench.pdf", chunks=pieces(path))

            i_rate, done = timed("ingest (hash+encrypt+store)", size, ingest)
            g_rate, f = timed("register + working copy", size,
                              lambda done=done: file_register(actor=inst.legal, ingested=done))
            assert f.sha256 == expected

            def decrypt(f=f):
                h = hashlib.sha256()
                for chunk in file_read(f):
                    h.update(chunk)
                assert h.hexdigest() == expected
            d_rate, _ = timed("read (decrypt + sha256)", size, decrypt)
            results[backend] = (w_rate, r_rate, i_rate, d_rate, g_rate)
        print()
        print(f"sha256sum {floor:.0f} MB/s")
        for backend, (w, r, i, d, g) in results.items():
            print(f"{backend:<10} store {w:.0f}/{r:.0f} MB/s (write/read), ingest {i:.0f} MB/s = {i / floor:.2f} x "
                  f"sha256sum, register + working copy {g:.0f} MB/s, decrypting read {d:.0f} MB/s")
        print("load average (1, 5, 15 min): " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        print("target: database ingest >= 150 MB/s")
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
