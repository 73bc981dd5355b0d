"""Accepting a contact: one vetting, then a case that starts where triage left it.

A contact vetted in triage becomes a case already at "accepted", with its history
(first contact, vetting, acceptance) at the dates they happened, the person's story
and every vetting decision carried under the person's key, so nobody vets the same
person twice. Opening a case for a contact nobody vetted, or one that failed a
check, needs a coordinator's written override, which is kept and audited.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import happened, record
from corridor.intake.events import IntakeEvent
from corridor.intake.models import (
    Contact,
    Message,
    Status,
    StatusChange,
    Urgency,
    VettingCheck,
    VettingItem,
    VettingOutcome,
)

OVERRIDE_MIN = 15  # like a break-glass reason: a sentence, not "ok"


def vetting_state(contact: Contact) -> dict:
    """What triage decided about a contact: the human decisions, the checks whose
    latest result failed, and whether opening a case needs an override."""
    checks = list(VettingCheck.objects.filter(contact=contact).select_related("actor").order_by("at"))
    latest: dict = {}
    for check in checks:
        check.contact = contact
        latest[check.item] = check
    decided = [c for c in checks if not c.automatic]
    failed = [c for c in latest.values() if c.outcome == VettingOutcome.FAILED]
    problems = []
    if not decided:
        problems.append(_("Nobody has recorded a vetting decision for this contact."))
    for check in failed:
        problems.append(_("“%(item)s” failed.") % {"item": VettingItem(check.item).label})
    if contact.status in (Status.PROVOCATION, Status.SPAM):
        problems.append(_("The contact is marked “%(status)s”.") % {"status": Status(contact.status).label})
    return {"checks": checks, "decided": decided, "failed": failed, "problems": problems,
            "needs_override": bool(problems)}


def _story(contact: Contact) -> list[dict]:
    """What the person told us, message by message, as it was written."""
    story = []
    for message in contact.messages.filter(direction=Message.Direction.IN, sealed__isnull=True).order_by("created"):
        message.contact = contact
        body = message.body or {}
        entry = {"at": message.created.isoformat()}
        for key in ("what", "where", "reach", "partner", "text"):
            if body.get(key):
                entry[key] = str(body[key])
        story.append(entry)
    return story


def _vetting_record(checks: list) -> list[dict]:
    return [{"item": c.item, "outcome": c.outcome, "automatic": c.automatic, "at": c.at.isoformat(),
             "by": c.actor.username if c.actor else "", "note": c.note or ""} for c in checks]


def contact_open_case(*, actor, contact: Contact, name: str = "", name_latin: str = "", known_as: str = "",
                      phone: str = "", summary: str = "", worker=None, when: datetime | None = None,
                      override: str = "", vetted_at: datetime | None = None, later=(), imported: dict | None = None):
    """Accept: a person under a pseudonym with an encrypted identity, and their case
    starting at "accepted" on `when` (default now), after first contact on the day
    the contact was received and vetting on the day of the first decision (or
    `vetted_at`, for records kept elsewhere). `later` are further steps already
    known, (stage, when, reason), as an import of earlier records gives them."""
    from corridor.cases.services import case_open, person_create
    from corridor.cases.services._common import check_when
    from corridor.intake.selectors import sealed_waiting_for
    from corridor.intake.services.triage import _copy_identifiers, _require_key, messages_open

    if not actor.can(Perm.TRIAGE_DECIDE):
        raise PermissionDenied
    _require_key(contact)
    if contact.case_id:
        raise ValidationError(_("A case is already open for this contact."), code="case")
    if worker is not None and worker.organisation_id != contact.organisation_id:
        raise ValidationError(_("Choose a case worker of your organisation."), code="worker")
    override = (override or "").strip()
    state = vetting_state(contact)
    if state["needs_override"]:
        if len(override) < OVERRIDE_MIN:
            raise ValidationError({"override": " ".join([*state["problems"], _(
                "To open a case all the same, write why (at least %(n)d characters): it is kept with the case "
                "and shown to coordinators.") % {"n": OVERRIDE_MIN}])}, code="vetting")
    else:
        override = ""
    accepted_at = check_when(when, not_before=contact.received, field="when")
    # Vetting decisions are dated when they were typed, which may be after a
    # backdated acceptance: the vetting step sits between contact and acceptance.
    if vetted_at is None and state["decided"]:
        vetted_at = min(state["decided"][0].at, accepted_at)
    history = [("contacted", contact.received, "")]
    if vetted_at is not None:
        history.append(("vetting", max(vetted_at, contact.received), ""))
    history.append(("accepted", accepted_at, override))
    history.extend(later)
    if sealed_waiting_for(contact):
        messages_open(actor=actor, organisation=contact.organisation, contact=contact)
    intake = {"contact": contact.ref, "channel": contact.channel, "received": contact.received.isoformat(),
              "story": _story(contact), "vetting": _vetting_record(state["checks"]), "override": override,
              "accepted_by": getattr(actor, "username", str(actor)), **(imported or {})}
    risk = 4 if (contact.flag_detained or contact.flag_exposed or contact.urgency == Urgency.NOW) else 2
    identity = {"name_cyrillic": name, "name_latin": name_latin, "aliases": [known_as] if known_as else []}
    summary = summary or (contact.summary or {}).get("what", "")
    with transaction.atomic():
        # Two coordinators pressing "Open a case" at once must not make two people.
        if Contact.objects.select_for_update().values_list("case_id", flat=True).get(pk=contact.pk):
            raise ValidationError(_("A case is already open for this contact."), code="case")
        person = person_create(actor=actor, organisation=contact.organisation, identity=identity, phone=phone,
                               notes="", risk=risk)
        case = case_open(actor=actor, person=person, summary=summary, worker=worker, history=history,
                         intake=intake)
        before = contact.status
        change = StatusChange(contact=contact, from_status=before, to_status=Status.ACCEPTED, actor=actor,
                              at=accepted_at)
        change.reason = override
        change.save(force_insert=True)
        contact.status = Status.ACCEPTED
        contact.case = case
        contact.awaiting_reply = False
        contact.last_activity = timezone.now()
        contact.save(update_fields=["status", "case", "awaiting_reply", "last_activity"])
        _copy_identifiers(actor, contact, person)
        record(IntakeEvent.CASE_OPENED_FROM_CONTACT, actor=actor, organisation=contact.organisation, obj=contact,
               case=case.code, from_status=before, happened=happened(accepted_at), vetting_decisions=len(state["decided"]), overridden=bool(override))
    return case
