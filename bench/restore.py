"""Backup and restore time of a demo installation.

    [DATABASE_URL=postgres://…/any] .venv/bin/python -m bench.restore [--cases 1000]

A demo of --cases cases is loaded into a scratch database (PostgreSQL next to the one
DATABASE_URL names, or SQLite), backed up with `corridor backup` to a fresh age
identity, then restored with `corridor restore` into a second empty installation.
Prints the size of the backup and the wall time of each command (each a fresh
process, as an operator runs them).
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import tempfile
import time
from pathlib import Path

from pyrage import x25519

from corridor.web.tests.hosts import Host, shared_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="corridor-bench-restore-"))
    identity = x25519.Identity.generate()
    key_file = folder / "identity.txt"
    key_file.write_text(f"{identity}\n")
    key = secrets.token_urlsafe(48)
    with contextlib.ExitStack() as stack:
        one = stack.enter_context(shared_database(folder / "one"))
        two = stack.enter_context(shared_database(folder / "two"))
        source = Host("source", folder / "one" / "var", one, key, file_storage="filesystem")
        target = Host("target", folder / "two" / "var", two, key, file_storage="filesystem")
        start = time.monotonic()
        done = source.corridor("demo", "--cases", str(args.cases), "--seed", "1", timeout=7200)
        assert done.returncode == 0, done.stderr[-2000:]
        demo = time.monotonic() - start
        backup = folder / "backup.age"
        start = time.monotonic()
        done = source.corridor("backup", "-r", str(identity.to_public()), "-o", str(backup), timeout=7200)
        assert done.returncode == 0, done.stderr
        took_backup = time.monotonic() - start
        start = time.monotonic()
        done = target.corridor("restore", str(backup), "-i", str(key_file), timeout=7200)
        assert done.returncode == 0, done.stdout + done.stderr
        took_restore = time.monotonic() - start
        print(f"{args.cases} cases on {one.split(':')[0]}: demo {demo:.0f} s, backup {backup.stat().st_size / 1e6:.1f} MB "
              f"in {took_backup:.1f} s, restore {took_restore:.1f} s (including migrate)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
