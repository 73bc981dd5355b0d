"""Server time of the case page among 100,000 cases (target: p95 < 300 ms; see
DESIGN.md), with the share spent decrypting.

Builds its own data in a fresh SQLite database (or DATABASE_URL) in about a minute,
instead of the full demo (4.5 minutes): 100,000 filler people and cases bulk-inserted
(one stage change each, sharing one filler data key, so the tables and indexes are the
size of a real installation), then a few real cases made with the services the pages
use — notes, check-ins, documents, a household, stages up to "sheltered" — whose page
is measured. In-process Django test client against a real key agent in its own
process, so every request pays the Unix-socket round trips.

    .venv/bin/python -m bench.case_page [--cases 100000] [--iterations 200] [--compare-renderer]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta

from bench._common import django_setup, machine, start_keyd

PASSPHRASE = "benchmark passphrase"

# `web/form_fields.html` as a template, before it became the `{% form_fields %}` tag
# (corridor/web/templatetags/corridor_forms.py): the "before" of --compare-renderer.
TEMPLATE_FORM_FIELDS = '{% load i18n %}{% if form.non_field_errors %}<div class="alert" role="alert">{% for e in form.non_field_errors %}<p>{{ e }}</p>{% endfor %}</div>{% endif %}\n{% for field in form %}{% if field.is_hidden %}{{ field }}{% else %}\n<div class="field{% if field.errors %} has-error{% endif %}">\n  {% if field.widget_type == "checkbox" %}<label>{{ field }} {{ field.label }}</label>{% else %}\n  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="req" aria-hidden="true">*</span>{% endif %}</label>\n  {{ field }}{% endif %}\n  {% if field.help_text %}<small class="help">{{ field.help_text }}</small>{% endif %}\n  {% for e in field.errors %}<p class="error" role="alert">{{ e }}</p>{% endfor %}\n</div>{% endif %}{% endfor %}\n'


def _start_keyd(work: str) -> tuple[subprocess.Popen, str]:
    from corridor.keyd.keystore import create_keystore
    from corridor.keyd.testing import FAST_KDF

    keystore = os.path.join(work, "keystore.json")
    create_keystore(keystore, mode="passphrase", passphrase=PASSPHRASE, log_origin="bench", kdf_params=FAST_KDF)
    sock = os.path.join(tempfile.mkdtemp(prefix="kdc", dir="/tmp"), "s")
    return start_keyd(sock, keystore, os.path.join(work, "j.jsonl"), PASSPHRASE), sock


def _filler(org, count: int) -> None:
    """`count` people with their cases and first stage change, in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from corridor.cases.models import Case, CodeCounter, Person, Stage, StageChange
    from corridor.crypto.keys import new_data_keys

    (key,) = new_data_keys(scope="person", organisation=org, count=1)
    rng = random.Random(2017)
    stages = [s for s in Stage.values]
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        people, cases, changes = [], [], []
        for i in range(start, min(start + batch, count)):
            opened = now - timedelta(days=rng.randint(1, 2500))
            person = Person(id=uuid.uuid4(), organisation=org, code=f"{org.code_prefix}-{i + 1:06d}", data_key=key,
                            risk=rng.randint(1, 5), created=opened)
            case = Case(id=uuid.uuid4(), organisation=org, code=person.code, person=person,
                        stage=rng.choice(stages), opened=opened, stage_since=opened)
            people.append(person)
            cases.append(case)
            changes.append(StageChange(case=case, from_stage="", to_stage=case.stage, at=opened, recorded=opened))
        with transaction.atomic():
            Person.objects.bulk_create(people)
            Case.objects.bulk_create(cases)
            StageChange.objects.bulk_create(changes)
    CodeCounter.objects.update_or_create(organisation=org, kind="person", defaults={"last": count})


def _real_cases(org, worker, n: int) -> list:
    from corridor.cases import services
    from corridor.cases.models import Stage
    from corridor.cases.tests.conftest import advance

    made = []
    for i in range(n):
        person = services.person_create(actor="system:bench", organisation=org,
                                        identity={"name_cyrillic": f"Ислам {i}", "name_latin": f"Islam {i}",
                                                  "gender_identity": "man"},
                                        phone=f"+7928{i:07d}", notes="Просит помочь с лекарствами.", risk=3)
        case = services.case_open(actor="system:bench", person=person, worker=worker, summary="Задержание у дома.")
        advance(case, Stage.SHELTERED, actor="system:bench")
        case.refresh_from_db()
        for j in range(20):
            services.note_add(actor="system:bench", case=case, kind="call", text=f"Созвонились, всё спокойно ({j}).")
        for _ in range(10):
            services.checkin_record(actor="system:bench", case=case, status="ok", channel="messenger", note="")
        services.document_add(actor="system:bench", person=case.person, kind="internal_passport", status="have",
                              number="96 12 345678")
        made.append(case)
    return made


def _profile(client, url: str) -> None:
    """One warm request: how many queries (and which repeat, the N+1 sign) and
    where the time goes."""
    import cProfile
    import pstats
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    shapes = Counter(q["sql"].split(" WHERE ")[0][:90] for q in queries.captured_queries)
    print(f"queries: {len(queries)}; repeated shapes: "
          f"{[(n, s) for s, n in shapes.most_common(5) if n > 1]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"corridor", 25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def _cpu_ms(client, url: str, n: int) -> float:
    """Median CPU time of this process per request: what the page costs the server,
    far less moved by other work on the machine than the wall-clock time (the key
    agent's share is in its own process and the same for both arms)."""
    spent = []
    for _ in range(n):
        start = time.process_time()
        assert client.get(url).status_code == 200, url
        spent.append(time.process_time() - start)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=3, help="fully built cases whose page is measured")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--compare-renderer", action="store_true",
                        help="measure each page twice in the same run, alternating: with Django's template "
                             "widget renderer and the form_fields template (before), and with the project's "
                             "Python widget renderer and {% form_fields %} tag (after)")
    parser.add_argument("--profile", action="store_true",
                        help="also print one request's queries (with repeats) and its slowest functions")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    var = django_setup()
    proc, sock = _start_keyd(var)
    try:
        from django.conf import settings
        from django.db import connection

        settings.CORRIDOR_KEYD_SOCKET = sock
        from bench.cases_list import Meter, _client, _measure
        from corridor.accounts.permissions import Role
        from corridor.accounts.services import organisation_create, totp_device, user_create
        from corridor.cases.models import Case
        from corridor.crypto.context import acting_as

        with acting_as("system:bench"):
            org = organisation_create(actor="system:bench", name="Bench", slug="bench", code_prefix="K",
                                      time_zone="Europe/Moscow")
            worker, _ = user_create(actor="system:bench", organisation=org, username="worker",
                                    role=Role.CASE_WORKER, password="a long bench password 1")
            coordinator, _ = user_create(actor="system:bench", organisation=org, username="coordinator",
                                         role=Role.COORDINATOR, password="a long bench password 1")
            for user in (worker, coordinator):
                device = totp_device(user)
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            started = time.perf_counter()
            _filler(org, args.cases)
            filled = time.perf_counter() - started
            real = _real_cases(org, worker, args.real)
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; database: {connection.vendor}; "
              f"cases: {Case.objects.count():,} "
              f"(filler built in {filled:.0f} s); iterations: {args.iterations} per page")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if args.profile:
            _profile(_client(worker), f"/staff/cases/{real[0].code}/")
        from django.test.utils import override_settings

        meter = Meter()
        renderers = {"": {}}
        if args.compare_renderer:
            templates = [{**settings.TEMPLATES[0], "APP_DIRS": False, "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"], "loaders": [("django.template.loaders.cached.Loader", [
                    ("django.template.loaders.locmem.Loader", {"web/form_fields.html": TEMPLATE_FORM_FIELDS}),
                    "django.template.loaders.app_directories.Loader"])]}}]
            renderers = {" [templates]": {"FORM_RENDERER": "django.forms.renderers.DjangoTemplates",
                                          "TEMPLATES": templates},
                         " [python]": {}}
        print(f"{'page':54} {'p50 ms':>8} {'p95 ms':>8} {'decrypt %':>10} {'CPU p50 ms':>11}")
        results = {tag: [] for tag in renderers}
        for label, user in (("case page, assigned worker", worker), ("case page, coordinator", coordinator)):
            for case in real:
                client = _client(user)
                url = f"/staff/cases/{case.code}/"
                for tag, overrides in renderers.items():
                    with override_settings(**overrides):
                        result = _measure(client, url, meter, args.iterations // len(real), warmup=5)
                        result["cpu"] = _cpu_ms(client, url, args.iterations // len(real))
                    results[tag].append(result)
                    print(f"{label + ' ' + case.code + tag:54} {result['p50']:8.1f} {result['p95']:8.1f} "
                          f"{result['decrypt']:10.1f} {result['cpu']:11.1f}")
        # The floor in the same run: the indexed lookup of one case by its code.
        floor = []
        for case in real * 50:
            t = time.perf_counter()
            Case.objects.filter(organisation=org, code=case.code).values_list("id", flat=True).get()
            floor.append(time.perf_counter() - t)
        for tag, rows in results.items():
            print(f"{tag.strip() or 'all'}: worst p95 {max(r['p95'] for r in rows):.1f} ms; median p50 "
                  f"{statistics.median(r['p50'] for r in rows):.1f} ms; median CPU "
                  f"{statistics.median(r['cpu'] for r in rows):.1f} ms")
        print(f"floor (one indexed case lookup) p50 {statistics.median(floor) * 1000:.2f} ms; "
              f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
