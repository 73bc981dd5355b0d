"""Key-agent batch unwrap latency: the Unix socket against mutual TLS 1.3 on loopback.

Starts one `python -m corridor.keyd` process listening on both its Unix socket and a
loopback TCP port with mutual TLS (certificates made by `corridor.keyd.tls.make_certs`,
as `corridor keyd-certs` makes them), unseals it, and times the same unwrap calls
from a client on each transport, alternating the two in rounds so that a change of
machine load hits both alike: 1 key per call and 50 keys per call (one case-list
page). Also the cost of a new TLS connection (TCP connect + TLS 1.3 handshake with
client certificate, no resumption), which a web worker pays once per process.

    .venv/bin/python -m bench.keyd_latency [--n 5000] [--batch 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench._common import machine
from corridor.keyd.client import KeydClient
from corridor.keyd.keystore import create_keystore
from corridor.keyd.testing import FAST_KDF
from corridor.keyd.tls import client_context, make_certs


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def fmt(name: str, samples: list[float]) -> str:
    p50, p99 = percentiles(samples)
    return f"{name}: n={len(samples)} p50 {p50 * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="calls per transport and batch size")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="kdl", dir="/tmp")
    keystore = os.path.join(work, "ks.json")
    create_keystore(keystore, mode="passphrase", passphrase="benchmark passphrase", log_origin="bench",
                    kdf_params=FAST_KDF)
    certs = make_certs(os.path.join(work, "tls"), ["web"], ["127.0.0.1"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sock = os.path.join(work, "s")
    proc = subprocess.Popen([sys.executable, "-m", "corridor.keyd", "--socket", sock, "--keystore", keystore,
                             "--journal", os.path.join(work, "j.jsonl"), "--unwrap-limit", str(10**9),
                             "--listen", f"127.0.0.1:{port}", "--tls-cert", str(certs.server_cert),
                             "--tls-key", str(certs.server_key), "--tls-ca", str(certs.ca),
                             "--tls-clients", str(certs.clients)],
                            stderr=subprocess.DEVNULL)
    try:
        unix = KeydClient(sock)
        for _ in range(200):
            try:
                unix.status()
                break
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.05)
        unix.unseal_passphrase("benchmark passphrase")
        context = client_context(certs.client_cert("web"), certs.client_key("web"), certs.ca)
        url = f"tls://127.0.0.1:{port}"
        tls = KeydClient(url, tls=context)
        version, wrapped = unix.wrap("bench", [(os.urandom(32), b"bench/ad/%d" % i) for i in range(args.batch)])
        items = [(w, b"bench/ad/%d" % i, version) for i, w in enumerate(wrapped)]
        assert tls.unwrap("bench", items) == unix.unwrap("bench", items)
        sizes = (1, args.batch)
        samples: dict[tuple[str, int], list[float]] = {(t, s): [] for t in ("unix", "tls") for s in sizes}
        for client in (unix, tls):
            for _ in range(300):
                client.unwrap("bench", items[:1])
        rounds = 10
        for _ in range(rounds):
            for size in sizes:
                for name, client in (("unix", unix), ("tls", tls)):
                    batch = items[:size]
                    out = samples[(name, size)]
                    for _ in range(args.n // rounds):
                        t = time.perf_counter()
                        client.unwrap("bench", batch)
                        out.append(time.perf_counter() - t)
        handshakes = []
        for _ in range(200):
            fresh = KeydClient(url, tls=context)
            t = time.perf_counter()
            fresh.status()
            handshakes.append(time.perf_counter() - t)
            fresh.close()
        print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
        for size in sizes:
            u, s = samples[("unix", size)], samples[("tls", size)]
            print(fmt(f"unix socket, {size} key(s) per call", u))
            print(fmt(f"mutual TLS,  {size} key(s) per call", s))
            print(f"  TLS / Unix: p50 {percentiles(s)[0] / percentiles(u)[0]:.2f}x, "
                  f"p99 {percentiles(s)[1] / percentiles(u)[1]:.2f}x")
        print(fmt("new TLS connection + status (handshake with client certificate)", handshakes))
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
