"""Server time of the case list, the coordinator's board and the other case pages,
with the share of time spent decrypting (target: p95 < 150 ms at 1,000,000 cases,
flat from 10,000; decryption ≤ 30 %; see DESIGN.md).

Each page is shown beside its floor from the same run: the very SQL statements the
page ran (recorded with their parameters on one request), replayed raw through
the database cursor, so the ratio is what Django, the templates and the key agent
add on top of the database's own work. A deep page (page 200) is reached through
its keyset cursor, as the Next links do.

In-process Django test client against a real key agent running as its own process
(as under `corridor serve`), so every request pays the real Unix-socket round trip
to unwrap the page's keys. Build the demo once and reuse it:

    .venv/bin/python -m bench.cases_list --var /tmp/bench-sqlite            # builds if empty
    createdb -h 127.0.0.1 -U postgres corridor_bench
    .venv/bin/python -m bench.cases_list --var /tmp/bench-pg \\
        --database-url postgres://postgres@127.0.0.1:5432/corridor_bench

Without --var a temporary directory is used and the demo is built there. For
1,000,000 cases, grow a 10,000-case demo with `python -m bench.clone_cases` (read
its notes on what clones share before quoting a figure).
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def _start_keyd(var: str) -> tuple[subprocess.Popen, str, str]:
    sock_dir = tempfile.mkdtemp(prefix="kdb", dir="/tmp")
    socket_path = f"{sock_dir}/s"
    # A benchmark pages through far more keys a minute than a person would; the
    # per-principal ceiling would (rightly) seal the agent.
    proc = start_keyd(socket_path, f"{var}/keystore.json", f"{sock_dir}/journal.jsonl",
                      Path(var, "demo-passphrase").read_text(encoding="utf-8").strip())
    return proc, socket_path, sock_dir


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


def _measure(client, url: str, meter: Meter, iterations: int, warmup: int = 5) -> dict:
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
    return {"p50": statistics.median(ordered) * 1000, "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
            "decrypt": statistics.median(shares) * 100}


def _recorded(client, url: str) -> list[tuple[str, object]]:
    """Every statement one request runs, with its parameters."""
    from django.db import connection

    seen: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        assert client.get(url).status_code == 200, url
    return seen


def _floor(statements, iterations: int) -> dict:
    """The same statements replayed raw (reads fetched, writes rolled back)."""
    from django.db import connection, transaction

    totals = []
    for _ in range(iterations):
        start = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                for sql, params in statements:
                    if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")):
                        continue
                    cursor.execute(sql, params)
                    if cursor.description is not None:
                        cursor.fetchall()
            transaction.set_rollback(True)
        totals.append(time.perf_counter() - start)
    ordered = sorted(totals)
    return {"p50": statistics.median(ordered) * 1000, "queries": len(statements)}


def _deep_cursor(user, page: int) -> str:
    """The Next cursor that leads to `page` (what clicking Next page-1 times gives)."""
    from corridor.cases.selectors.access import visible_cases
    from corridor.cases.selectors.lists import ORDERINGS, PAGE_SIZE, _encode, _order

    row = (visible_cases(user).order_by(*_order("opened"))
           .values_list(*[name for name, _d in ORDERINGS["opened"]])[(page - 1) * PAGE_SIZE - 1])
    return _encode(row)


def _fixed_costs(user, iterations: int) -> None:
    """What every staff page pays before its own work: the agent status round trip
    behind the sealed banner, building the navigation, and the session write that
    every request paid before the expiry slid once a minute."""
    from importlib import import_module

    from django.conf import settings

    from corridor.crypto.keys import is_sealed
    from corridor.web.registry import _build_nav, nav_for

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["bench"] = "x"
    store.save()

    def session_write():
        store.modified = True
        store.save()

    for label, fn in (("agent status round trip (sealed banner)", is_sealed), ("navigation (cached per role)", lambda: nav_for(user)),
                      ("navigation built afresh (before)", lambda: _build_nav(user)),
                      ("session write (UPDATE + COMMIT)", session_write)):
        times = []
        for _ in range(iterations * 5):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        print(f"{label:42} p50 {statistics.median(times) * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", help="CORRIDOR_VAR with (or for) the demo data")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in --var)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--only", default="", help="Measure only the pages whose label contains this text.")
    parser.add_argument("--save-every-request", action="store_true",
                        help="Write the session on every request, as before the once-a-minute slide.")
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

    keyd, socket_path, sock_dir = _start_keyd(var)
    settings.CORRIDOR_KEYD_SOCKET = socket_path
    settings.SESSION_SAVE_EVERY_REQUEST = args.save_every_request
    try:
        meter = Meter()
        total = Case.objects.count()
        coordinator = User.objects.get(username="north-coordinator")
        worker = User.objects.get(username="north-caseworker")
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"machine: {machine()}; database: {db}; cases: {total:,}; iterations: {args.iterations}")
        from corridor.cases import summaries

        visible = summaries.count(coordinator.organisation_id)
        deep_page = min(200, max(1, (visible - 1) // 50))  # page 200, or the last full page
        deep = _deep_cursor(coordinator, deep_page) if deep_page > 1 else ""
        pages = [
            ("case list, coordinator, page 1", coordinator, "/staff/cases/"),
            (f"case list, coordinator, page {deep_page}", coordinator, f"/staff/cases/?after={deep}" if deep else ""),
            ("case list, open cases only", coordinator, "/staff/cases/?stage=open"),
            ("case list, one worker's, coordinator", coordinator, f"/staff/cases/?worker={worker.pk}"),
            ("case list, case worker (own cases)", worker, "/staff/cases/"),
            ("board (dashboard), coordinator", coordinator, "/staff/cases/board/"),
            ("board, one worker", coordinator, f"/staff/cases/board/?worker={worker.pk}"),
            ("board, opened in the last 90 days", coordinator, "/staff/cases/board/?period=90"),
            ("country board", coordinator, "/staff/cases/countries/"),
            ("staff home (panels)", coordinator, "/staff/"),
            ("open alerts (a small page: fixed cost)", coordinator, "/staff/cases/alerts/"),
        ]
        print(f"{'page':42} {'p50 ms':>8} {'p95 ms':>8} {'decrypt %':>10} {'floor ms':>9} {'ratio':>6} {'SQL':>4}")
        for label, user, url in pages:
            if not url or args.only not in label:
                continue
            client = _client(user)
            result = _measure(client, url, meter, args.iterations)
            floor = _floor(_recorded(client, url), args.iterations)
            print(f"{label:42} {result['p50']:8.1f} {result['p95']:8.1f} {result['decrypt']:10.1f} "
                  f"{floor['p50']:9.2f} {result['p50'] / max(floor['p50'], 1e-6):6.1f} {floor['queries']:4d}")
        _fixed_costs(coordinator, args.iterations)
    finally:
        keyd.terminate()
        keyd.wait(timeout=10)
        shutil.rmtree(sock_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
