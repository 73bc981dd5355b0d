"""The coordinator's board: funnel, time in stage, caseload, alerts, referrals.

Aggregates only (no decryption). The unfiltered board and the board of one worker
read the running totals of `corridor.cases.summaries` (a few hundred rows however
many cases there are); a period or high-risk filter groups the matching cases
themselves, index-only, so its cost follows the cases it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.cases import summaries
from corridor.cases.models import (
    EXITS,
    JOURNEY,
    Alert,
    BreakGlass,
    Case,
    ExportRequest,
    Referral,
    Stage,
)
from corridor.cases.selectors.access import visible_cases

PERIODS = {"30": 30, "90": 90, "365": 365}
AGE_BUCKETS = [("d7", 0, 7), ("d30", 7, 30), ("d90", 30, 90), ("older", 90, None)]


@dataclass
class BoardFilters:
    period: str = ""
    worker: str = ""
    high_risk: bool = False

    @classmethod
    def from_query(cls, data) -> BoardFilters:
        period = data.get("period", "")
        return cls(period=period if period in PERIODS else "", worker=(data.get("worker") or "")[:40],
                   high_risk=data.get("risk") == "high")


def board_cases(user, filters: BoardFilters) -> QuerySet[Case]:
    qs = visible_cases(user)
    if filters.period:
        # Bounded on both sides: SQLite (without STAT4) guesses a one-sided range
        # keeps a quarter of the organisation's cases and then prefers walking all
        # of them in `case_pipeline` order over the covering `case_org_opened_period`;
        # a two-sided range it rates selective enough. Nothing is opened tomorrow.
        now = timezone.now()
        qs = qs.filter(opened__gte=now - timedelta(days=PERIODS[filters.period]), opened__lt=now + timedelta(days=1))
    if filters.worker:
        from corridor.cases.selectors.lists import _uuid

        qs = qs.filter(worker_id=_uuid(filters.worker))
    if filters.high_risk:
        qs = qs.filter(person__risk__gte=4)
    return qs


def from_totals(filters: BoardFilters) -> bool:
    """Whether the running totals answer this board (no period, no risk filter)."""
    return not filters.period and not filters.high_risk


def _scope(filters: BoardFilters) -> tuple[str, str]:
    if filters.worker:
        from corridor.cases.selectors.lists import _uuid

        return summaries.WORKER, summaries.worker_key(_uuid(filters.worker)) if _uuid(filters.worker) else "-"
    return summaries.ALL, ""


def pipeline_from_totals(user, filters: BoardFilters, *, ages: bool = True) -> dict:
    """`pipeline()` from the running totals: two small queries (one without the ages)."""
    dim, key = _scope(filters)
    tally = summaries.tally(user.organisation_id, dim, key)
    totals = {s: 0 for s in JOURNEY if s != Stage.RESETTLED}
    for (stage, _reached), n in tally.items():
        if stage in totals:
            totals[stage] += n
    waiting = summaries.age_buckets(user.organisation_id, dim, key, buckets=AGE_BUCKETS,
                                    totals=totals) if ages else {}
    return _shape([{"stage": s, "reached": r, "n": n} for (s, r), n in tally.items()], waiting)


def caseload_from_totals(user, filters: BoardFilters, *, known: list[User] = ()) -> list[dict]:
    counts = summaries.tally_by_key(user.organisation_id, summaries.WORKER,
                                    [s for s in Stage.values if s not in EXITS and s != Stage.RESETTLED])
    if filters.worker:
        _dim, key = _scope(filters)
        counts = {k: n for k, n in counts.items() if k == key}
    by_worker = {(None if k == summaries.NO_WORKER else _uuid_or_none(k)): n for k, n in counts.items()}
    return _caseload_rows(user, by_worker, known=known)


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def pipeline(qs: QuerySet[Case]) -> dict:
    """Funnel (furthest stage reached), cases now at each stage, and how long the
    open ones have waited in their stage, from one grouped query."""
    now = timezone.now()
    buckets = {}
    for name, low, high in AGE_BUCKETS:
        cond = Q(stage_since__lte=now - timedelta(days=low))
        if high is not None:
            cond &= Q(stage_since__gt=now - timedelta(days=high))
        buckets[name] = Count("stage_since", filter=cond)
    # COUNT(*) and COUNT(stage_since), not COUNT(id): the id is not in the covering
    # index `case_pipeline`, and reading it would touch every wide row.
    rows = list(qs.order_by().values("stage", "reached").annotate(n=Count("*"), **buckets))
    ages: dict[str, dict[str, int]] = {s: {b[0]: 0 for b in AGE_BUCKETS} for s in JOURNEY}
    for row in rows:
        if row["stage"] in ages:
            for name, _low, _high in AGE_BUCKETS:
                ages[row["stage"]][name] += row[name]
    return _shape(rows, ages)


def _shape(rows, ages: dict[str, dict[str, int]]) -> dict:
    reached = [0] * len(JOURNEY)
    now_at: dict[str, int] = {s: 0 for s in Stage.values}
    ages = {s: ages.get(s) or {b[0]: 0 for b in AGE_BUCKETS} for s in JOURNEY}
    total = 0
    for row in rows:
        total += row["n"]
        reached[min(row["reached"], len(JOURNEY) - 1)] += row["n"]
        now_at[row["stage"]] = now_at.get(row["stage"], 0) + row["n"]
    funnel = []
    running = 0
    for i in range(len(JOURNEY) - 1, -1, -1):
        running += reached[i]
        funnel.append({"stage": JOURNEY[i], "label": Stage(JOURNEY[i]).label, "reached": running,
                       "now": now_at[JOURNEY[i]]})
    funnel.reverse()
    waiting = [
        {"stage": s, "label": Stage(s).label, **ages[s], "total": sum(ages[s].values())}
        for s in JOURNEY if s != Stage.RESETTLED
    ]
    exits = [{"stage": s, "label": Stage(s).label, "n": now_at[s]} for s in EXITS]
    return {"funnel": funnel, "waiting": waiting, "exits": exits, "total": total}


def caseload(user, qs: QuerySet[Case]) -> list[dict]:
    """Open cases per worker (index-only on `case_caseload`), and each worker's open
    alerts: who is overloaded, and who has someone missing right now."""
    open_qs = qs.exclude(stage__in=[*EXITS, Stage.RESETTLED])
    counts = dict(open_qs.order_by().values("worker_id").annotate(n=Count("*")).values_list("worker_id", "n"))
    return _caseload_rows(user, counts)


def _caseload_rows(user, counts: dict, *, known: list[User] = ()) -> list[dict]:
    """`known`: users already loaded for the page (the worker filter's choices);
    only the others (a deactivated worker who still holds cases) are fetched."""
    alerts = dict(Alert.objects.filter(organisation_id=user.organisation_id, resolved__isnull=True)
                  .order_by().values("case__worker_id").annotate(n=Count("*")).values_list("case__worker_id", "n"))
    have = {w.pk: w for w in known if w.pk in counts}
    missing = [k for k in counts if k and k not in have]
    workers = list(have.values()) + (list(User.objects.filter(organisation_id=user.organisation_id, pk__in=missing))
                                     if missing else [])
    out = [{"worker": w, "n": counts[w.pk], "alerts": alerts.get(w.pk, 0)} for w in workers]
    out.sort(key=lambda r: (-r["n"], r["worker"].username))
    if None in counts:
        out.append({"worker": None, "n": counts[None], "alerts": alerts.get(None, 0)})
    return out


def open_alerts(user, *, limit: int = 50) -> tuple[list[Alert], int]:
    qs = Alert.objects.filter(resolved__isnull=True, organisation_id=user.organisation_id)
    if not user.can(Perm.CASE_VIEW_ALL):
        qs = qs.filter(case__worker_id=user.pk)
    qs = qs.select_related("case", "case__worker").order_by("raised")
    return list(qs[:limit]), qs.count()


def attention(user) -> dict:
    """Counts of what waits for a coordinator beyond alerts."""
    org = user.organisation_id
    return {
        "break_glass_new": BreakGlass.objects.filter(organisation_id=org, seen_at__isnull=True).count(),
        "referrals_in": Referral.objects.filter(to_org_id=org, status=Referral.Status.PENDING).count(),
        "exports_pending": ExportRequest.objects.filter(organisation_id=org, status=ExportRequest.Status.PENDING)
        .exclude(requested_by=user).count(),
    }


def checkins_due(user, *, hours: int = 12, limit: int = 20) -> list[Case]:
    """The user's cases with a check-in due soon or overdue, soonest first."""
    soon = timezone.now() + timedelta(hours=hours)
    return list(visible_cases(user).filter(next_checkin_due__lte=soon, closed__isnull=True)
                .select_related("worker").order_by("next_checkin_due")[:limit])
