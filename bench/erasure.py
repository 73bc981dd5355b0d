"""Erasure cost: one person among 100,000, and one full bucket re-wrap.

Starts keyd as its own process on a real keystore file (every shred and retire is a
keystore rewrite with fsync), fills a fresh SQLite (or DATABASE_URL) database with
100,000 person data keys in erasure buckets, adds real people, and times:
- `person_erase` of one real person (shred its bucket: new generation, 255 mates
  re-wrapped and saved, retire after commit, WAL checkpoint), median of --n;
- the agent part alone: shred + rewrap of 255 mates + retire, over the socket;
- the floor in the same run: one 255-item unwrap round trip.
Also prints keystore size before and after the erasures.

    .venv/bin/python -m bench.erasure [--keys 100000] [--n 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

from bench._common import django_setup, machine, start_keyd
from corridor.keyd.keystore import create_keystore
from corridor.keyd.testing import FAST_KDF

PASSPHRASE = "benchmark passphrase"


def _start_keyd(work: str) -> tuple[subprocess.Popen, str, str]:

    keystore = os.path.join(work, "keystore.json")
    create_keystore(keystore, mode="passphrase", passphrase=PASSPHRASE, log_origin="bench", kdf_params=FAST_KDF)
    sock = os.path.join(tempfile.mkdtemp(prefix="kde", dir="/tmp"), "s")
    proc = start_keyd(sock, keystore, os.path.join(work, "j.jsonl"), PASSPHRASE)
    return proc, sock, keystore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    var = django_setup()
    proc, sock, keystore = _start_keyd(var)
    try:
        from django.conf import settings
        from django.db import connection

        settings.CORRIDOR_KEYD_SOCKET = sock
        from corridor.accounts.services import organisation_create
        from corridor.cases.services import person_create, person_erase
        from corridor.crypto.context import acting_as
        from corridor.crypto.keys import keyd, new_data_keys
        from corridor.crypto.models import DataKey
        from corridor.keyd.buckets import BUCKET_SIZE

        print(machine(), "|", connection.vendor)
        with acting_as("system:bench"):
            org = organisation_create(actor="system:bench", name="Bench", slug="bench", code_prefix="B")
            started = time.perf_counter()
            for _ in range(0, args.keys, 5000):
                new_data_keys(scope="person", organisation=org, count=5000)
            print(f"{DataKey.objects.count():,} data keys in buckets in {time.perf_counter() - started:.0f} s; "
                  f"{keyd().status()['buckets']} buckets of <= {BUCKET_SIZE}")
            people = [person_create(actor="system:bench", organisation=org, identity={"name_cyrillic": f"Имя {i}"},
                                    phone=f"+7928{i:07d}", notes="bench") for i in range(args.n)]
            # They land in the fill bucket, which the 100,000 keys left 160/256 full.
            size_before = os.path.getsize(keystore)
            erase = []
            for person in people:
                t = time.perf_counter()
                person_erase(actor="system:bench", person=person)
                erase.append(time.perf_counter() - t)
            size_after = os.path.getsize(keystore)
            print(f"person_erase among {args.keys:,}: p50 {statistics.median(erase) * 1e3:.1f} ms, "
                  f"max {max(erase) * 1e3:.1f} ms (n={len(erase)})")
            print(f"keystore: {size_before:,} bytes before, {size_after:,} after {len(erase)} erasures "
                  f"({(size_after - size_before) / len(erase):+.0f} bytes per erasure)")

            # The agent part alone, on a full bucket.
            client = keyd()
            full = list(DataKey.objects.filter(bucket=1, wrapped__isnull=False).order_by("id")[:BUCKET_SIZE])
            items = [(bytes(d.wrapped), d.wrap_ad(), 0) for d in full]
            floor, agent = [], []
            for _ in range(args.n):
                t = time.perf_counter()
                client.unwrap("bench", items[1:])
                floor.append(time.perf_counter() - t)
                t = time.perf_counter()
                gen = client.shred(1)
                _, moved = client.rewrap("bench", items[1:], erasable=True)
                client.bucket_retire(1, gen)
                agent.append(time.perf_counter() - t)
                items = [items[0], *[(m, ad, 0) for m, (_, ad, _) in zip(moved, items[1:], strict=True)]]
            f50, a50 = statistics.median(floor), statistics.median(agent)
            print(f"bucket re-wrap ({len(items) - 1} mates; shred + rewrap + retire, two keystore fsyncs): "
                  f"p50 {a50 * 1e3:.1f} ms, max {max(agent) * 1e3:.1f} ms; floor (one {len(items) - 1}-key "
                  f"unwrap round trip) p50 {f50 * 1e3:.2f} ms; ratio {a50 / f50:.1f}x")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
