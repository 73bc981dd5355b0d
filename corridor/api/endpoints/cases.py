"""Cases: the list, one case, break-glass, stage moves and safety check-ins.

Each operation calls what the pages call: `case_page` / `get_case_for_user` for
reads (need-to-know, break-glass, the CASE_VIEWED audit entry) and the services
`case_transition` / `checkin_record` for writes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts.permissions import Perm
from corridor.api.schemas import ERRORS
from corridor.cases import services, transitions
from corridor.cases.models import CheckIn, Stage
from corridor.cases.selectors import get_case_for_user
from corridor.cases.selectors.lists import CaseFilters, case_page

router = Router(tags=["cases"])


class CaseRow(Schema):
    code: str
    name: str
    stage: str
    days_in_stage: int
    worker: str | None
    household: str | None
    risk: int
    wanted: bool
    checkin_overdue: bool
    alert: bool


class CasePage(Schema):
    count: int
    count_capped: bool
    next: str | None
    previous: str | None
    results: list[CaseRow]


class CaseOut(Schema):
    code: str
    name: str
    stage: str
    stage_since: datetime
    opened: datetime
    closed: datetime | None
    version: int
    worker: str | None
    household: str | None
    risk: int
    summary: str
    checkin_every_hours: int | None
    next_checkin_due: datetime | None
    access_via: str
    next_stages: list[str]


class BreakGlassIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class TransitionIn(Schema):
    to_stage: Stage
    reason: str = Field(..., max_length=4000)
    at: datetime | None = None
    expected_version: int | None = Field(None, ge=0, le=2**31)


class StageChangeOut(Schema):
    id: uuid.UUID
    from_stage: str
    to_stage: str
    at: datetime
    version: int


class CheckInIn(Schema):
    status: CheckIn.Status = CheckIn.Status.OK
    channel: CheckIn.Channel = CheckIn.Channel.MESSENGER
    note: str = Field("", max_length=20000)
    at: datetime | None = None


class CheckInOut(Schema):
    id: uuid.UUID
    at: datetime
    due: datetime | None
    status: str
    channel: str
    note: str


def _require_case_perm(user) -> None:
    if not (user.can(Perm.CASE_VIEW_ASSIGNED) or user.can(Perm.CASE_BREAK_GLASS)):
        raise Http404


def _case_out(case) -> dict:
    return {
        "code": case.code, "name": case.person.display_name, "stage": case.stage,
        "stage_since": case.stage_since, "opened": case.opened, "closed": case.closed, "version": case.version,
        "worker": case.worker.username if case.worker else None,
        "household": case.household.code if case.household else None, "risk": case.person.risk,
        "summary": case.summary or "", "checkin_every_hours": case.checkin_every_hours,
        "next_checkin_due": case.next_checkin_due, "access_via": case.access_via,
        "next_stages": list(transitions.targets(case)),
    }


@router.get("", response={200: CasePage, **ERRORS}, url_name="case_list",
            summary="Cases this token may list (assigned, or the organisation's for coordinators)")
def case_list(request, stage: str = "", q: str = Query("", max_length=80), after: str = Query("", max_length=200),
              before: str = Query("", max_length=200)):
    """Keyset pages, as on the case list: pass `next` back as `after` (or `previous`
    as `before`); a cursor that does not parse gives the first page."""
    user = request.auth
    _require_case_perm(user)
    if not user.can(Perm.CASE_VIEW_ASSIGNED):
        return {"count": 0, "count_capped": False, "next": None, "previous": None, "results": []}
    filters = CaseFilters.from_query({"stage": stage, "q": q})
    page_obj, rows = case_page(user, filters, after=after or None, before=before or None)
    return {
        "count": page_obj.total, "count_capped": page_obj.capped, "next": page_obj.next_cursor or None,
        "previous": page_obj.previous_cursor or None,
        "results": [{
            "code": r["code"], "name": r["name"], "stage": r["stage_value"], "days_in_stage": r["days"],
            "worker": r["worker"].username if r["worker"] else None,
            "household": r["household"].code if r["household"] else None, "risk": r["risk"],
            "wanted": r["wanted"], "checkin_overdue": r["overdue"], "alert": r["alert"],
        } for r in rows],
    }


@router.get("/{code}", response={200: CaseOut, **ERRORS}, url_name="case_read",
            summary="One case (403 break_glass_required when a written reason would open it)")
def case_read(request, code: str):
    _require_case_perm(request.auth)
    return _case_out(get_case_for_user(request.auth, code))


@router.post("/{code}/break-glass", response={200: CaseOut, **ERRORS}, url_name="case_break_glass",
             summary="Open a case outside one's own with a written reason (logged, shown to coordinators)")
def case_break_glass(request, code: str, body: BreakGlassIn):
    _require_case_perm(request.auth)
    return _case_out(get_case_for_user(request.auth, code, reason=body.reason.strip() or None))


@router.post("/{code}/stage", response={200: StageChangeOut, **ERRORS}, url_name="case_transition",
             summary="Move a case to another stage, with the reason")
def case_transition(request, code: str, body: TransitionIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    change = services.case_transition(actor=request.auth, case=case, to_stage=body.to_stage, reason=body.reason,
                                      at=body.at, expected_version=body.expected_version)
    return {"id": change.id, "from_stage": change.from_stage, "to_stage": change.to_stage, "at": change.at,
            "version": case.version}


@router.get("/{code}/checkins", response={200: list[CheckInOut], **ERRORS}, url_name="case_checkins",
            summary="The case's latest safety check-ins")
def case_checkins(request, code: str):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code)
    return [_checkin_out(c, case) for c in case.checkins.order_by("-at")[:100]]


@router.post("/{code}/checkins", response={201: CheckInOut, **ERRORS}, url_name="case_checkin_record",
             summary="Record a safety check-in")
def case_checkin_record(request, code: str, body: CheckInIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    checkin = services.checkin_record(actor=request.auth, case=case, status=body.status, channel=body.channel,
                                      note=body.note, at=body.at)
    return Status(201, _checkin_out(checkin, case))


def _checkin_out(checkin, case) -> dict:
    checkin.case = case
    return {"id": checkin.id, "at": checkin.at, "due": checkin.due, "status": checkin.status,
            "channel": checkin.channel, "note": checkin.note or ""}
