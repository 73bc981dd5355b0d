"""Evidence ingest: MB/s and resident memory for a large file, against `sha256sum`.

    .venv/bin/python -m bench.evidence_ingest [--size-mb 2048] [--dir /tmp]

A file of --size-mb is generated on disk, then:

1. `sha256sum FILE` (the floor: reading and hashing alone, in C);
2. the full HTTP stack: a multipart POST to /staff/evidence/files/upload/ through
   Django's middleware, the streaming upload handler, Ingestor (hash + chunked
   AES-256-GCM + blob write + fsync) and the "received" custody entry;
3. `Ingestor` alone, fed 1 MiB chunks from the same file.

Resident memory is sampled every 50 ms; the target is flat and under 150 MB.
Everything (the file, blobs, database, key agent) is deleted afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.evidence_setup import RssSampler, installation, rss_bytes, signed_in_client

MIB = 1 << 20
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
BOUNDARY = "----corridor-bench-boundary"


def make_file(path: Path, size: int) -> None:
    block = os.urandom(64 * MIB)
    with open(path, "wb") as fh:
        fh.write(MP4_HEAD)
        written = len(MP4_HEAD)
        while written < size:
            piece = block[: min(len(block), size - written)]
            fh.write(piece)
            written += len(piece)


class FileMultipart:
    """A multipart body whose file part is read from disk as the parser asks."""

    def __init__(self, path: Path) -> None:
        self._before = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nbench\r\n"
                        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.mp4\"\r\n"
                        f"Content-Type: video/mp4\r\n\r\n").encode()
        self._after = f"\r\n--{BOUNDARY}--\r\n".encode()
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._stage = 0
        self.length = len(self._before) + path.stat().st_size + len(self._after)
        self.content_type = f"multipart/form-data; boundary={BOUNDARY}"

    def read(self, size: int = -1) -> bytes:
        # Hand the parser what it asks for without copying, as a WSGI server does.
        size = size if size and size > 0 else 1 << 30
        if self._stage == 0:
            self._stage = 1
            return self._before
        if self._stage == 1:
            piece = self._fh.read(size)
            if piece:
                return piece
            self._stage = 2
        if self._stage == 2:
            self._stage = 3
            return self._after
        return b""

    def readline(self, size: int = -1) -> bytes:  # part of the WSGI input API; unused by the parser
        return self.read(size)

    def close(self) -> None:
        self._fh.close()


def timed(label: str, size: int, fn) -> tuple[float, int]:
    before = rss_bytes()
    with RssSampler() as sampler:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
    print(f"{label:<34} {size / MIB / elapsed:8.0f} MB/s  {elapsed:6.2f} s   "
          f"RSS start {before / MIB:5.0f} MB, peak {sampler.peak / MIB:5.0f} MB, "
          f"end {sampler.samples[-1] / MIB:5.0f} MB")
    return elapsed, sampler.peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--dir", default=None, help="where to put the file and blobs (default: the temp dir)")
    args = parser.parse_args(argv)
    size = args.size_mb * MIB
    with installation(base=args.dir) as inst:
        from corridor.evidence.ingest import discard, ingest_chunks
        from corridor.evidence.models import EvidenceFile

        inst.settings.CORRIDOR_EVIDENCE_MAX_BYTES = size + MIB
        path = inst.work / "bench.mp4"
        print(f"generating {args.size_mb} MiB in {inst.work} ...", flush=True)
        make_file(path, size)
        print(f"ingest of a {args.size_mb} MiB file (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
        subprocess.run(["sync"], check=False)

        def sha256sum() -> None:
            subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)

        floor, _ = timed("sha256sum (reference)", size, sha256sum)

        client = signed_in_client(inst.legal)

        def http() -> None:
            body = FileMultipart(path)
            try:
                response = client.generic("POST", "/staff/evidence/files/upload/", b"", **{
                    "wsgi.input": body, "CONTENT_LENGTH": str(body.length), "CONTENT_TYPE": body.content_type})
            finally:
                body.close()
            assert response.status_code == 302, response.status_code

        full, peak_full = timed("full HTTP stack (upload view)", size, http)
        stored = EvidenceFile.objects.get()
        expected = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(8 * MIB), b""):
                expected.update(chunk)
        assert stored.sha256 == expected.hexdigest() and stored.size == size

        def chunks():
            with open(path, "rb") as fh:
                yield from iter(lambda: fh.read(MIB), b"")

        def ingestor() -> None:
            discard(ingest_chunks(organisation=inst.org, name="again.mp4", chunks=chunks()))

        alone, peak_alone = timed("Ingestor alone", size, ingestor)
        print()
        print(f"full stack: {size / MIB / full:.0f} MB/s = {floor / full:.2f} x sha256sum; "
              f"peak RSS {peak_full / MIB:.0f} MB (target >= 300 MB/s, < 150 MB)")
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
