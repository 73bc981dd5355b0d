"""Backup and restore time of a demo installation, with a full comparison.

    [DATABASE_URL=postgres://…/any] .venv/bin/python -m bench.restore [--cases 1000]

A demo of --cases cases is loaded into a scratch database (PostgreSQL next to the one
DATABASE_URL names, or SQLite), backed up with `corridor backup` to a fresh age
identity, checked with `corridor restore --dry-run`, then restored with
`corridor restore` into a second empty installation. Each command is a fresh
process, as an operator runs them, timed by its wall clock. Then every table is
compared row for row (a SHA-256 over the sorted rows of each table, so 100,000 cases
fit in memory) and every encrypted file by hash, as the restore test in the suite
does, and `corridor audit verify` runs on the restored copy.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import secrets
import tempfile
import time
from pathlib import Path

from pyrage import x25519

from bench._common import machine
from corridor.web.tests.hosts import Host, file_hashes, shared_database


def table_digests(database_url: str) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the sorted rows) of every table."""
    out: dict[str, tuple[int, str]] = {}
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url[len("sqlite:///"):])
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            for name in names:
                rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
                out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        finally:
            conn.close()
        return out
    import psycopg

    with psycopg.connect(database_url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public' "
            "AND table_type='BASE TABLE' ORDER BY table_name")]
        for name in names:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def timed(host: Host, *args: str) -> tuple[float, str]:
    start = time.monotonic()
    done = host.corridor(*args, timeout=4 * 3600)
    took = time.monotonic() - start
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return took, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="corridor-bench-restore-"))
    identity = x25519.Identity.generate()
    key_file = folder / "identity.txt"
    key_file.write_text(f"{identity}\n")
    key = secrets.token_urlsafe(48)
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    with contextlib.ExitStack() as stack:
        one = stack.enter_context(shared_database(folder / "one"))
        two = stack.enter_context(shared_database(folder / "two"))
        source = Host("source", folder / "one" / "var", one, key, file_storage="filesystem")
        target = Host("target", folder / "two" / "var", two, key, file_storage="filesystem")
        demo, _ = timed(source, "demo", "--cases", str(args.cases), "--seed", "1")
        print(f"demo --cases {args.cases}: {demo:.0f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
        rows = table_digests(one)
        files = file_hashes(source.var / "blobs")
        backup = folder / "backup.age"
        took_backup, _ = timed(source, "backup", "-r", str(identity.to_public()), "-o", str(backup))
        print(f"backup: {backup.stat().st_size / 1e6:.1f} MB in {took_backup:.1f} s", flush=True)
        took_dry, out = timed(target, "restore", str(backup), "-i", str(key_file), "--dry-run")
        assert "Nothing was changed" in out, out
        assert not (target.var / "keystore.json").exists()
        print(f"restore --dry-run: {took_dry:.1f} s", flush=True)
        took_restore, _ = timed(target, "restore", str(backup), "-i", str(key_file))
        print(f"restore: {took_restore:.1f} s (including migrate)", flush=True)
        start = time.monotonic()
        restored = table_digests(two)
        assert restored.keys() == rows.keys(), set(restored) ^ set(rows)
        differ = [name for name in rows if restored[name] != rows[name]]
        assert not differ, f"tables differ after the restore: {differ}"
        assert file_hashes(target.var / "blobs") == files, "files differ after the restore"
        assert (target.var / "keystore.json").read_bytes() == (source.var / "keystore.json").read_bytes()
        compare = time.monotonic() - start
        took_verify, _ = timed(target, "audit", "verify")
        print(f"compared {len(rows)} tables, {sum(n for n, _ in rows.values()):,} rows, {len(files)} files: "
              f"all equal ({compare:.1f} s); audit verify on the copy {took_verify:.1f} s")
        print(f"{args.cases} cases on {one.split(':')[0]}: demo {demo:.0f} s, backup {backup.stat().st_size / 1e6:.1f} MB "
              f"in {took_backup:.1f} s, dry run {took_dry:.1f} s, restore {took_restore:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
