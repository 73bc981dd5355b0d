"""Grow an existing demo installation to N cases by cloning its case rows in SQL,
for measuring the case pages at sizes a real demo takes too long to build.

    .venv/bin/python -m corridor.cli demo --cases 10000          # CORRIDOR_VAR=DIR
    .venv/bin/python -m bench.clone_cases --var DIR --cases 1000000 [--database-url URL]
    .venv/bin/python -m bench.cases_list --var DIR [--database-url URL] --iterations 30

What a clone is, and is not (say so beside any figure measured on clones):

* a new `cases_case` row with a new id and a new code (the original's prefix and
  number + round × 10^k, so codes stay unique, sortable and searchable), in rounds
  over the original cases, `INSERT … SELECT` in batches of `--batch` rows, one
  transaction each;
* it SHARES the original's person, so also its data key, name, identifiers, risk
  and wanted flag: the key agent unwraps the same keys again and an identifier
  search finds every clone of the person. Its encrypted summary, travel plan and
  intake are the original's ciphertexts (they are sealed under the person's key);
* same stage, furthest step, worker, dates (opened, stage since, closed) as the
  original, so the clones add cases to every period the originals are in;
* no household, no check-ins (`checkin_every_hours`, `next_checkin_due` empty), no
  stage history, notes, checklist ticks, applications, alerts, documents or audit
  entries: the lists and the board read none of these for the cases they count
  (the country board reads the applications' totals, which stay at the demo's);
* the person counter is moved past the highest clone code, so a new intake after
  cloning gets a free code.

Then the running totals are rebuilt (`corridor cases-recount`) and the statistics
refreshed (`ANALYZE`; `VACUUM ANALYZE` on PostgreSQL). Run it once on a fresh demo; a second run would clone the
clones too.
"""

from __future__ import annotations

import argparse
import os
import time


def _sql(vendor: str) -> dict[str, str]:
    if vendor == "postgresql":
        return {"uuid": "gen_random_uuid()",
                "prefix": "split_part(c.code, '-', 1)",
                "number": "CAST(split_part(c.code, '-', 2) AS integer)",
                "text": "CAST({} AS text)"}
    return {"uuid": "lower(hex(randomblob(16)))",
            "prefix": "substr(c.code, 1, instr(c.code, '-') - 1)",
            "number": "CAST(substr(c.code, instr(c.code, '-') + 1) AS integer)",
            "text": "CAST({} AS text)"}


def clone(target: int, batch: int = 20_000, log=print) -> int:
    """Clone the cases now in the database, round after round, until there are
    `target`. Returns how many rows were added."""
    from django.db import connection, transaction

    from corridor.cases.models import Case, CodeCounter

    vendor = connection.vendor
    sql = _sql(vendor)
    table = connection.ops.quote_name(Case._meta.db_table)
    originals = Case.objects.count()
    if originals == 0 or originals >= target:
        log(f"{originals:,} cases already; nothing to clone")
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({sql['number']}) FROM {table} c")
        highest = cursor.fetchone()[0] or 0
    base = 10 ** len(str(highest))  # clone r of number n gets r × base + n
    rounds = -(-(target - originals) // originals)
    if len(str(rounds * base + highest)) > 7:
        raise SystemExit(f"clone codes would pass 7 digits ({rounds} rounds of {originals:,}); clone fewer")

    columns, values = [], []
    for f in Case._meta.concrete_fields:
        column = connection.ops.quote_name(f.column)
        columns.append(column)
        if f.name == "id":
            values.append(sql["uuid"])
        elif f.name == "code":
            values.append(f"{sql['prefix']} || '-' || " + sql["text"].format(f"%s * {base} + {sql['number']}"))
        elif f.name in ("household", "checkin_every_hours", "next_checkin_due"):
            values.append("NULL")
        else:
            values.append(f"c.{column}")
    insert = (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} c "
              f"JOIN clone_source s ON s.case_id = c.id WHERE s.n > %s AND s.n <= %s")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS clone_source")
        id_type = "uuid" if vendor == "postgresql" else "char(32)"
        cursor.execute(f"CREATE TEMPORARY TABLE clone_source (n integer PRIMARY KEY, case_id {id_type} NOT NULL)")
        cursor.execute(f"INSERT INTO clone_source (n, case_id) SELECT ROW_NUMBER() OVER (ORDER BY id), id FROM {table}")
    added = 0
    for r in range(1, rounds + 1):
        lo = 0
        while lo < originals and originals + added < target:
            hi = min(lo + batch, originals, lo + target - originals - added)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(insert, [r, lo, hi])
            added += hi - lo
            lo = hi
        rate = added / max(time.perf_counter() - started, 1e-9)
        log(f"round {r}/{rounds}: {originals + added:,} cases ({rate:,.0f} rows/s)")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE clone_source")
    with transaction.atomic():
        for counter in CodeCounter.objects.select_for_update().filter(kind="person"):
            counter.last = max(counter.last, rounds * base + highest)
            counter.save(update_fields=["last"])
    log(f"cloned {added:,} cases in {time.perf_counter() - started:.0f} s")
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", required=True, help="CORRIDOR_VAR of the demo installation")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in --var)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="How many cases there should be in all.")
    parser.add_argument("--batch", type=int, default=20_000, help="Rows per INSERT … SELECT (one transaction).")
    args = parser.parse_args()
    os.environ["CORRIDOR_VAR"] = args.var
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    from corridor.cli import prepare_var

    prepare_var()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    clone(args.cases, args.batch)
    started = time.perf_counter()
    try:
        call_command("cases_recount")
    except SystemExit as exit_:  # status 1: the totals were repaired, as expected after cloning
        if exit_.code not in (0, 1, None):
            raise
    print(f"running totals rebuilt in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    # On PostgreSQL also VACUUM: index-only scans need the new pages marked all-visible.
    statement = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(statement)
    print(f"{statement} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
