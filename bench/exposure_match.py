"""Exposure matching: a seized list of 5,000 contacts (CSV, messy formats) against
1,000,000 stored identifiers (blind indexes bulk-inserted directly, spread over
1,000 people), with a real key agent computing the list's blind indexes.

Reports the median of several runs of
- match only: blind indexes of the 5,000 (one agent round trip) + indexed lookups;
- full import: parse + normalise + index + match + store counts and matches
  ("check" purpose, so no rows are changed between runs).

    .venv/bin/python -m bench.exposure_match [--identifiers 1000000] [--contacts 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid

from bench._common import django_setup, machine


def messy(phone: str, rng: random.Random) -> str:
    d = phone[2:]
    return rng.choice([f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}",
                       f"8{d}", f"+7{d}", f"8({d[:3]}){d[3:]}"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identifiers", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="corridor-bench-exposure-")
    django_setup(var)

    from django.conf import settings
    from django.db import connection, transaction

    from corridor.accounts.services import organisation_create
    from corridor.cases.models import Person
    from corridor.crypto.context import acting_as
    from corridor.crypto.keys import blind_indexes, new_data_keys
    from corridor.crypto.models import DataKey
    from corridor.exposure import parsing
    from corridor.exposure.models import Identifier
    from corridor.exposure.services import find, index_pairs, list_import
    from corridor.keyd.testing import running_agent

    rng = random.Random(7)
    with running_agent(tempfile.mkdtemp(dir=var), unwrap_limit=10**8) as agent, acting_as("system:bench"):
        settings.CORRIDOR_KEYD_SOCKET = agent.socket_path
        org = organisation_create(actor="system:bench", name="Bench", slug="bench")
        start = time.perf_counter()
        keys = new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=args.people)
        people = [Person(organisation=org, code=f"K-{i:05d}", data_key=k) for i, k in enumerate(keys)]
        Person.objects.bulk_create(people, batch_size=1000)
        # The 5,000 seized numbers; 1 % of them are ours (indexed by the agent below).
        seized = [f"+79{rng.randrange(10**9):09d}" for _ in range(args.contacts)]
        ours = seized[:: 100]
        real_indexes = blind_indexes("phone", ours, normalised=True)
        table = Identifier._meta.db_table
        columns = ["id", "organisation_id", "kind", "index", "value", "data_key_id", "person_id", "contact_id",
                   "created"]
        sql = f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
        now = "2026-01-01 00:00:00"
        dummy_value = b"\x01" + os.urandom(40)  # stands in for the AES-GCM ciphertext beside the index
        org_id = org.pk.hex
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache for the bulk load
        with transaction.atomic(), connection.cursor() as cursor:
            batch = []
            for n in range(args.identifiers):
                person = people[n % len(people)]
                index = real_indexes[n] if n < len(real_indexes) else os.urandom(16)
                batch.append((uuid.uuid4().hex, org_id, "phone", index, dummy_value, person.data_key_id.hex,
                              person.pk.hex, None, now))
                if len(batch) == 20_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        setup = time.perf_counter() - start
        csv_text = "Имя;Телефон;Заметка\n" + "\n".join(
            f"Контакт {i};{messy(p, rng)};" for i, p in enumerate(seized)) + "\n"

        match_times, import_times, index_times, lookup_times = [], [], [], []
        floor_hmac, floor_query, parse_times = [], [], []
        import hashlib
        import hmac as hmac_mod
        floor_key = os.urandom(32)
        floor_values = [v.encode() for v in seized]
        floor_indexes = real_indexes + [os.urandom(16) for _ in range(args.contacts - len(real_indexes))]
        for _ in range(args.runs):
            # The floor: 5,000 HMACs in this process, and one indexed IN query of 5,000
            # blind indexes against the identifiers table in one statement.
            t = time.perf_counter()
            [hmac_mod.digest(floor_key, v, hashlib.sha256)[:16] for v in floor_values]
            floor_hmac.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw = connection.connection
            placeholders = ",".join("?" * len(floor_indexes)) if connection.vendor == "sqlite" else None
            if connection.vendor == "sqlite":
                list(raw.execute(f'SELECT person_id FROM "{table}" WHERE "index" IN ({placeholders})', floor_indexes))
            else:
                with connection.cursor() as cursor:
                    cursor.execute(f'SELECT person_id FROM "{table}" WHERE "index" = ANY(%s)', [floor_indexes])
                    cursor.fetchall()
            floor_query.append(time.perf_counter() - t)
            t = time.perf_counter()
            parsing.parse(csv_text.encode(), "seized.csv")
            parse_times.append(time.perf_counter() - t)
            parsed = parsing.parse(csv_text.encode(), "seized.csv")
            values = {"phone": sorted({v for _, k, v in parsed.entries if k == "phone"})}
            t = time.perf_counter()
            indexed = index_pairs(values)
            t1 = time.perf_counter()
            hits = find(org, [("phone", i) for i in indexed.values()])
            t2 = time.perf_counter()
            match_times.append(t2 - t)
            index_times.append(t1 - t)
            lookup_times.append(t2 - t1)
            t = time.perf_counter()
            imp = list_import(actor="system:bench", organisation=org, data=csv_text.encode(), filename="seized.csv",
                              purpose="check", label="bench")
            import_times.append(time.perf_counter() - t)
        assert len(hits.people) == len(ours), (len(hits.people), len(ours))
        assert imp.matched_people == len(ours) and imp.unique == len(set(seized))
        print(f"machine: {machine()}; database: {connection.vendor}")
        print(f"setup: {args.identifiers:,} identifiers over {args.people:,} people inserted in {setup:.1f} s")
        print(f"match only (index {args.contacts:,} via keyd + lookups): median "
              f"{statistics.median(match_times) * 1000:.0f} ms, min {min(match_times) * 1000:.0f} ms "
              f"({len(hits.people)} of our people found)")
        med = statistics.median
        floor = med(floor_hmac) + med(floor_query)
        print(f"  of which blind indexes via keyd {med(index_times) * 1000:.1f} ms, lookups {med(lookup_times) * 1000:.1f} ms")
        print(f"floor: {args.contacts:,} HMAC-SHA256 in-process {med(floor_hmac) * 1000:.1f} ms + one IN query "
              f"{med(floor_query) * 1000:.1f} ms = {floor * 1000:.1f} ms; match/floor "
              f"{med(match_times) / floor:.1f}x; CSV parse alone {med(parse_times) * 1000:.0f} ms")
        print(f"full import (parse CSV + normalise + index + match + store): median "
              f"{statistics.median(import_times) * 1000:.0f} ms, min {min(import_times) * 1000:.0f} ms")
        print(f"SUMMARY exposure_match: {args.contacts:,} seized contacts against {args.identifiers:,} identifiers: "
              f"match {statistics.median(match_times) * 1000:.0f} ms, full import "
              f"{statistics.median(import_times) * 1000:.0f} ms (target < 1 s)")


if __name__ == "__main__":
    main()
