"""Seal propagation to every application host, in the production shape.

    DATABASE_URL=postgres://…/any .venv/bin/python -m bench.seal_hosts [--hosts 3] [--rounds 20]

Two or three `corridor serve` processes (own var/, own port) on one scratch database
(created next to the one DATABASE_URL names, dropped afterwards; SQLite if
DATABASE_URL is not PostgreSQL), files in the database store, and ONE key agent: host
A runs it and it also listens on loopback with mutual TLS 1.3; the other hosts run
none and reach it with their certificates from `corridor keyd-certs` (as
corridor/web/tests/test_two_hosts.py sets them up). A staff member is signed in on
every host.

Each round, `corridor seal` runs on one host (A, B, C in turn) and each of the other
hosts is polled from its own thread with a staff page until it answers 503; the
figures are the time from the seal command's exit until each host refuses and until
the last host refuses ("every host"). Then one `corridor unseal` on one host (the
shared agent: one ceremony) and the time until every host answers 200 again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench._common import machine
from corridor.web.tests.hosts import Browser, credentials, demo_hosts, shared_database

PATH = "/staff/cases/"
USERS = ("north-coordinator", "north-coordinator2", "partner-coordinator")


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def until(browser: Browser, status: int, start: float, limit: float, out: dict, key: str) -> None:
    while time.monotonic() - start < limit:
        if browser.get(PATH, timeout=10)[0] == status:
            out[key] = time.monotonic() - start
            return
        time.sleep(0.005)
    out[key] = float("inf")


def wait_all(browsers: dict[str, Browser], status: int, start: float, limit: float) -> dict[str, float]:
    out: dict[str, float] = {}
    threads = [threading.Thread(target=until, args=(b, status, start, limit, out, name))
               for name, b in browsers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3, choices=(2, 3))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="corridor-bench-hosts-"))
    names = ("a", "b", "c")[:args.hosts]
    with shared_database(folder) as url:
        hosts = demo_hosts(folder, url, names, cases=0, shared_agent=True)
        by_name = dict(zip(names, hosts, strict=True))
        passphrase = str(hosts[0].var / "demo-passphrase")
        try:
            hosts[0].serve("--unseal-passphrase-file", passphrase)
            for host in hosts[1:]:
                host.serve()
            browsers = {}
            for host, user in zip(hosts, USERS, strict=False):
                browsers[host.name] = Browser(host)
                browsers[host.name].sign_in(*credentials(host, user))
                assert browsers[host.name].get(PATH)[0] == 200
            per_host: dict[str, list[float]] = {}
            every, unseal, command = [], [], []
            print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
            for number in range(args.rounds):
                sealer = names[number % len(names)]
                launched = time.monotonic()
                done = by_name[sealer].corridor("seal", "--reason", "propagation bench")
                assert done.returncode == 0, done.stdout + done.stderr
                start = time.monotonic()
                command.append(start - launched)
                others = {n: b for n, b in browsers.items() if n != sealer}
                took = wait_all(others, 503, start, 10.0)
                assert all(t < float("inf") for t in took.values()), f"round {number}: {took}"
                for n, t in took.items():
                    per_host.setdefault(f"{sealer}->{n}", []).append(t)
                every.append(max(took.values()))
                # One unseal, on a host other than the agent's in turn: the shared agent opens for all.
                opener = by_name[names[(number + 1) % len(names)]]
                start = time.monotonic()
                done = opener.corridor("unseal", "--passphrase-file", passphrase)
                assert done.returncode == 0, done.stdout + done.stderr
                took = wait_all(browsers, 200, start, 60.0)
                assert all(t < float("inf") for t in took.values()), f"round {number} unseal: {took}"
                unseal.append(max(took.values()))
            database = url.split(":")[0]
            print(f"{len(names)} hosts on {database}, one key agent (on A) over mutual TLS, {args.rounds} rounds")
            for pair, samples in sorted(per_host.items()):
                print(f"  seal on {pair} refuses: p50 {statistics.median(samples) * 1000:.0f} ms, "
                      f"max {max(samples) * 1000:.0f} ms (n={len(samples)})")
            print(f"seal -> EVERY other host refuses: p50 {statistics.median(every) * 1000:.0f} ms, "
                  f"p95 {p(every, 0.95) * 1000:.0f} ms, max {max(every) * 1000:.0f} ms")
            print(f"the `corridor seal` command itself (launch to exit, Python start-up included): "
                  f"p50 {statistics.median(command) * 1000:.0f} ms, p95 {p(command, 0.95) * 1000:.0f} ms")
            print(f"one `corridor unseal` -> every host answers 200: p50 {statistics.median(unseal):.2f} s, "
                  f"p95 {p(unseal, 0.95):.2f} s (a Python start-up and one Argon2id derivation)")
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
        finally:
            for host in hosts:
                host.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
