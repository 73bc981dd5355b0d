"""Duress sign-in with the case lock, for a coordinator who reaches many cases.

The duress reaction (restriction, case lock, alert, audit) runs inside the padded
sign-in step, which never answers before CORRIDOR_SIGNIN_FLOOR_SECONDS (0.4 s). The
lock must fit well inside that floor, or a slow step would show that something
happened. Fills a fresh SQLite (or DATABASE_URL) database with --sizes cases of one
organisation (rows copied from one real case: nothing is decrypted here) and times,
median of --n each:
- `duress_sign_in` of a coordinator (locks every case of the organisation);
- `duress_sign_in` of a case worker holding 50 of them;
- `duress_sign_in` of an operator, who reaches no case (the reaction without a lock);
- the lock's INSERT ... SELECT alone (`cases_lock_for_duress` in a transaction).
Between runs the lock and the restriction are removed (not timed).

    .venv/bin/python -m bench.duress_lock [--sizes 10000,100000] [--n 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import uuid

from bench._common import django_setup, machine, start_keyd
from corridor.keyd.keystore import create_keystore
from corridor.keyd.testing import FAST_KDF

PASSPHRASE = "benchmark passphrase"


def _start_keyd(work: str) -> subprocess.Popen:
    from django.conf import settings

    keystore = os.path.join(work, "keystore.json")
    create_keystore(keystore, mode="passphrase", passphrase=PASSPHRASE, log_origin="bench", kdf_params=FAST_KDF)
    sock = os.path.join(tempfile.mkdtemp(prefix="kdd", dir="/tmp"), "s")
    proc = start_keyd(sock, keystore, os.path.join(work, "j.jsonl"), PASSPHRASE)
    settings.CORRIDOR_KEYD_SOCKET = sock
    return proc


def _fill(template, upto: int, start: int, worker_every: int, worker) -> None:
    """Copy the template case's row as stored (ciphertexts included) with new ids and
    codes: bulk_create would re-encrypt every row through the key agent."""
    from django.db import connection

    from corridor.cases.models import Case

    table = connection.ops.quote_name(Case._meta.db_table)
    pk = Case._meta.pk.get_db_prep_value(template.pk, connection)
    worker_id = Case._meta.get_field("worker").target_field.get_db_prep_value(worker.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        columns = [c[0] for c in cursor.description]
        row = list(cursor.fetchone())
        at = {name: columns.index(name) for name in ("id", "code", "worker_id")}
        sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
        batch = []
        for i in range(start, upto):
            copy = list(row)
            copy[at["id"]] = Case._meta.pk.get_db_prep_value(uuid.uuid4(), connection)
            copy[at["code"]] = f"B-{i + 2}"
            copy[at["worker_id"]] = worker_id if i % worker_every == 0 else None
            batch.append(copy)
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _reset() -> None:
    from corridor.accounts.duress import DuressPassphrase
    from corridor.cases.models import CaseLock, LockedCase

    LockedCase.objects.all().delete()
    CaseLock.objects.all().delete()
    DuressPassphrase.objects.update(restricted=None)


def _time_sign_in(user, n: int) -> tuple[list[float], int]:
    from corridor.accounts.duress import duress_sign_in
    from corridor.cases.models import LockedCase

    samples, locked = [], 0
    for _ in range(n):
        _reset()
        started = time.perf_counter()
        duress_sign_in(user=user, via="passphrase")
        samples.append(time.perf_counter() - started)
        locked = LockedCase.objects.count()
    _reset()
    return samples, locked


def _time_lock_alone(user, n: int) -> list[float]:
    from django.db import transaction

    from corridor.cases.services.locks import cases_lock_for_duress

    samples = []
    for _ in range(n):
        _reset()
        started = time.perf_counter()
        with transaction.atomic():
            cases_lock_for_duress(user=user)
        samples.append(time.perf_counter() - started)
    _reset()
    return samples


def _ms(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1e3:.1f} ms (max {max(samples) * 1e3:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--n", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    var = django_setup()
    import logging

    logging.getLogger("corridor.duress").setLevel(logging.ERROR)  # one warning per sign-in
    proc = _start_keyd(var)
    try:
        from django.conf import settings
        from django.db import connection

        from corridor.accounts.permissions import Role
        from corridor.accounts.services import organisation_create, user_create
        from corridor.cases.services import case_open, person_create
        from corridor.crypto.context import acting_as

        floor = float(os.environ.get("CORRIDOR_SIGNIN_FLOOR_SECONDS", "0.4"))
        print(machine(), "|", connection.vendor, "| sign-in floor", floor, "s (production default)",
              "| settings floor here", settings.CORRIDOR_SIGNIN_FLOOR_SECONDS)
        with acting_as("system:bench"):
            org = organisation_create(actor="system:bench", name="Bench", slug="bench", code_prefix="B")
            people = {}
            for name, role in (("coord", Role.COORDINATOR), ("worker", Role.CASE_WORKER), ("oper", Role.OPERATOR)):
                people[name], _device = user_create(actor="system:bench", organisation=org, username=name, role=role,
                                                    password="a long bench password 1", display_name=name)
            person = person_create(actor="system:bench", organisation=org, identity={"name_cyrillic": "Имя"},
                                   phone="+79280000001", notes="bench")
            template = case_open(actor="system:bench", person=person, summary="bench")
            have = 1
            for size in [int(s) for s in args.sizes.split(",")]:
                started = time.perf_counter()
                # A case worker holds about 50 of them, whatever the size.
                _fill(template, size, have, max(size // 50, 1), people["worker"])
                have = size
                print(f"\n{size:,} cases (filled in {time.perf_counter() - started:.0f} s)")
                coord, locked = _time_sign_in(people["coord"], args.n)
                print(f"  duress sign-in, coordinator ({locked:,} cases locked): {_ms(coord)}; "
                      f"{statistics.median(coord) / floor:.1%} of the floor")
                worker, locked = _time_sign_in(people["worker"], args.n)
                print(f"  duress sign-in, case worker ({locked:,} cases locked): {_ms(worker)}")
                oper, locked = _time_sign_in(people["oper"], args.n)
                print(f"  duress sign-in, operator ({locked} cases, no lock): {_ms(oper)}")
                alone = _time_lock_alone(people["coord"], args.n)
                print(f"  the lock alone (INSERT ... SELECT of {size:,} rows, audit entry): {_ms(alone)}; "
                      f"coordinator sign-in / operator sign-in {statistics.median(coord) / statistics.median(oper):.1f}x")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
