"""Violation events in the HURIDOCS "who did what to whom" shape: events, their
acts, the victims (pseudonyms), perpetrators with their involvement, and places.

Reads go through `events_for` / `get_event_for_user` (EVIDENCE_VIEW, own
organisation); victims appear by pseudonym only, as on the event page.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts.permissions import Perm
from corridor.api.schemas import ERRORS, PAGE_SIZE, links, page_slice
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.models import DatePrecision, Vocabulary
from corridor.evidence.models import Involvement as InvolvementKind

router = Router(tags=["violations"])


class Term(Schema):
    code: str
    label: str


class EventRow(Schema):
    id: uuid.UUID
    code: str
    title: str
    starts: date | None
    starts_precision: str
    ends: date | None
    ends_precision: str
    place: str | None
    wave: str | None


class EventPage(Schema):
    page: int
    more: bool
    results: list[EventRow]


class Involvement(Schema):
    perpetrator: uuid.UUID
    name: str
    kind: Term
    involvement: str


class ActOut(Schema):
    id: uuid.UUID
    act_type: Term
    victim: str | None
    victim_label: str
    description: str
    places: list[str]
    perpetrators: list[Involvement]


class EventOut(EventRow):
    description: str
    acts: list[ActOut]


class EventIn(Schema):
    title: str = Field(..., max_length=500)
    description: str = Field("", max_length=20000)
    starts: date | None = None
    starts_precision: DatePrecision = DatePrecision.DAY
    ends: date | None = None
    ends_precision: DatePrecision = DatePrecision.DAY


class PerpetratorIn(Schema):
    perpetrator: uuid.UUID
    involvement: InvolvementKind


class ActIn(Schema):
    act_type: str = Field(..., max_length=60, description="code of an act type of the vocabulary")
    victim: str | None = Field(None, max_length=16, description="the victim's pseudonym, e.g. K-0413")
    victim_label: str = Field("", max_length=500)
    description: str = Field("", max_length=20000)
    perpetrators: list[PerpetratorIn] = Field(default_factory=list, max_length=50)


class Created(Schema):
    id: uuid.UUID


def _term(t) -> dict:
    return {"code": t.code, "label": t.label}


def _row(e) -> dict:
    return {"id": e.id, "code": e.code, "title": e.title or "", "starts": e.starts,
            "starts_precision": e.starts_precision, "ends": e.ends, "ends_precision": e.ends_precision,
            "place": (e.place.name or "") if e.place else None,
            "wave": str(e.wave) if e.wave else None}


@router.get("/events", response={200: EventPage, **ERRORS}, url_name="violation_events",
            summary="Violation events of the organisation, newest first",
            openapi_extra=links(200, {"violation_event": {"event_id": "$response.body#/results/0/id"},
                                      "violation_act_add": {"event_id": "$response.body#/results/0/id"}}))
def events(request, page: int = Query(1, ge=1, le=10**6)):
    rows = list(selectors.events_for(request.auth).order_by("-starts", "-id")[page_slice(page)])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    preload([e.data_key for e in rows] + [e.place.data_key for e in rows if e.place])
    return {"page": page, "more": more, "results": [_row(e) for e in rows]}


@router.get("/events/{event_id}", response={200: EventOut, **ERRORS}, url_name="violation_event",
            summary="One event with its acts, victims, perpetrators and places")
def event(request, event_id: uuid.UUID):
    e = selectors.get_event_for_user(request.auth, event_id)
    acts = list(e.acts.select_related("act_type", "victim").prefetch_related(
        "places__data_key", "perpetrator_links__perpetrator__data_key", "perpetrator_links__perpetrator__kind"))
    preload([e.data_key] + [p.data_key for a in acts for p in a.places.all()]
            + [link.perpetrator.data_key for a in acts for link in a.perpetrator_links.all()]
            + ([e.place.data_key] if e.place else []))
    out = _row(e)
    out["description"] = e.description or ""
    out["acts"] = [{
        "id": a.id, "act_type": _term(a.act_type), "victim": a.victim.code if a.victim else None,
        "victim_label": a.victim_label or "", "description": a.description or "",
        "places": [p.name or "" for p in a.places.all()],
        "perpetrators": [{"perpetrator": link.perpetrator.id, "name": link.perpetrator.name or "",
                          "kind": _term(link.perpetrator.kind), "involvement": link.involvement}
                         for link in a.perpetrator_links.all()],
    } for a in acts]
    return out


@router.post("/events", response={201: Created, **ERRORS}, url_name="violation_create",
             summary="Record a violation event",
             openapi_extra=links(201, {"violation_event": {"event_id": "$response.body#/id"},
                                       "violation_act_add": {"event_id": "$response.body#/id"}}))
def event_create(request, body: EventIn):
    if not request.auth.can(Perm.EVIDENCE_EDIT):
        raise Http404
    event = services.violation_create(actor=request.auth, title=body.title, description=body.description,
                                      starts=body.starts, starts_precision=body.starts_precision, ends=body.ends,
                                      ends_precision=body.ends_precision)
    return Status(201, {"id": event.id})


@router.post("/events/{event_id}/acts", response={201: Created, **ERRORS}, url_name="violation_act_add",
             summary="Add an act to an event: its type, the victim by pseudonym, perpetrators and involvement")
def act_create(request, event_id: uuid.UUID, body: ActIn):
    user = request.auth
    event = selectors.get_event_for_user(user, event_id, write=True)
    act_type = selectors.terms_for(user.organisation, Vocabulary.ACT_TYPE).filter(code=body.act_type).first()
    if act_type is None:
        raise services.EvidenceError("act_type")
    victim = None
    if body.victim:
        victim = selectors.people_for(user).filter(code=body.victim.upper()).first()
        if victim is None:
            raise Http404
    perpetrators = []
    known = {p.id: p for p in selectors.perpetrators_for(user).filter(id__in=[x.perpetrator for x in body.perpetrators])}
    for item in body.perpetrators:
        if item.perpetrator not in known:
            raise Http404
        perpetrators.append((known[item.perpetrator], str(item.involvement)))
    act = services.act_add(actor=user, event=event, act_type=act_type, victim=victim, victim_label=body.victim_label,
                           description=body.description, perpetrators=perpetrators)
    return Status(201, {"id": act.id})
