"""Server time of the case list (50 rows of 100,000 cases) and the coordinator's
board, with the share of time spent decrypting (target: p95 < 150 ms, decryption
≤ 30 %; see DESIGN.md).

In-process Django test client against a real key agent running as its own process
(as under `corridor serve`), so every request pays the real Unix-socket round trip
to unwrap the page's keys. Build the demo once and reuse it:

    .venv/bin/python -m bench.cases_list --var /tmp/bench-sqlite            # builds if empty
    createdb -h 127.0.0.1 -U postgres corridor_bench
    .venv/bin/python -m bench.cases_list --var /tmp/bench-pg \\
        --database-url postgres://postgres@127.0.0.1:5432/corridor_bench

Without --var a temporary directory is used and the demo is built there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import machine, start_keyd


def _build(var: str, cases: int) -> None:
    env = {**os.environ, "CORRIDOR_VAR": var}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "corridor.cli", "demo", "--cases", str(cases)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"demo of {cases:,} cases built in {time.perf_counter() - started:.0f} s")


def _start_keyd(var: str) -> tuple[subprocess.Popen, str]:

    sock_dir = tempfile.mkdtemp(prefix="kdb", dir="/tmp")
    socket_path = f"{sock_dir}/s"
    # A benchmark pages through far more keys a minute than a person would; the
    # per-principal ceiling would (rightly) seal the agent.
    proc = start_keyd(socket_path, f"{var}/keystore.json", f"{sock_dir}/journal.jsonl",
                      Path(var, "demo-passphrase").read_text(encoding="utf-8").strip())
    return proc, socket_path


def _client(user):
    import time as _time

    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from corridor.accounts.services import totp_device

    client = Client(SERVER_NAME="localhost")
    client.force_login(user, backend="corridor.accounts.backends.ThrottledBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session["auth_time"] = _time.time()
    session["epoch"] = user.session_epoch
    session["django_language"] = "ru"
    session.save()
    return client


class Meter:
    """Wall time spent opening encrypted fields and unwrapping keys, per request."""

    def __init__(self) -> None:
        from corridor.crypto import fields, keys

        self.spent = 0.0
        meter = self
        real_open, real_preload = fields.EncryptedField.open, keys.preload

        def timed(fn):
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    meter.spent += time.perf_counter() - start
            return wrapper

        # open() unwraps through data_key_bytes() itself when a key was not preloaded,
        # so timing open() and preload() covers every agent round trip and every AEAD
        # decryption (callers look both up on their modules at call time).
        fields.EncryptedField.open = timed(real_open)
        keys.preload = timed(real_preload)


def _measure(client, url: str, meter: Meter, iterations: int, warmup: int = 10) -> dict:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    totals, shares = [], []
    for _ in range(iterations):
        meter.spent = 0.0
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, url
        totals.append(elapsed)
        shares.append(meter.spent / elapsed)
    ordered = sorted(totals)
    return {"p50": statistics.median(ordered) * 1000, "p95": ordered[int(len(ordered) * 0.95) - 1] * 1000,
            "decrypt": statistics.median(shares) * 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", help="CORRIDOR_VAR with (or for) the demo data")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in --var)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    var = args.var or tempfile.mkdtemp(prefix="corridor-bench-cases-")
    Path(var).mkdir(parents=True, exist_ok=True)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if not Path(var, "demo-passphrase").exists():
        _build(var, args.cases)
    os.environ["CORRIDOR_VAR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    from corridor.cli import prepare_var

    prepare_var()
    import django

    django.setup()
    from django.conf import settings

    from corridor.accounts.models import User
    from corridor.cases.models import Case

    keyd, socket_path = _start_keyd(var)
    settings.CORRIDOR_KEYD_SOCKET = socket_path
    try:
        meter = Meter()
        total = Case.objects.count()
        coordinator = User.objects.get(username="north-coordinator")
        worker = User.objects.get(username="north-caseworker")
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"machine: {machine()}; database: {db}; cases: {total:,}; iterations: {args.iterations}")
        pages = [
            ("case list, coordinator, page 1", coordinator, "/staff/cases/"),
            ("case list, coordinator, page 200", coordinator, "/staff/cases/?page=200"),
            ("case list, open cases only", coordinator, "/staff/cases/?stage=open"),
            ("case list, case worker (own cases)", worker, "/staff/cases/"),
            ("board (dashboard), coordinator", coordinator, "/staff/cases/board/"),
            ("board, opened in the last 90 days", coordinator, "/staff/cases/board/?period=90"),
        ]
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'decrypt %':>10}")
        for label, user, url in pages:
            result = _measure(_client(user), url, meter, args.iterations)
            print(f"{label:40} {result['p50']:8.1f} {result['p95']:8.1f} {result['decrypt']:10.1f}")
    finally:
        keyd.terminate()
        keyd.wait(timeout=10)


if __name__ == "__main__":
    main()
