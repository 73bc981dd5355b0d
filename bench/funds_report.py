"""Transparency report over 1,000,000 transactions (target: < 10 s; DESIGN.md).

Bulk-inserts synthetic donations and expenses (two years, RUB/EUR/USD, every
category, daily exchange rates), then times what publishing a report computes:
the database aggregation (GROUP BY month, category or source, currency and day,
each group converted at its day's rate), the whole snapshot (with disclosure
control and the programme figures), the page's view with its SVG charts, and one
typst PDF. No key agent is needed: nothing in a report is decrypted.

    .venv/bin/python -m bench.funds_report [--transactions 1000000] [--database-url postgres://...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import date, timedelta

from bench._common import django_setup, machine

CATEGORIES = ["housing", "medical", "psychological", "relocation", "documents", "basic_needs", "cash",
              "security", "staff", "other"]
SOURCES = ["organisation", "individual", "anonymous"]
CURRENCIES = [("RUB", 7), ("EUR", 2), ("USD", 1)]
START = date(2023, 1, 1)
DAYS = 730


def _rows(n: int, rng: random.Random, org_id):
    currencies, weights = zip(*CURRENCIES, strict=True)
    for _ in range(n):
        day = START + timedelta(days=rng.randrange(DAYS))
        currency = rng.choices(currencies, weights)[0]
        minor = rng.randint(500, 50_000) * (100 if currency == "RUB" else 1)
        yield day, currency, minor


def populate(transactions: int, seed: int = 1) -> object:
    from django.db import connection, transaction

    from corridor.accounts.models import Organisation
    from corridor.funds.models import ExchangeRate

    rng = random.Random(seed)
    org = Organisation.objects.create(name="Bench", slug="bench", code_prefix="B")
    rates = []
    rub, eur = 75.0, 1.08
    for i in range(DAYS + 1):
        day = START + timedelta(days=i)
        rub = min(110.0, max(55.0, rub + rng.uniform(-0.6, 0.6)))
        eur = min(1.25, max(0.95, eur + rng.uniform(-0.004, 0.004)))
        rates.append(ExchangeRate(organisation=org, currency="RUB", quote="USD", date=day,
                                  rate=f"{1 / rub:.8f}"))
        rates.append(ExchangeRate(organisation=org, currency="EUR", quote="USD", date=day, rate=f"{eur:.6f}"))
    ExchangeRate.objects.bulk_create(rates)

    pg = connection.vendor == "postgresql"
    key = (lambda u: u) if pg else (lambda u: u.hex)
    org_key = key(org.pk)
    n_donations = transactions * 3 // 10
    started = time.perf_counter()
    donation_sql = ("INSERT INTO funds_donation (id, organisation_id, date, month, amount_minor, currency, "
                    "created, source, restriction) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '')")
    expense_sql = ("INSERT INTO funds_expense (id, organisation_id, date, month, amount_minor, currency, created, "
                   "category, status, receipt_blob, receipt_type) "
                   "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '', '')")
    now = "2025-01-01 00:00:00+00:00"
    batch = 20_000
    with connection.cursor() as cursor:
        for kind, total in (("donation", n_donations), ("expense", transactions - n_donations)):
            rows = _rows(total, rng, org_id=org_key)
            done = 0
            while done < total:
                size = min(batch, total - done)
                values = []
                for day, currency, minor in (next(rows) for _ in range(size)):
                    common = (key(uuid.uuid4()), org_key, day, day.replace(day=1), minor, currency, now)
                    if kind == "donation":
                        values.append((*common, rng.choice(SOURCES)))
                    else:
                        status = "approved" if rng.random() < 0.97 else "pending"
                        values.append((*common, rng.choice(CATEGORIES), status))
                with transaction.atomic():
                    cursor.executemany(donation_sql if kind == "donation" else expense_sql, values)
                done += size
    # Fresh statistics (autovacuum would do this on a live server); on PostgreSQL
    # VACUUM also sets the visibility map, so the covering indexes are index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE funds_donation, funds_expense" if pg else "ANALYZE")
    print(f"inserted {transactions:,} transactions ({n_donations:,} donations) "
          f"in {time.perf_counter() - started:.0f} s")
    return org


def timed(label: str, fn, repeat: int):
    """Median of `repeat` warm runs (the first, cold run is discarded), so a part is
    never timed cold while the whole that contains it is timed warm."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    elapsed = statistics.median(times)
    print(f"{label}: median {elapsed:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})")
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    django_setup()
    from django.db import connection

    from corridor.reports.pdf import render_pdf
    from corridor.reports.presentation import present
    from corridor.reports.services import digest_of
    from corridor.reports.transparency import build, finance_figures

    print(f"# {machine()}; database: {connection.vendor}")
    org = populate(args.transactions)
    end = date(2024, 12, 1)
    _, aggregate = timed("aggregation only (income + spending, 24 months, converted)",
                         lambda: finance_figures(org, START, end, "USD"), args.repeat)
    snapshot, snap = timed("full snapshot (aggregation + disclosure control + programme)",
                           lambda: build(org, start=START, end=end, currency="USD", today=date(2025, 6, 1)),
                           args.repeat)
    _, view = timed("page view with four SVG charts (ru)", lambda: present(snapshot, "ru"), args.repeat)
    _, pdf = timed("typst PDF (ru)", lambda: render_pdf(snapshot, "ru", digest=digest_of(snapshot)), args.repeat)
    total = snap + view + pdf
    print(f"report generation for {args.transactions:,} transactions: {total:.2f} s "
          f"(target < 10 s: {'met' if total < 10 else 'MISSED'})")
    print(f"totals: received {snapshot['income']['total']} USD, spent {snapshot['spending']['total']} USD")
    print(f"aggregation is {aggregate / snap:.0%} of the snapshot that contains it")


if __name__ == "__main__":
    main()
