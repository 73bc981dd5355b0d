"""Running totals of cases and applications, kept in step by the services.

Every service that opens, moves, assigns or transfers a case, or adds or decides an
application, calls one function here inside its own transaction, so a total is
never ahead of or behind the rows it counts: a rollback undoes both. The board and
the lists read these rows (a few hundred at most) instead of counting up to a
million cases on every page view.

A case contributes one unit to each of: its organisation's total (`all`), its
worker's (`worker`, "none" when unassigned) and each distinct country it applied to
(`country`), at its stage and furthest step reached; and one unit to the day its
current stage began (`StageDay`, overall and per worker). A change is applied as
the difference between the case's contributions before and after, upserted with
`n = n + delta` in one statement per table, in a fixed key order so two
transactions on PostgreSQL lock the rows they share in the same order.

`recount()` rebuilds every total from the tables and `repair()` writes the
difference (`corridor cases_recount`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from corridor.cases.models import (
    Application,
    ApplicationTally,
    Case,
    CaseTally,
    StageDay,
)

ALL, WORKER, COUNTRY = "all", "worker", "country"
NO_WORKER = "none"
Decision = Application.Decision


def worker_key(worker_id) -> str:
    return str(worker_id) if worker_id else NO_WORKER


def _day(moment) -> date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


@dataclass(frozen=True)
class Snapshot:
    organisation_id: object
    stage: str
    reached: int
    day: date
    worker: str
    countries: frozenset = field(default_factory=frozenset)

    def tallies(self) -> Counter:
        org = str(self.organisation_id)
        keys = [(ALL, ""), (WORKER, self.worker), *((COUNTRY, c) for c in self.countries)]
        return Counter({(org, dim, key, self.stage, self.reached): 1 for dim, key in keys})

    def days(self) -> Counter:
        org = str(self.organisation_id)
        return Counter({(org, dim, key, self.day, self.stage): 1 for dim, key in ((ALL, ""), (WORKER, self.worker))})


def countries_of(case_id) -> frozenset:
    return frozenset(Application.objects.filter(case_id=case_id).values_list("country_id", flat=True).distinct())


def snapshot(case: Case, *, countries: frozenset | None = None) -> Snapshot:
    """What `case` contributes now; the countries are read unless given."""
    return Snapshot(case.organisation_id, case.stage, case.reached, _day(case.stage_since), worker_key(case.worker_id),
                    countries_of(case.pk) if countries is None else frozenset(countries))


def case_counted(case: Case) -> None:
    """A new case (no applications yet)."""
    _apply(None, snapshot(case, countries=frozenset()))


def case_changed(before: Snapshot, case: Case, *, countries: frozenset | None = None) -> Snapshot:
    """`case` now, against `before` taken in the same transaction before the change."""
    after = snapshot(case, countries=before.countries if countries is None else countries)
    _apply(before, after)
    return after


def case_uncounted(before: Snapshot) -> None:
    _apply(before, None)


def _apply(before: Snapshot | None, after: Snapshot | None) -> None:
    tallies, days = Counter(), Counter()
    if after is not None:
        tallies.update(after.tallies())
        days.update(after.days())
    if before is not None:
        tallies.subtract(before.tallies())
        days.subtract(before.days())
    _bump(CaseTally, ["organisation_id", "dim", "key", "stage", "reached"], tallies)
    _bump(StageDay, ["organisation_id", "dim", "key", "day", "stage"], days)


# --- applications ----------------------------------------------------------------


def _application_row(org_id, country, programme, decision, submitted, decided) -> tuple[tuple, tuple]:
    waited = decided is not None and decision in (Decision.GRANTED, Decision.REFUSED)
    return ((str(org_id), country, programme, decision),
            (1, (decided - submitted).days if waited else 0, 1 if waited else 0))


def application_changed(*, organisation_id, application: Application, before: tuple | None) -> None:
    """`before` is `(decision, decided)` as stored before the change, None for a new one."""
    deltas: dict[tuple, list[int]] = {}

    def add(key, values, sign):
        row = deltas.setdefault(key, [0, 0, 0])
        for i, v in enumerate(values):
            row[i] += sign * v

    if before is not None:
        add(*_application_row(organisation_id, application.country_id, application.programme, before[0],
                              application.submitted, before[1]), -1)
    add(*_application_row(organisation_id, application.country_id, application.programme, application.decision,
                          application.submitted, application.decided), 1)
    _bump_applications(deltas)


def applications_moved(case_ids, *, from_org, to_org) -> None:
    """Applications follow their case to another organisation (a referral)."""
    deltas: dict[tuple, list[int]] = {}
    for country, programme, decision, submitted, decided in Application.objects.filter(
            case_id__in=list(case_ids)).values_list("country_id", "programme", "decision", "submitted", "decided"):
        for org, sign in ((from_org, -1), (to_org, 1)):
            key, values = _application_row(org, country, programme, decision, submitted, decided)
            row = deltas.setdefault(key, [0, 0, 0])
            for i, v in enumerate(values):
                row[i] += sign * v
    _bump_applications(deltas)


def _bump_applications(deltas: dict[tuple, list[int]]) -> None:
    rows = sorted((k, v) for k, v in deltas.items() if any(v))
    if rows:
        _upsert(ApplicationTally, ["organisation_id", "country", "programme", "decision"], ["n", "wait_sum", "wait_n"],
                [(*k, *v) for k, v in rows])


# --- the one write ------------------------------------------------------------------


def _bump(model, key_columns: list[str], deltas: Counter) -> None:
    rows = sorted((k, v) for k, v in deltas.items() if v)
    if rows:
        _upsert(model, key_columns, ["n"], [(*k, v) for k, v in rows])


def _upsert(model, key_columns: list[str], value_columns: list[str], rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET v = v + excluded.v (SQLite ≥ 3.24 and
    PostgreSQL): one statement, no read-modify-write race between transactions."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = key_columns + value_columns
    prep = [_prep(model, c) for c in columns]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sets = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in value_columns)
    # Identifiers come from model metadata, quoted; every value is a parameter.
    names, keys = ", ".join(qn(c) for c in columns), ", ".join(qn(c) for c in key_columns)
    values = ", ".join([placeholders] * len(rows))
    sql = f"INSERT INTO {table} ({names}) VALUES {values} ON CONFLICT ({keys}) DO UPDATE SET {sets}"  # noqa: S608
    params = [p(v) for row in rows for p, v in zip(prep, row, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _prep(model, column: str):
    f = next(f for f in model._meta.concrete_fields if f.column == column)
    return lambda value: f.get_db_prep_save(value, connection)


# --- reads ---------------------------------------------------------------------------


def tally(organisation_id, dim: str = ALL, key: str = "") -> dict[tuple[str, int], int]:
    """(stage, reached) → cases, for one total."""
    return {(s, r): n for s, r, n in CaseTally.objects.filter(organisation_id=organisation_id, dim=dim, key=key)
            .exclude(n=0).values_list("stage", "reached", "n")}


def tally_by_key(organisation_id, dim: str, stages) -> dict[str, int]:
    """key → cases at any of `stages`, for every key of one dimension (caseload)."""
    rows = (CaseTally.objects.filter(organisation_id=organisation_id, dim=dim, stage__in=list(stages))
            .values("key").annotate(total=Sum("n")).values_list("key", "total"))
    return {k: n for k, n in rows if n}


def recent_days(organisation_id, dim: str, key: str, *, since: date) -> list[tuple[str, date, int]]:
    return list(StageDay.objects.filter(organisation_id=organisation_id, dim=dim, key=key, day__gte=since)
                .exclude(n=0).values_list("stage", "day", "n"))


def count(organisation_id, *, stages=None, dim: str = ALL, key: str = "") -> int:
    qs = CaseTally.objects.filter(organisation_id=organisation_id, dim=dim, key=key)
    if stages is not None:
        qs = qs.filter(stage__in=list(stages))
    return qs.aggregate(total=Sum("n"))["total"] or 0


def applications(organisation_id, *, programme: str = "") -> list[tuple]:
    qs = ApplicationTally.objects.filter(organisation_id=organisation_id).exclude(n=0)
    if programme:
        qs = qs.filter(programme=programme)
    return list(qs.values_list("country", "programme", "decision", "n", "wait_sum", "wait_n"))


# --- recount and repair -------------------------------------------------------------------


@dataclass
class Totals:
    tallies: Counter
    days: Counter
    applications: dict


def _models(apps=None):
    if apps is None:
        return Case, Application, CaseTally, StageDay, ApplicationTally
    return tuple(apps.get_model("cases", name) for name in
                 ("Case", "Application", "CaseTally", "StageDay", "ApplicationTally"))


def recount(organisation_id=None, *, apps=None) -> Totals:
    """Every total computed from the cases and applications themselves."""
    Case, Application, *_ = _models(apps)  # noqa: N806
    cases = Case.objects.all() if organisation_id is None else Case.objects.filter(organisation_id=organisation_id)
    tallies: Counter = Counter()
    days: Counter = Counter()
    for org, stage, reached, n in (cases.order_by().values("organisation_id", "stage", "reached")
                                   .annotate(n=Count("*")).values_list("organisation_id", "stage", "reached", "n")):
        tallies[(str(org), ALL, "", stage, reached)] += n
    for org, worker, stage, reached, n in (
            cases.order_by().values("organisation_id", "worker_id", "stage", "reached").annotate(n=Count("*"))
            .values_list("organisation_id", "worker_id", "stage", "reached", "n")):
        tallies[(str(org), WORKER, worker_key(worker), stage, reached)] += n
    apps = Application.objects.filter(case__in=cases)
    for org, country, stage, reached, n in (
            apps.order_by().values("case__organisation_id", "country_id", "case__stage", "case__reached")
            .annotate(n=Count("case_id", distinct=True))
            .values_list("case__organisation_id", "country_id", "case__stage", "case__reached", "n")):
        tallies[(str(org), COUNTRY, country, stage, reached)] += n
    tz = timezone.get_current_timezone()
    for org, worker, day, stage, n in (
            cases.order_by().annotate(day=TruncDate("stage_since", tzinfo=tz))
            .values("organisation_id", "worker_id", "day", "stage").annotate(n=Count("*"))
            .values_list("organisation_id", "worker_id", "day", "stage", "n")):
        days[(str(org), ALL, "", day, stage)] += n
        days[(str(org), WORKER, worker_key(worker), day, stage)] += n
    applications: dict[tuple, list[int]] = {}
    for org, country, programme, decision, submitted, decided in apps.values_list(
            "case__organisation_id", "country_id", "programme", "decision", "submitted", "decided").iterator(
            chunk_size=5000):
        key, values = _application_row(org, country, programme, decision, submitted, decided)
        row = applications.setdefault(key, [0, 0, 0])
        for i, v in enumerate(values):
            row[i] += v
    return Totals(+tallies, +days, applications)


def stored(organisation_id=None, *, apps=None) -> Totals:
    _, _, CaseTally, StageDay, ApplicationTally = _models(apps)  # noqa: N806

    def scope(model):
        qs = model.objects.exclude(n=0)
        return qs if organisation_id is None else qs.filter(organisation_id=organisation_id)

    tallies = Counter({(str(o), d, k, s, r): n for o, d, k, s, r, n in scope(CaseTally).values_list(
        "organisation_id", "dim", "key", "stage", "reached", "n")})
    days = Counter({(str(o), d, k, day, s): n for o, d, k, day, s, n in scope(StageDay).values_list(
        "organisation_id", "dim", "key", "day", "stage", "n")})
    applications = {(str(o), c, p, d): [n, ws, wn] for o, c, p, d, n, ws, wn in scope(ApplicationTally).values_list(
        "organisation_id", "country", "programme", "decision", "n", "wait_sum", "wait_n")}
    return Totals(tallies, days, applications)


@dataclass
class Difference:
    tallies: Counter
    days: Counter
    applications: dict

    def __bool__(self) -> bool:
        return bool(self.tallies or self.days or self.applications)

    @property
    def rows(self) -> int:
        return len(self.tallies) + len(self.days) + len(self.applications)


def difference(organisation_id=None, *, apps=None) -> Difference:
    """What would have to be added to the stored totals to make them right."""
    want, have = recount(organisation_id, apps=apps), stored(organisation_id, apps=apps)
    tallies = Counter(want.tallies)
    tallies.subtract(have.tallies)
    days = Counter(want.days)
    days.subtract(have.days)
    applications = {}
    for key in set(want.applications) | set(have.applications):
        w, h = want.applications.get(key, [0, 0, 0]), have.applications.get(key, [0, 0, 0])
        delta = [a - b for a, b in zip(w, h, strict=True)]
        if any(delta):
            applications[key] = delta
    return Difference(Counter({k: v for k, v in tallies.items() if v}),
                      Counter({k: v for k, v in days.items() if v}), applications)


def repair(organisation_id=None, *, actor="system:recount", dry_run: bool = False, apps=None) -> Difference:
    """Recount and write the difference, with the totals locked so that a service
    committing meanwhile adds its delta on top of the recount, not inside it.
    (`apps`: a migration's historical models.)"""
    _, _, CaseTally, StageDay, ApplicationTally = _models(apps)  # noqa: N806
    with transaction.atomic():
        if connection.vendor == "postgresql" and not dry_run:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                               for m in (CaseTally, StageDay, ApplicationTally))
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        diff = difference(organisation_id, apps=apps)
        if diff and not dry_run:
            _bump(CaseTally, ["organisation_id", "dim", "key", "stage", "reached"], diff.tallies)
            _bump(StageDay, ["organisation_id", "dim", "key", "day", "stage"], diff.days)
            _bump_applications(diff.applications)
            for model in (CaseTally, StageDay, ApplicationTally):
                qs = model.objects.filter(n=0)
                (qs if organisation_id is None else qs.filter(organisation_id=organisation_id)).delete()
            if apps is None:
                from corridor.audit.services import record
                from corridor.cases.events import CaseEvent

                record(CaseEvent.CASE_TOTALS_REPAIRED, actor=actor,
                       organisation=str(organisation_id) if organisation_id else "",
                       tallies=len(diff.tallies), days=len(diff.days), applications=len(diff.applications))
    return diff


def age_buckets(organisation_id, dim: str, key: str, *, buckets, totals: dict[str, int],
                today: date | None = None) -> dict[str, dict[str, int]]:
    """stage → bucket → cases waiting in it, for the stages in `totals` (stage → cases).

    `buckets` is [(name, low_days, high_days | None)] with exactly one open-ended
    bucket; it gets the stage's total minus the recent days, so the rows read are
    the last `max(high)` days only, however old the data."""
    today = today or timezone.localdate()
    horizon = max(b[2] for b in buckets if b[2] is not None)
    out = {s: {b[0]: 0 for b in buckets} for s in totals}
    rest = next(b[0] for b in buckets if b[2] is None)
    recent: Counter = Counter()
    for stage, day, n in recent_days(organisation_id, dim, key, since=today - timedelta(days=horizon - 1)):
        if stage not in out:
            continue
        age = max(0, (today - day).days)
        for name, low, high in buckets:
            if high is not None and low <= age < high:
                out[stage][name] += n
                recent[stage] += n
                break
    for stage, total in totals.items():
        out[stage][rest] = max(0, total - recent[stage])
    return out
