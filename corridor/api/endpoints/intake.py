"""Intake triage: the queue, one contact, status and flag changes, vetting, replies
to a web contact, marking a contact handled, and opening a case for it.

Reads go through `queue_for_user` / `get_contact_for_user`; writes through the
triage services, which refuse decisions (declined, referred, provocation, opening
a case) to a role without TRIAGE_DECIDE. Sealed messages are not opened here: the
contact page opens them, with the intake key, when a person reads it (opening a
case opens them, as the page's "Open a case" does).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer

from corridor.accounts.models import User
from corridor.accounts.permissions import Role
from corridor.api.schemas import ERRORS, links
from corridor.cases.models import Case
from corridor.intake import conf, selectors, text
from corridor.intake.models import RiskFlag, Status, Urgency, VettingItem, VettingOutcome
from corridor.intake.services import accept, triage

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


_CONTACT = {"contact_id": "$response.body#/results/0/id"}


@router.get("/contacts", response={200: QueuePage, **ERRORS}, url_name="intake_queue",
            summary="The triage queue, danger first",
            openapi_extra=links(200, {op: _CONTACT for op in (
                "intake_contact", "intake_vetting", "intake_vetting_add", "intake_reply", "intake_handled",
                "intake_open_case", "intake_status", "intake_flags")}))
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


# --- vetting -------------------------------------------------------------------------------
class VettingCheckOut(Schema):
    item: str
    outcome: str
    automatic: bool
    at: datetime
    by: str | None
    note: str


class VettingOut(Schema):
    checks: list[VettingCheckOut]
    needs_override: bool
    problems: list[str]


class VettingIn(Schema):
    item: VettingItem
    outcome: VettingOutcome
    note: str = Field("", max_length=2000, description="required (a sentence) when judging them a provocateur")


def _vetting(contact) -> dict:
    checks = selectors.vetting_for_staff(contact) if not contact.erased else []
    state = (accept.vetting_state(contact) if not contact.erased and not contact.case_id
             else {"needs_override": False, "problems": []})
    return {"checks": [{"item": c.item, "outcome": c.outcome, "automatic": c.automatic, "at": c.at,
                        "by": c.actor.username if c.actor else None, "note": c.note or ""} for c in checks],
            "needs_override": state["needs_override"], "problems": [str(p) for p in state["problems"]]}


@router.get("/contacts/{contact_id}/vetting", response={200: VettingOut, **ERRORS}, url_name="intake_vetting",
            summary="Vetting decisions on a contact, and whether opening a case needs a written override")
def vetting(request, contact_id: uuid.UUID):
    return _vetting(selectors.get_contact_for_user(request.auth, contact_id))


@router.post("/contacts/{contact_id}/vetting", response={201: VettingOut, **ERRORS}, url_name="intake_vetting_add",
             summary="Record a vetting decision (a new status of vetting for a new contact)",
             openapi_extra=links(201, {"intake_vetting": {"contact_id": "$request.path.contact_id"},
                                       "intake_open_case": {"contact_id": "$request.path.contact_id"}}))
def vetting_add(request, contact_id: uuid.UUID, body: VettingIn):
    contact = selectors.get_contact_for_user(request.auth, contact_id)
    note = _text(body.note, field="note", limit=2000)
    triage.vetting_record(actor=request.auth, contact=contact, item=body.item, outcome=body.outcome, note=note)
    return Answer(201, _vetting(contact))


# --- replies and handling --------------------------------------------------------------------
class ReplyIn(Schema):
    text: str = Field(..., max_length=100000)


class ReplyOut(Schema):
    id: uuid.UUID
    created: datetime


def _text(value: str, *, field: str, limit: int | None = None, required: bool = False) -> str:
    """The pages' text check (`intake.text.clean`): control characters, wrong
    encodings, the length limit; its message under the field's name."""
    try:
        return text.clean(value, limit=limit or conf.max_text_chars(), required=required)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@router.post("/contacts/{contact_id}/reply", response={201: ReplyOut, **ERRORS}, url_name="intake_reply",
             summary="Reply to a web contact: sealed to the person's receipt, the team keeps its own copy")
def reply(request, contact_id: uuid.UUID, body: ReplyIn):
    contact = selectors.get_contact_for_user(request.auth, contact_id)
    message = triage.reply_send(actor=request.auth, contact=contact,
                                text=_text(body.text, field="text", required=True))
    return Answer(201, {"id": message.id, "created": message.created})


@router.post("/contacts/{contact_id}/handled", response={200: ContactOut, **ERRORS}, url_name="intake_handled",
             summary="Mark a contact handled: it no longer waits for a reply")
def handled(request, contact_id: uuid.UUID):
    contact = selectors.get_contact_for_user(request.auth, contact_id)
    triage.contact_mark_handled(actor=request.auth, contact=contact)
    contact.refresh_from_db(fields=["awaiting_reply"])
    return _one(contact)


# --- opening a case ----------------------------------------------------------------------------
class OpenCaseIn(Schema):
    name: str = Field("", max_length=200, description="as they gave it")
    name_latin: str = Field("", max_length=200, description="in Latin letters, as in the passport")
    known_as: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    summary: str = Field("", max_length=2000)
    worker: str | None = Field(None, max_length=150, description="username of a case worker of the organisation")
    when: datetime | None = Field(None, description="accepted on (default: now)")
    override: str = Field("", max_length=2000, description="why, when the contact was not vetted or failed a check")


class OpenedCase(Schema):
    code: str
    contact: uuid.UUID


@router.post("/contacts/{contact_id}/case", response={201: OpenedCase, **ERRORS}, url_name="intake_open_case",
             summary="Accept a contact: open a case for them (needs the decide permission)",
             openapi_extra=links(201, {"case_read": {"code": "$response.body#/code"},
                                       "case_services": {"code": "$response.body#/code"}}))
def open_case(request, contact_id: uuid.UUID, body: OpenCaseIn):
    from corridor.web.fields import normalise_for_form

    user = request.auth
    contact = selectors.get_contact_for_user(user, contact_id, decide=True)
    worker = None
    if body.worker:
        worker = User.objects.filter(organisation=contact.organisation_id, role=Role.CASE_WORKER, is_active=True,
                                     username=body.worker).first()
        if worker is None:
            raise ValidationError({"worker": _("Choose a case worker of your organisation.")})
    phone = body.phone.strip()
    if phone:
        try:
            phone = normalise_for_form("phone", phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    case = accept.contact_open_case(
        actor=user, contact=contact, name=_text(body.name, field="name", limit=200),
        name_latin=_text(body.name_latin, field="name_latin", limit=200),
        known_as=_text(body.known_as, field="known_as", limit=200), phone=phone,
        summary=_text(body.summary, field="summary", limit=2000), worker=worker, when=body.when,
        override=_text(body.override, field="override", limit=2000))
    return Answer(201, {"code": case.code, "contact": contact.pk})
