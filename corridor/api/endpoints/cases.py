"""Cases: the list, one case, break-glass, stage moves, assignment, safety
check-ins, and the services and documents of the case page.

Each operation calls what the pages call: `case_page` / `get_case_for_user` for
reads (need-to-know, break-glass, the CASE_VIEWED audit entry), `get_service` /
`get_document` for what hangs off a case, and the services `case_transition`,
`case_assign`, `checkin_record`, `service_add` / `service_update` and
`document_add` / `document_update` for writes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts.permissions import Perm
from corridor.api.schemas import ERRORS, links
from corridor.cases import services, transitions
from corridor.cases.models import CheckIn, Document, Service, Stage
from corridor.cases.selectors import get_case_for_user, get_document, get_service
from corridor.cases.selectors.lists import CaseFilters, case_page, workers_for

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


_BY_CODE = {"code": "$response.body#/results/0/code"}


@router.get("", response={200: CasePage, **ERRORS}, url_name="case_list",
            summary="Cases this token may list (assigned, or the organisation's for coordinators)",
            openapi_extra=links(200, {op: _BY_CODE for op in (
                "case_read", "case_checkins", "case_services", "case_documents", "case_assign",
                "case_service_add", "case_document_add", "case_checkin_record")}))
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


# --- assignment --------------------------------------------------------------------------
class AssignIn(Schema):
    worker: str | None = Field(None, max_length=150, description="username of an active case worker or "
                                                                 "coordinator of the organisation; null: nobody")
    expected_version: int | None = Field(None, ge=0, le=2**31)


class AssignOut(Schema):
    code: str
    worker: str | None
    version: int


@router.post("/{code}/assign", response={200: AssignOut, **ERRORS}, url_name="case_assign",
             summary="Assign the case to a case worker (or to nobody)")
def case_assign(request, code: str, body: AssignIn):
    user = request.auth
    if not user.can(Perm.CASE_ASSIGN):  # as the page's require_perm
        raise Http404
    case = get_case_for_user(user, code, write=True)
    worker = None
    if body.worker:
        worker = next((w for w in workers_for(user) if w.username == body.worker), None)
        if worker is None:
            raise ValidationError({"worker": _("Choose an active case worker or coordinator of this organisation.")})
    services.case_assign(actor=user, case=case, worker=worker, expected_version=body.expected_version)
    return {"code": case.code, "worker": worker.username if worker else None, "version": case.version}


# --- services given to the person --------------------------------------------------------
class ServiceOut(Schema):
    id: uuid.UUID
    kind: str
    provider: str
    started: date
    ended: date | None
    cost: Decimal | None
    currency: str
    outcome: str
    details: str


class ServiceIn(Schema):
    kind: Service.Kind
    provider: str = Field("", max_length=400)
    started: date
    ended: date | None = None
    cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("RUB", max_length=3)
    outcome: Service.Outcome = Service.Outcome.ONGOING
    details: str = Field("", max_length=20000)


class ServiceUpdateIn(Schema):
    ended: date | None = None
    outcome: Service.Outcome
    cost: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    details: str | None = Field(None, max_length=20000)


def _service_out(s) -> dict:
    return {"id": s.id, "kind": s.kind, "provider": s.provider or "", "started": s.started, "ended": s.ended,
            "cost": s.cost, "currency": s.currency, "outcome": s.outcome, "details": s.details or ""}


_SERVICE = {"code": "$request.path.code", "service_id": "$response.body#/id"}


@router.get("/{code}/services", response={200: list[ServiceOut], **ERRORS}, url_name="case_services",
            summary="Services given to the person (medical, legal, travel…)")
def case_services(request, code: str):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code)
    rows = list(Service.objects.filter(case=case).order_by("-started", "-created")[:200])
    for row in rows:
        row.case = case
    return [_service_out(s) for s in rows]


@router.post("/{code}/services", response={201: ServiceOut, **ERRORS}, url_name="case_service_add",
             summary="Record a service given to the person",
             openapi_extra=links(201, {"case_service_update": _SERVICE,
                                       "case_services": {"code": "$request.path.code"}}))
def case_service_add(request, code: str, body: ServiceIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    service = services.service_add(actor=request.auth, case=case, kind=body.kind, started=body.started,
                                   provider=body.provider, ended=body.ended, cost=body.cost, currency=body.currency,
                                   outcome=body.outcome, details=body.details)
    return Status(201, _service_out(service))


@router.post("/{code}/services/{service_id}", response={200: ServiceOut, **ERRORS}, url_name="case_service_update",
             summary="Update a service: its end, outcome, cost and details")
def case_service_update(request, code: str, service_id: uuid.UUID, body: ServiceUpdateIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    service = services.service_update(actor=request.auth, service=get_service(case, service_id), ended=body.ended,
                                      outcome=body.outcome, cost=body.cost, details=body.details)
    return _service_out(service)


# --- the person's identity documents ------------------------------------------------------
class DocumentOut(Schema):
    id: uuid.UUID
    kind: str
    status: str
    number: str
    issued: date | None
    expires: date | None
    problems: str
    usable: bool


class DocumentIn(Schema):
    kind: Document.Kind
    status: Document.Status
    number: str = Field("", max_length=40)
    issued: date | None = None
    expires: date | None = None
    problems: str = Field("", max_length=20000)


class DocumentUpdateIn(Schema):
    status: Document.Status
    number: str | None = Field(None, max_length=40, description="null: keep the number as it is")
    issued: date | None = None
    expires: date | None = None
    problems: str | None = Field(None, max_length=20000)


def _document_out(d) -> dict:
    return {"id": d.id, "kind": d.kind, "status": d.status, "number": d.number or "", "issued": d.issued,
            "expires": d.expires, "problems": d.problems or "", "usable": d.usable}


_DOCUMENT = {"code": "$request.path.code", "document_id": "$response.body#/id"}


@router.get("/{code}/documents", response={200: list[DocumentOut], **ERRORS}, url_name="case_documents",
            summary="The person's identity documents")
def case_documents(request, code: str):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code)
    rows = list(Document.objects.filter(person_id=case.person_id).order_by("kind", "-updated")[:200])
    for row in rows:
        row.person = case.person
    return [_document_out(d) for d in rows]


@router.post("/{code}/documents", response={201: DocumentOut, **ERRORS}, url_name="case_document_add",
             summary="Record one of the person's documents",
             openapi_extra=links(201, {"case_document_update": _DOCUMENT,
                                       "case_documents": {"code": "$request.path.code"}}))
def case_document_add(request, code: str, body: DocumentIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    document = services.document_add(actor=request.auth, person=case.person, kind=body.kind, status=body.status,
                                     number=body.number, issued=body.issued, expires=body.expires,
                                     problems=body.problems)
    return Status(201, _document_out(document))


@router.post("/{code}/documents/{document_id}", response={200: DocumentOut, **ERRORS},
             url_name="case_document_update", summary="Update a document: status, number, dates, problems")
def case_document_update(request, code: str, document_id: uuid.UUID, body: DocumentUpdateIn):
    _require_case_perm(request.auth)
    case = get_case_for_user(request.auth, code, write=True)
    document = services.document_update(actor=request.auth, document=get_document(case, document_id),
                                        status=body.status, number=body.number, issued=body.issued,
                                        expires=body.expires, problems=body.problems)
    return _document_out(document)
