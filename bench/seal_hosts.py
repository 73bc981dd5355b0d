"""Seal propagation across two application hosts.

    DATABASE_URL=postgres://…/any .venv/bin/python -m bench.seal_hosts [--rounds 5]

Two `corridor serve` processes (own var/, own agent, own port) on one scratch
database (created next to the one DATABASE_URL names, dropped afterwards; SQLite if
DATABASE_URL is not PostgreSQL). Each round: `corridor seal` on host A, then the time
from its exit until host B first answers a staff page with 503; then
`corridor unseal --all` on A (B reached through CORRIDOR_HOSTS) and the time until B
answers 200 again. Medians and maxima are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from corridor.web.tests.hosts import (
    Browser,
    credentials,
    demo_pair,
    seal_propagation,
    shared_database,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="corridor-bench-hosts-"))
    with shared_database(folder) as url:
        a, b = demo_pair(folder, url, cases=0)
        command_b = b.command_line()
        try:
            for host in (a, b):
                host.serve("--unseal-passphrase-file", str(host.var / "demo-passphrase"))
            staff = Browser(b)
            staff.sign_in(*credentials(b, "north-coordinator"))
            seal, unseal = [], []
            for _ in range(args.rounds):
                seal.append(seal_propagation(a, staff, "/staff/cases/"))
                start = time.monotonic()
                done = a.corridor("unseal", "--all", "--passphrase-file", str(a.var / "demo-passphrase"),
                                  env_extra={"CORRIDOR_HOSTS": f"b={command_b}"})
                assert done.returncode == 0, done.stdout + done.stderr
                while staff.get("/staff/cases/")[0] != 200:
                    if time.monotonic() - start > 60:
                        raise RuntimeError("host B stayed sealed")
                unseal.append(time.monotonic() - start)
            print(f"seal on A -> B refuses: median {statistics.median(seal) * 1000:.0f} ms, "
                  f"max {max(seal) * 1000:.0f} ms over {len(seal)} rounds ({url.split(':')[0]})")
            print(f"unseal --all on A -> B answers: median {statistics.median(unseal):.2f} s, max {max(unseal):.2f} s")
        finally:
            a.stop()
            b.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
