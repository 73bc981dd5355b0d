"""Key-agent unwrap latency and throughput over the real Unix socket.

Starts `python -m corridor.keyd` as a separate process (as `corridor serve` does),
unseals it, and times single-item unwraps from one client, then 50-item batches
(one case-list page). Target: p50 < 200 µs, ≥ 5,000 unwraps/s.

    .venv/bin/python -m bench.keyd_unwrap [--n 20000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench._common import machine, summary
from corridor.keyd.client import KeydClient
from corridor.keyd.keystore import create_keystore
from corridor.keyd.testing import FAST_KDF


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="kd", dir="/tmp")
    keystore = os.path.join(work, "ks.json")
    create_keystore(keystore, mode="passphrase", passphrase="benchmark passphrase", log_origin="bench",
                    kdf_params=FAST_KDF)
    sock = os.path.join(work, "s")
    proc = subprocess.Popen([sys.executable, "-m", "corridor.keyd", "--socket", sock, "--keystore", keystore,
                             "--journal", os.path.join(work, "j.jsonl"), "--unwrap-limit", str(10**9)],
                            stderr=subprocess.DEVNULL)
    try:
        client = KeydClient(sock)
        for _ in range(200):
            try:
                client.status()
                break
            except Exception:
                time.sleep(0.05)
        client.unseal_passphrase("benchmark passphrase")
        version, wrapped = client.wrap("bench", [(os.urandom(32), b"bench/ad/%d" % i) for i in range(50)])
        items = [(w, b"bench/ad/%d" % i, version) for i, w in enumerate(wrapped)]
        for _ in range(500):
            client.unwrap("bench", items[:1])
        samples = []
        start = time.perf_counter()
        for _ in range(args.n):
            t = time.perf_counter()
            client.unwrap("bench", items[:1])
            samples.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - start
        batch = []
        for _ in range(2000):
            t = time.perf_counter()
            client.unwrap("bench", items)
            batch.append(time.perf_counter() - t)
        print(f"machine: {machine()}")
        print(summary("unwrap, 1 key per call", samples))
        print(f"throughput: {args.n / elapsed:,.0f} unwraps/s (single-key calls, one client)")
        print(summary("unwrap, 50 keys per call", batch))
        print(f"batched throughput: {50 * len(batch) / sum(batch):,.0f} keys/s")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
