"""A 2017-sized year replayed as a new organisation would: the year's records
imported with `corridor import_history` (84 contacts, one spam, one provocation,
43 people out of the region, 9 out of the country) beside the year's books
(USD 170,000 from named organisations, 26,000 private, 70,000 spent). The report
publishes its headline figures, under disclosure control, in both languages."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from corridor.reports.transparency import build

pytestmark = pytest.mark.django_db

JOURNEY = ["vetting", "accepted", "leaving_region", "sheltered", "documents", "visa_asylum", "departed",
           "resettled"]
# furthest step → people; 82 people, 43 of them sheltered or further, 9 departed or further.
COHORT = [("resettled", 4), ("departed", 5), ("visa_asylum", 10), ("documents", 9), ("sheltered", 15),
          ("accepted", 14), ("vetting", 10), ("declined", 6), ("referred", 5), ("new", 4)]


def year_2017_csv() -> str:
    rng = random.Random(2017)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ref", "contacted", "channel", "outcome", "note", *JOURNEY])
    n = 0
    for furthest, count in COHORT:
        for _ in range(count):
            n += 1
            at = datetime(2017, 3, 29) + timedelta(days=rng.randint(0, 150), hours=rng.randint(0, 23))
            row = {"ref": f"R-{n:03d}", "contacted": f"{at:%Y-%m-%d %H:%M}",
                   "channel": rng.choice(["phone", "telegram", "signal"]), "outcome": ""}
            if furthest in JOURNEY:
                for stage in JOURNEY[: JOURNEY.index(furthest) + 1]:
                    at += timedelta(days=rng.randint(1, 9))
                    row[stage] = f"{min(at, datetime(2017, 12, 31)):%Y-%m-%d}"
            else:
                row["outcome"] = furthest
            writer.writerow([row.get(c, "") for c in ["ref", "contacted", "channel", "outcome", "note", *JOURNEY]])
    writer.writerow(["R-spam", "2017-06-01", "telegram", "spam", "", *[""] * len(JOURNEY)])
    writer.writerow(["R-prov", "2017-06-02", "phone", "provocation", "asked for the flat's address twice",
                     *[""] * len(JOURNEY)])
    return out.getvalue()


def test_a_replayed_2017_publishes_its_headline_figures(tmp_path, books_2017, cast, report_day):
    path = tmp_path / "2017.csv"
    path.write_text(year_2017_csv(), encoding="utf-8")
    out = StringIO()
    call_command("import_history", str(path), "--by", cast.coordinator.username, stdout=out, stderr=StringIO())
    assert "84 row(s): 84 contact(s)" in out.getvalue()
    report = build(books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=report_day)
    en = {row["key"]: row["label"]["en"] for row in report["programme"]["period"]}
    ru = {row["key"]: row["label"]["ru"] for row in report["programme"]["period"]}
    assert en["contacted"] == "more than 80" and ru["contacted"] == "более 80"
    assert en["left_region"] == "more than 40" and ru["left_region"] == "более 40"
    assert en["left_country"] == "fewer than 10" and ru["left_country"] == "менее 10"
    assert en["assisted"] == "more than 55"  # 57 accepted
    values = [row["value"] for row in report["programme"]["period"] if row["value"] is not None]
    assert values == sorted(values, reverse=True)  # the published funnel narrows
    by_source = {row["key"]: row["amount"] for row in report["income"]["by_source"]}
    assert by_source == {"organisation": "170000", "individual": "26000"}
    assert report["spending"]["total"] == "70000" and report["donors"]["organisations"]
