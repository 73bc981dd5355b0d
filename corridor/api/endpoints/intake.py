"""Intake triage: the queue, one contact, and status and flag changes.

Reads go through `queue_for_user` / `get_contact_for_user`; writes through the
triage services, which refuse decisions (declined, referred, provocation) to a
role without TRIAGE_DECIDE. Sealed messages are not opened here: the contact
page opens them, with the intake key, when a person reads it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Field, Query, Router, Schema

from corridor.api.schemas import ERRORS
from corridor.cases.models import Case
from corridor.intake import selectors
from corridor.intake.models import RiskFlag, Status, Urgency
from corridor.intake.services import triage

router = Router(tags=["intake triage"])


class ContactOut(Schema):
    id: uuid.UUID
    ref: str
    channel: str
    status: str
    urgency: int
    flags: list[str]
    received: datetime
    last_activity: datetime
    awaiting_reply: bool
    sealed: bool
    case: str | None
    summary: dict[str, str] | None


class QueuePage(Schema):
    page: int
    more: bool
    results: list[ContactOut]


class StatusIn(Schema):
    status: Status
    reason: str = Field("", max_length=4000)


class FlagsIn(Schema):
    flags: list[RiskFlag] = Field(default_factory=list, max_length=len(RiskFlag.values))
    urgency: Urgency


def _out(c, case_code: str | None) -> dict:
    summary = None
    if c.data_key_id is not None and c.erased is None:
        raw = c.summary or {}
        summary = {k: str(v) for k, v in raw.items()} if isinstance(raw, dict) else None
    return {"id": c.id, "ref": c.ref, "channel": c.channel, "status": c.status, "urgency": c.urgency,
            "flags": c.flags, "received": c.received, "last_activity": c.last_activity,
            "awaiting_reply": c.awaiting_reply, "sealed": c.is_sealed, "case": case_code,
            "summary": summary}


@router.get("/contacts", response={200: QueuePage, **ERRORS}, url_name="intake_queue",
            summary="The triage queue, danger first")
def queue(request, view: str = "open", page: int = Query(1, ge=1, le=10**6)):
    rows, more = selectors.queue_for_user(request.auth, view=view, page=page)
    ids = [c.case_id for c in rows if c.case_id]
    codes = dict(Case.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
    return {"page": page, "more": more, "results": [_out(c, codes.get(c.case_id)) for c in rows]}


def _one(c) -> dict:
    return _out(c, c.case.code if c.case_id else None)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, url_name="intake_contact",
            summary="One contact")
def contact(request, contact_id: uuid.UUID):
    return _one(selectors.get_contact_for_user(request.auth, contact_id))


@router.post("/contacts/{contact_id}/status", response={200: ContactOut, **ERRORS}, url_name="intake_status",
             summary="Change a contact's status (decisions need the decide permission)")
def set_status(request, contact_id: uuid.UUID, body: StatusIn):
    contact = selectors.get_contact_for_user(request.auth, contact_id)
    return _one(triage.contact_set_status(actor=request.auth, contact=contact, status=body.status,
                                          reason=body.reason))


@router.post("/contacts/{contact_id}/flags", response={200: ContactOut, **ERRORS}, url_name="intake_flags",
             summary="Set a contact's risk flags and urgency")
def set_flags(request, contact_id: uuid.UUID, body: FlagsIn):
    contact = selectors.get_contact_for_user(request.auth, contact_id)
    return _one(triage.contact_set_flags(actor=request.auth, contact=contact, flags=[str(f) for f in body.flags],
                                         urgency=int(body.urgency)))
