"""The case list and search: filters in clear, exact identifiers through blind
indexes, names decrypted only for the rows on the page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm, Role
from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import EXITS, Alert, Application, Case, Document, PersonIdentifier, Stage
from corridor.cases.selectors.access import visible_cases
from corridor.crypto import keys
from corridor.crypto.normalize import NotAnIdentifier, normalise

PAGE_SIZE = 50
CODE_RE = re.compile(r"^[A-Za-z]{1,3}H?-\d{1,7}$")
OPEN = "open"
CLOSED = "closed"


@dataclass
class CaseFilters:
    q: str = ""
    stage: str = ""
    worker: str = ""
    country: str = ""
    sort: str = "opened"
    alerts: bool = False
    notices: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, data) -> CaseFilters:
        stage = data.get("stage", "")
        if stage not in (*Stage.values, OPEN, CLOSED):
            stage = ""
        sort = data.get("sort", "opened")
        return cls(q=(data.get("q") or "").strip()[:80], stage=stage, worker=(data.get("worker") or "")[:40],
                   country=(data.get("country") or "").upper()[:2], sort=sort if sort in ORDERINGS else "opened",
                   alerts=data.get("alerts") == "1")

    def as_export(self) -> dict:
        return {"stage": self.stage, "worker": self.worker, "country": self.country}

    @property
    def active(self) -> bool:
        return bool(self.q or self.stage or self.worker or self.country or self.alerts)


def _identifier_match(q: str) -> tuple[Q | None, list[str]]:
    """Cases whose phone, handle or document number is exactly `q`, however written.

    Each kind the text could be is hashed with that kind's blind-index key; an
    input that is no identifier of any kind matches nothing (and names, being
    encrypted, cannot be searched at all).
    """
    kinds = []
    for kind in ("phone", "passport", "handle"):
        try:
            value = normalise(kind, q)
        except NotAnIdentifier:
            continue
        # Every document number has digits; a typed name must not look like one.
        if kind == "passport" and not any(ch.isdigit() for ch in value):
            continue
        kinds.append(kind)
    if not kinds:
        return None, []
    match = Q()
    for kind in kinds:
        index = keys.blind_index(kind, q)
        if kind == "phone":
            match |= Q(person__phone_index=index)
            match |= Exists(PersonIdentifier.objects.filter(person=OuterRef("person_id"), phone_index=index))
        elif kind == "handle":
            match |= Exists(PersonIdentifier.objects.filter(person=OuterRef("person_id"), handle_index=index))
        else:
            match |= Exists(Document.objects.filter(person=OuterRef("person_id"), number_index=index))
    return match, kinds


def search_cases(user, filters: CaseFilters) -> QuerySet[Case]:
    qs = visible_cases(user)
    if filters.stage == OPEN:
        qs = qs.exclude(stage__in=[*EXITS, Stage.RESETTLED])
    elif filters.stage == CLOSED:
        qs = qs.filter(stage__in=[*EXITS, Stage.RESETTLED])
    elif filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.worker and user.can(Perm.CASE_VIEW_ALL):
        qs = qs.filter(worker__isnull=True) if filters.worker == "none" else qs.filter(worker_id=_uuid(filters.worker))
    if filters.country:
        qs = qs.filter(Exists(Application.objects.filter(case=OuterRef("pk"), country_id=filters.country)))
    if filters.alerts:
        qs = qs.filter(Exists(Alert.objects.filter(case=OuterRef("pk"), resolved__isnull=True)))
    if filters.q:
        q = filters.q
        if CODE_RE.match(q):
            code = q.upper()
            qs = qs.filter(Q(code__startswith=code) | Q(household__code__startswith=code))
        else:
            match, kinds = _identifier_match(q)
            if match is None:
                filters.notices.append("not_identifier")
                return qs.none()
            qs = qs.filter(match)
            filters.notices.append("identifier")
            # Looking up a phone number confirms whether we know it: logged, without the number.
            with transaction.atomic():
                record(CaseEvent.CASE_SEARCHED_IDENTIFIER, actor=user, organisation=str(user.organisation_id),
                       kinds=kinds)
    return qs


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# Keyset orderings, each ending with the primary key so the order is total: a page
# starts after (or before) the row a cursor names, so page 20,000 costs what page 1
# costs, where OFFSET would read and discard a million index entries.
ORDERINGS = {
    "opened": (("opened", True), ("id", False)),
    "waiting": (("stage_since", False), ("id", False)),
    "risk": (("person__risk", True), ("opened", True), ("id", False)),
}
# Above this many matches a filter the totals do not cover shows "more than".
COUNT_CAP = 1000


@dataclass
class KeysetPage:
    total: int
    capped: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)


def _encode(values) -> str:
    import base64
    import json

    out = []
    for v in values:
        out.append(v.isoformat() if hasattr(v, "isoformat") else str(v) if not isinstance(v, int) else v)
    return base64.urlsafe_b64encode(json.dumps(out, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str, sort: str) -> list | None:
    """The cursor's values, or None when it is not one of ours (a first page then)."""
    import base64
    import binascii
    import json
    import uuid
    from datetime import datetime

    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(ORDERINGS[sort]):
            return None
        values = []
        for (name, _desc), value in zip(ORDERINGS[sort], raw, strict=True):
            if name == "id":
                values.append(uuid.UUID(str(value)))
            elif name == "person__risk":
                values.append(int(value))
            else:
                moment = datetime.fromisoformat(str(value))
                if moment.tzinfo is None:
                    return None
                values.append(moment)
        return values
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _beyond(sort: str, values: list, *, backwards: bool) -> Q:
    """Rows strictly after `values` in the ordering (before them when `backwards`)."""
    cond = Q(pk__in=[])
    equal = Q()
    bound = Q()
    for i, ((name, desc), value) in enumerate(zip(ORDERINGS[sort], values, strict=True)):
        later = desc == backwards  # descending: "after" means smaller
        cond |= equal & Q(**{f"{name}__{'gt' if later else 'lt'}": value})
        equal &= Q(**{name: value})
        if i == 0:
            # The same condition, plus a plain range on the leading column that an
            # index scan can start from (an OR alone may make it scan from the top).
            bound = Q(**{f"{name}__{'gte' if later else 'lte'}": value})
    return bound & cond


def _order(sort: str, *, backwards: bool = False) -> list[str]:
    return [("-" if desc != backwards else "") + name for name, desc in ORDERINGS[sort]]


def list_total(user, filters: CaseFilters) -> int | None:
    """The number of cases a filter matches, from the running totals, or None when
    they do not cover it (a search, open alerts, a country and a worker at once)."""
    from corridor.cases import summaries

    if filters.q or filters.alerts:
        return None
    if filters.stage == OPEN:
        stages = [s for s in Stage.values if s not in EXITS and s != Stage.RESETTLED]
    elif filters.stage == CLOSED:
        stages = [*EXITS, Stage.RESETTLED]
    else:
        stages = [filters.stage] if filters.stage else None
    if not user.can(Perm.CASE_VIEW_ALL):
        if not user.can(Perm.CASE_VIEW_ASSIGNED):
            return 0
        if filters.country:
            return None
        return summaries.count(user.organisation_id, stages=stages, dim=summaries.WORKER, key=str(user.pk))
    if filters.worker and filters.country:
        return None
    if filters.worker:
        worker = None if filters.worker == "none" else _uuid(filters.worker)
        return summaries.count(user.organisation_id, stages=stages, dim=summaries.WORKER,
                               key=summaries.worker_key(worker))
    if filters.country:
        return summaries.count(user.organisation_id, stages=stages, dim=summaries.COUNTRY, key=filters.country)
    return summaries.count(user.organisation_id, stages=stages)


def case_page(user, filters: CaseFilters, *, after: str | None = None,
              before: str | None = None) -> tuple[KeysetPage, list[dict]]:
    """One page of the list, with only the shown names decrypted.

    The page's data keys are unwrapped in one agent round trip (`preload`).
    """
    sort = filters.sort
    qs = search_cases(user, filters)
    total = list_total(user, filters)
    capped = False
    if total is None:
        total = qs.order_by().values("pk")[:COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    cursor = _decode(after, sort) if after else None
    backwards = False
    if cursor is None and before:
        cursor = _decode(before, sort)
        backwards = cursor is not None
    if cursor is not None:
        qs = qs.filter(_beyond(sort, cursor, backwards=backwards))
    # Page over the ordering columns only (index-only on the covering indexes),
    # then load the 50 rows with their people and keys.
    keyed = list(qs.order_by(*_order(sort, backwards=backwards))
                 .values_list(*[name for name, _desc in ORDERINGS[sort]])[:PAGE_SIZE + 1]) if total else []
    more = len(keyed) > PAGE_SIZE
    keyed = keyed[:PAGE_SIZE]
    if backwards:
        keyed.reverse()
    page = KeysetPage(total=total, capped=capped)
    if keyed and backwards:
        page.next_cursor = _encode(keyed[-1])
        page.previous_cursor = _encode(keyed[0]) if more else ""
    elif keyed:
        page.next_cursor = _encode(keyed[-1]) if more else ""
        page.previous_cursor = _encode(keyed[0]) if cursor is not None else ""
    ids = [row[-1] for row in keyed]
    loaded = {c.pk: c for c in (
        Case.objects.filter(pk__in=ids)
        .select_related("person__data_key", "worker", "household")
        .only("id", "code", "stage", "stage_since", "opened", "next_checkin_due", "worker__id",
              "worker__username", "worker__display_name", "household__code", "person__id", "person__code",
              "person__identity", "person__risk", "person__wanted", "person__erased",
              "person__data_key__id", "person__data_key__scope", "person__data_key__organisation_id",
              "person__data_key__version", "person__data_key__root_version", "person__data_key__wrapped")
    )} if ids else {}
    cases = [loaded[pk] for pk in ids if pk in loaded]
    keys.preload([c.person.data_key for c in cases])
    alerting = set(Alert.objects.filter(case__in=[c.pk for c in cases], resolved__isnull=True)
                   .values_list("case_id", flat=True)) if cases else set()
    rows = [
        {
            "case": c, "code": c.code, "name": c.person.display_name, "stage": c.stage_label,
            "stage_value": c.stage, "days": c.days_in_stage, "worker": c.worker, "household": c.household,
            "risk": c.person.risk, "wanted": c.person.wanted, "overdue": c.checkin_overdue,
            "alert": c.pk in alerting,
        }
        for c in cases
    ]
    return page, rows


def workers_for(user) -> list[User]:
    """Who a coordinator can filter by or assign to."""
    return list(User.objects.filter(organisation_id=user.organisation_id, is_active=True,
                                    role__in=[Role.CASE_WORKER, Role.COORDINATOR]).order_by("username"))
