"""Reads of the intake app and the access functions views must use.

Staff reach contacts only through `get_contact_for_user` and attachments only
through `get_attachment_for_user`: both raise Http404 for "missing" and "not
yours" alike. Only operators and coordinators (Perm.TRIAGE) of the contact's own
organisation get past them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.http import Http404

from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.intake import conf, sealing
from corridor.intake.models import (
    OPEN_STATUSES,
    Attachment,
    Contact,
    ContactLink,
    Message,
    Status,
    VettingItem,
    VettingOutcome,
)

QUEUE_PAGE = 50


def get_contact_for_user(user, contact_id, *, decide: bool = False) -> Contact:
    if not user.can(Perm.TRIAGE) or (decide and not user.can(Perm.TRIAGE_DECIDE)):
        raise Http404
    try:
        return Contact.objects.select_related("data_key", "organisation__intake_private_key", "case").get(
            pk=contact_id, organisation=user.organisation_id)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_attachment_for_user(user, attachment_id) -> Attachment:
    if not user.can(Perm.TRIAGE):
        raise Http404
    try:
        return Attachment.objects.select_related(
            "message__contact__data_key", "message__contact__organisation__intake_private_key").get(
            pk=attachment_id, message__contact__organisation=user.organisation_id,
            message__contact__erased__isnull=True)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


QUEUE_FILTERS = {
    "open": Q(status__in=OPEN_STATUSES) | Q(awaiting_reply=True),
    "all": Q(),
    **{status: Q(status=status) for status in Status.values},
}


def queue_for_user(user, *, view: str = "open", page: int = 1) -> tuple[list[Contact], bool]:
    """One page of the triage queue, danger first (stated urgency, then detention and
    exposure), then whoever has waited longest; keys preloaded in one agent round trip
    so the summaries decrypt without further calls. Awaiting a reply never outranks
    danger: a "not urgent" web message waits below a call from someone in danger."""
    if not user.can(Perm.TRIAGE):
        raise Http404
    condition = QUEUE_FILTERS.get(view, QUEUE_FILTERS["open"])
    start = (max(page, 1) - 1) * QUEUE_PAGE
    rows = list(
        Contact.objects.filter(condition, organisation=user.organisation_id, erased__isnull=True)
        .select_related("data_key")
        .annotate(n_messages=Count("messages"))
        .order_by("-urgency", "-flag_detained", "-flag_exposed", "-awaiting_reply", "last_activity", "pk")[start:start + QUEUE_PAGE + 1]
    )
    more = len(rows) > QUEUE_PAGE
    rows = rows[:QUEUE_PAGE]
    preload([c.data_key for c in rows if c.data_key_id])
    return rows, more


def sealed_waiting(organisation_id) -> int:
    return Message.objects.filter(contact__organisation=organisation_id, sealed__isnull=False,
                                  contact__erased__isnull=True).count()


def sealed_waiting_for(contact: Contact) -> bool:
    return contact.messages.filter(sealed__isnull=False).exists()


def queue_panel(request) -> dict | None:
    """Dashboard panel: how many contacts wait, without decrypting anything."""
    org = request.user.organisation_id
    counts = Contact.objects.filter(organisation=org, erased__isnull=True).aggregate(
        waiting=Count("id", filter=Q(awaiting_reply=True)),
        new=Count("id", filter=Q(status=Status.NEW)),
        vetting=Count("id", filter=Q(status=Status.VETTING)),
        urgent=Count("id", filter=Q(status__in=OPEN_STATUSES, urgency=3)),
    )
    return counts


@dataclass
class ThreadItem:
    direction: str
    created: datetime
    body: dict | None
    author: object
    attachments: list


def thread_for_staff(contact: Contact) -> list[ThreadItem]:
    items = []
    messages = contact.messages.select_related("author").prefetch_related("attachments").order_by("created")
    for m in messages:
        m.contact = contact
        # Inbound once opened; outbound: the team's copy (none for replies sent
        # before copies were kept).
        body = m.body if m.sealed is None else None
        items.append(ThreadItem(m.direction, m.created, body, m.author, list(m.attachments.all())))
    return items


def vetting_for_staff(contact: Contact) -> list:
    checks = list(contact.vetting.select_related("actor").order_by("at"))
    for c in checks:
        c.contact = contact
    return checks


def danger_for(contact: Contact, latest: dict) -> dict:
    """What staff must see first on a contact: a known provocateur, a seized list."""
    check = latest.get(VettingItem.PROVOCATEUR)
    return {"provocateur": bool(check and check.outcome == VettingOutcome.FAILED),
            "exposed": contact.flag_exposed}


def latest_vetting(checks: list) -> dict:
    latest: dict = {}
    for c in checks:
        latest[c.item] = c
    return latest


def status_history(contact: Contact) -> list:
    changes = list(contact.status_changes.select_related("actor").order_by("at"))
    for c in changes:
        c.contact = contact
    return changes


def links_for(contact: Contact) -> list[tuple[Contact, str]]:
    links = ContactLink.objects.filter(Q(a=contact) | Q(b=contact)).select_related("a", "b")
    return [((link.b if link.a_id == contact.pk else link.a), link.get_relation_display()) for link in links]


PICKER_SIZE = 50
# From this many choices on, a picker offers a search box.
PICKER_SEARCH_FROM = 10


def link_candidates(contact: Contact, limit: int = PICKER_SIZE) -> list[Contact]:
    """Other contacts to link, most recently active first, with their keys
    preloaded so the picker can show the place each one wrote from."""
    rows = list(Contact.objects.filter(organisation=contact.organisation_id, erased__isnull=True)
                .exclude(pk=contact.pk).select_related("data_key").order_by("-last_activity")[:limit])
    preload([c.data_key for c in rows if c.data_key_id])
    return rows


# How many open cases a picker search reads and decrypts to match a region; the
# code and the case worker are matched in the database over all of them.
PICKER_SEARCH_WINDOW = 500


def case_region(case) -> str:
    """Where the person was when they last told us (the intake story), else ""."""
    record = case.intake
    if not isinstance(record, dict):
        return ""
    for message in reversed(record.get("story") or []):
        where = str(message.get("where") or "").strip()
        if where:
            return where
    return ""


def case_candidates(user, contact: Contact, q: str = "", limit: int = PICKER_SIZE) -> list:
    """Open cases of the contact's organisation this user may see, to add the
    contact to one: highest risk first, then the most recently moved. `q` narrows
    them by pseudonym, case worker or region, so the right one can be found among
    hundreds without JavaScript. Each row carries `.region` and `.last_activity`
    (the newest stage change, note or check-in) for the label."""
    from corridor.cases.selectors import visible_cases

    cases = (visible_cases(user).filter(organisation=contact.organisation_id, closed__isnull=True)
             .select_related("person__data_key", "worker").order_by("-person__risk", "-stage_since"))
    q = q.strip()[:60]
    if not q:
        rows = list(cases[:limit])
    else:
        rows = list(cases.filter(Q(code__icontains=q) | Q(worker__username__icontains=q))[:limit])
        if len(rows) < limit:
            # Regions are encrypted: match them after decrypting a bounded window.
            seen = {c.pk for c in rows}
            window = [c for c in cases[:PICKER_SEARCH_WINDOW] if c.pk not in seen]
            preload([c.person.data_key for c in window])
            needle = q.casefold()
            rows += [c for c in window if needle in case_region(c).casefold()][:limit - len(rows)]
    preload([c.person.data_key for c in rows])
    latest = _latest_activity([c.pk for c in rows])
    for case in rows:
        case.region = case_region(case)
        case.last_activity = max([case.stage_since, *latest.get(case.pk, [])])
    return rows


def _latest_activity(case_ids: list) -> dict:
    """The newest note and check-in of each case, two grouped queries for the
    whole picker: with the last stage change, when someone last did something."""
    from corridor.cases.models import CheckIn, Note

    latest: dict = {}
    for model in (Note, CheckIn):
        for case_id, at in (model.objects.filter(case_id__in=case_ids).values("case_id")
                            .annotate(last=Max("at")).values_list("case_id", "last")):
            latest.setdefault(case_id, []).append(at)
    return latest


def shared_identifier_contacts(contact: Contact) -> list[Contact]:
    """Other contacts with one of this contact's identifiers: probably the same person."""
    from corridor.exposure.models import Identifier

    indexes = list(Identifier.objects.filter(contact=contact).values_list("index", flat=True))
    if not indexes:
        return []
    ids = (Identifier.objects.filter(organisation=contact.organisation_id, index__in=indexes,
                                     contact__isnull=False, contact__erased__isnull=True)
           .exclude(contact=contact).values_list("contact_id", flat=True))
    return list(Contact.objects.filter(pk__in=list(ids)))


def identifiers_for(contact: Contact) -> list:
    from corridor.exposure.models import Identifier

    idents = list(Identifier.objects.filter(contact=contact))
    for ident in idents:
        ident.data_key = contact.data_key
    return idents


# --- public -------------------------------------------------------------------------------------
_PUBLIC_ORG: dict = {"at": 0.0, "org": None}
PUBLIC_ORG_SECONDS = 30.0


def public_organisation(*, cached: bool = False) -> Organisation | None:
    """The organisation the public form writes to. `cached=True` (form pages and
    refusals) may reuse the answer for a few seconds, so a junk flood does not open
    a database connection per request; writes always read it fresh."""
    now = time.monotonic()
    if cached and _PUBLIC_ORG["org"] is not None and now - _PUBLIC_ORG["at"] < PUBLIC_ORG_SECONDS:
        return _PUBLIC_ORG["org"]
    slug = conf.organisation_slug()
    orgs = Organisation.objects.filter(intake_public_key__isnull=False)
    if slug:
        orgs = orgs.filter(slug=slug)
    org = orgs.order_by("created").first()
    _PUBLIC_ORG.update(at=now, org=org)
    return org


def forget_public_organisation(**kwargs) -> None:
    """Signal receiver: any change to an organisation drops the cached answer."""
    _PUBLIC_ORG["org"] = None


@dataclass
class PublicItem:
    direction: str
    created: datetime
    text: str


def thread_for_receipt(opened) -> list[PublicItem]:
    """What the person sees with their receipt: our replies (opened with the key
    derived from the receipt) and when they wrote; their own words are sealed to us
    and are not shown back."""
    receipt = opened.receipt
    items = []
    for m in Message.objects.filter(contact_id=receipt.contact_id).only("id", "direction", "created", "reply"):
        if m.direction == Message.Direction.OUT:
            if m.reply is None:
                continue
            try:
                payload = sealing.open_reply(opened.derived.private_key, contact_id=receipt.contact_id,
                                             message_id=m.pk, sealed=bytes(m.reply))
            except sealing.SealingError:
                continue
            items.append(PublicItem("out", m.created, payload.get("text", "")))
        else:
            items.append(PublicItem("in", m.created, ""))
    return items
