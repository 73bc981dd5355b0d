"""Writes of triage staff: opening sealed messages, recording calls, statuses, flags,
vetting, links, replies, and opening a case. Access has been checked by the caller
through `selectors.get_contact_for_user`; decisions are checked again here."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import happened, record
from corridor.blobs import storage as files
from corridor.crypto.keys import data_key_bytes, new_data_key, new_data_keys
from corridor.crypto.models import DataKey
from corridor.intake import sealing
from corridor.intake.events import IntakeEvent
from corridor.intake.models import (
    DECISIONS,
    Attachment,
    Channel,
    Contact,
    ContactLink,
    Message,
    RiskFlag,
    Status,
    StatusChange,
    Urgency,
    VettingCheck,
    VettingItem,
    VettingOutcome,
)
from corridor.intake.uploads import AREA, open_attachment

EXCERPT = 280
SUSPICION_MIN = 10


def _summary(payload: dict) -> dict:
    what = payload.get("what", "")
    return {
        "what": what[:EXCERPT] + ("…" if len(what) > EXCERPT else ""),
        "where": payload.get("where", ""), "reach": payload.get("reach", ""),
        "partner": payload.get("partner", ""), "lang": payload.get("lang", ""),
    }


# --- opening sealed messages ---------------------------------------------------------------
def messages_open(*, actor, organisation, contact: Contact | None = None, limit: int = 50) -> int:
    """Open HPKE-sealed inbound messages through the key agent and keep them under
    the contact's own data key from then on, so retention can erase one contact.

    Concurrent triage workers may open the same messages: rows are re-read under
    lock inside the transaction and only still-sealed ones are converted."""
    pending = Message.objects.filter(contact__organisation=organisation, direction=Message.Direction.IN,
                                     sealed__isnull=False, contact__erased__isnull=True)
    if contact is not None:
        pending = pending.filter(contact=contact)
    pending = list(pending.order_by("created").only("id", "contact_id", "sealed")[:limit])
    if not pending:
        return 0
    opened = {m.pk: sealing.open_inbound(organisation, message_id=m.pk, sealed=bytes(m.sealed)) for m in pending}
    with transaction.atomic():
        contacts = {c.pk: c for c in Contact.objects.select_for_update(of=("self",)).select_related("data_key")
                    .filter(pk__in={m.contact_id for m in pending})}
        keyless = [c for c in contacts.values() if c.data_key_id is None]
        for c, dk in zip(keyless, new_data_keys(scope=DataKey.Scope.CONTACT, organisation=organisation,
                                                count=len(keyless)) if keyless else [], strict=True):
            c.data_key = dk
        still = Message.objects.select_for_update().filter(pk__in=list(opened), sealed__isnull=False)
        counts: dict = {}
        for message in still.order_by("created"):
            contact_obj = contacts[message.contact_id]
            message.contact = contact_obj
            content_key, payload = opened[message.pk]
            message.body = payload
            message.file_key = base64.b64encode(content_key).decode("ascii")
            message.sealed = None
            message.save(update_fields=["body", "file_key", "sealed"])
            if "what" in payload and not contact_obj.summary:
                contact_obj.summary = _summary(payload)
                contact_obj.urgency = max(contact_obj.urgency, int(payload.get("urgency") or 0))
            counts[contact_obj.pk] = counts.get(contact_obj.pk, 0) + 1
        for c in contacts.values():
            c.save(update_fields=["data_key", "summary", "urgency"])
            if c.pk in counts:
                record(IntakeEvent.MESSAGES_OPENED, actor=actor, organisation=organisation, obj=c,
                       messages=counts[c.pk])
    return sum(counts.values())


# --- operator intake -------------------------------------------------------------------------
def contact_record(*, actor, organisation, channel: str, what: str, where: str = "", reach: str = "",
                   partner: str = "", urgency: int = Urgency.UNKNOWN, flags: list[str] = (),
                   identifiers: list[tuple[str, str]] = (), received: datetime | None = None) -> Contact:
    """A call or message recorded by staff; `received` is when it came in (default
    now: a call written up the next morning keeps the night it was made)."""
    from corridor.exposure.services import identifier_add, normalise_identifier

    if channel not in Channel.values or channel == Channel.WEB:
        raise ValidationError(_("Choose how they reached us."), code="channel")
    # Validate every identifier before anything is written.
    for kind, raw in identifiers:
        normalise_identifier(kind, raw)
    now = timezone.now()
    received = _when_received(received, now)
    payload = {"what": what, "where": where, "reach": reach, "partner": partner, "urgency": int(urgency)}
    with transaction.atomic():
        dk = new_data_key(scope=DataKey.Scope.CONTACT, organisation=organisation)
        contact = Contact(organisation=organisation, channel=channel, data_key=dk, urgency=int(urgency),
                          recorded_by=actor, received=received, last_activity=now,
                          **{f"flag_{f}": True for f in flags if f in RiskFlag.values})
        contact.summary = _summary(payload)
        contact.notes = ""
        contact.save(force_insert=True)
        message = Message(contact=contact, direction=Message.Direction.IN, created=received, author=actor)
        message.body = payload
        message.save(force_insert=True)
        for kind, raw in identifiers:
            identifier_add(actor=actor, organisation=organisation, kind=kind, raw=raw, data_key=dk,
                           contact=contact)
        record(IntakeEvent.CONTACT_RECORDED, actor=actor, organisation=organisation, obj=contact, channel=channel,
               happened=happened(received), urgency=int(urgency), flags=sorted(f for f in flags if f in RiskFlag.values))
        if identifiers:
            _check_identifiers(actor, contact)
    return contact


def _when_received(received: datetime | None, now: datetime) -> datetime:
    from corridor.cases.services._common import CLOCK_SKEW

    if received is None:
        return now
    if timezone.is_naive(received):
        received = timezone.make_aware(received)
    if received > now + CLOCK_SKEW:
        raise ValidationError({"received": _("This date is in the future.")}, code="received")
    return min(received, now)


def _check_identifiers(actor, contact: Contact) -> VettingCheck:
    """Automatic vetting: the contact's identifiers against known provocateurs, and
    against seized lists imported before they wrote (which means exposure)."""
    from corridor.exposure.models import Identifier
    from corridor.exposure.services import find

    pairs = [(kind, bytes(index)) for kind, index in
             Identifier.objects.filter(contact=contact).values_list("kind", "index")]
    hits = find(contact.organisation, pairs, seized=True)
    outcome = VettingOutcome.FAILED if hits.provocateurs else VettingOutcome.PASSED
    check = VettingCheck(contact=contact, item=VettingItem.PROVOCATEUR, outcome=outcome, actor=None,
                         automatic=True)
    check.note = ""
    check.save(force_insert=True)
    if hits.seized and not contact.flag_exposed:
        contact.flag_exposed = True
        contact.save(update_fields=["flag_exposed"])
    record(IntakeEvent.VETTING_RECORDED, actor=actor, organisation=contact.organisation, obj=contact,
           item=VettingItem.PROVOCATEUR, outcome=outcome, automatic=True, seized_lists=len(hits.seized))
    return check


def contact_check_provocateurs(*, actor, contact: Contact) -> VettingCheck:
    with transaction.atomic():
        contact.last_activity = timezone.now()
        contact.save(update_fields=["last_activity"])
        return _check_identifiers(actor, contact)


def contact_add_identifier(*, actor, contact: Contact, kind: str, raw: str):
    from corridor.exposure.services import identifier_add

    _require_key(contact)
    with transaction.atomic():
        ident = identifier_add(actor=actor, organisation=contact.organisation, kind=kind, raw=raw,
                               data_key=contact.data_key, contact=contact)
        _check_identifiers(actor, contact)
    return ident


# --- triage decisions -----------------------------------------------------------------------------
def _require_key(contact: Contact) -> None:
    if contact.erased or contact.data_key_id is None:
        raise ValidationError(_("This contact cannot be changed: it is still sealed or was erased."), code="state")


def contact_set_status(*, actor, contact: Contact, status: str, reason: str = "") -> Contact:
    if status not in Status.values:
        raise ValidationError(_("Unknown status."), code="status")
    if status in DECISIONS and not actor.can(Perm.TRIAGE_DECIDE):
        raise PermissionDenied
    if status == Status.ACCEPTED:
        raise ValidationError(_("A contact is accepted by opening a case for them."), code="status")
    if status == Status.PROVOCATION and len((reason or "").strip()) < SUSPICION_MIN:
        # A suspicion closes the door on someone who may be in real danger: the
        # next coordinator must be able to weigh why.
        raise ValidationError({"reason": _("Write why you suspect a provocation (at least %(n)d characters): what "
                                           "did not add up?") % {"n": SUSPICION_MIN}}, code="reason")
    _require_key(contact)
    with transaction.atomic():
        before = contact.status
        change = StatusChange(contact=contact, from_status=before, to_status=status, actor=actor)
        change.reason = reason
        change.save(force_insert=True)
        contact.status = status
        contact.last_activity = timezone.now()
        if status in (Status.SPAM, Status.DECLINED, Status.REFERRED, Status.PROVOCATION):
            contact.awaiting_reply = False
        contact.save(update_fields=["status", "last_activity", "awaiting_reply"])
        record(IntakeEvent.STATUS_CHANGED, actor=actor, organisation=contact.organisation, obj=contact,
               from_status=before, to_status=status)
    return contact


def contact_set_flags(*, actor, contact: Contact, flags: list[str], urgency: int) -> Contact:
    _require_key(contact)
    with transaction.atomic():
        for flag in RiskFlag.values:
            setattr(contact, f"flag_{flag}", flag in flags)
        contact.urgency = int(urgency)
        contact.last_activity = timezone.now()
        contact.save(update_fields=[f"flag_{f}" for f in RiskFlag.values] + ["urgency", "last_activity"])
        record(IntakeEvent.FLAGS_CHANGED, actor=actor, organisation=contact.organisation, obj=contact,
               flags=contact.flags, urgency=int(urgency))
    return contact


def contact_set_notes(*, actor, contact: Contact, notes: str) -> Contact:
    _require_key(contact)
    with transaction.atomic():
        contact.notes = notes
        contact.save(update_fields=["notes"])
        record(IntakeEvent.NOTES_CHANGED, actor=actor, organisation=contact.organisation, obj=contact)
    return contact


def vetting_record(*, actor, contact: Contact, item: str, outcome: str, note: str = "") -> VettingCheck:
    if item not in VettingItem.values or outcome not in VettingOutcome.values:
        raise ValidationError(_("Choose a check and a result."), code="vetting")
    if (item == VettingItem.PROVOCATEUR and outcome == VettingOutcome.FAILED
            and len((note or "").strip()) < SUSPICION_MIN):
        raise ValidationError({"note": _("Write why you suspect a provocation (at least %(n)d characters): what "
                                         "did not add up?") % {"n": SUSPICION_MIN}}, code="reason")
    _require_key(contact)
    with transaction.atomic():
        check = VettingCheck(contact=contact, item=item, outcome=outcome, actor=actor)
        check.note = note
        check.save(force_insert=True)
        fields = ["last_activity"]
        if contact.status == Status.NEW:
            contact.status = Status.VETTING
            fields.append("status")
        contact.last_activity = timezone.now()
        contact.save(update_fields=fields)
        record(IntakeEvent.VETTING_RECORDED, actor=actor, organisation=contact.organisation, obj=contact,
               item=item, outcome=outcome)
    return check


def contacts_link(*, actor, contact: Contact, other: Contact, relation: str) -> ContactLink:
    if other.pk == contact.pk or other.organisation_id != contact.organisation_id:
        raise ValidationError(_("Choose another contact of your organisation."), code="link")
    if relation not in ContactLink.Relation.values:
        raise ValidationError(_("Choose how they are related."), code="relation")
    a, b = sorted([contact, other], key=lambda c: str(c.pk))
    with transaction.atomic():
        link, created = ContactLink.objects.get_or_create(a=a, b=b, defaults={"relation": relation, "actor": actor})
        if not created and link.relation != relation:
            link.relation = relation
            link.save(update_fields=["relation"])
        record(IntakeEvent.CONTACTS_LINKED, actor=actor, organisation=contact.organisation, obj=contact,
               other=str(other.pk), relation=relation)
    return link


def reply_send(*, actor, contact: Contact, text: str) -> Message:
    """Seal a reply to the person's receipt key, and keep the team's copy under the
    contact's data key, so a colleague taking over sees what was said and promised
    (see docs/intake.md). Erasing the contact destroys that key and the copy."""
    receipt = getattr(contact, "receipt", None)
    if receipt is None or contact.erased:
        raise ValidationError(_("This person has no receipt (or it expired): reach them by the way they "
                                "contacted us."), code="receipt")
    message = Message(contact=contact, direction=Message.Direction.OUT, author=actor)
    message.reply = sealing.seal_reply(bytes(receipt.reply_public_key), contact_id=contact.pk,
                                       message_id=message.pk, payload={"text": text})
    if contact.data_key_id is not None:
        message.body = {"text": text}
    with transaction.atomic():
        message.save(force_insert=True)
        Contact.objects.filter(pk=contact.pk).update(awaiting_reply=False, last_activity=timezone.now())
        record(IntakeEvent.REPLY_SENT, actor=actor, organisation=contact.organisation, obj=contact)
    return message


def contact_mark_handled(*, actor, contact: Contact) -> None:
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(awaiting_reply=False)
        record(IntakeEvent.STATUS_CHANGED, actor=actor, organisation=contact.organisation, obj=contact,
               handled=True)


def contact_add_to_case(*, actor, contact: Contact, case):
    """Accept a contact into a case that already exists: the same person writing
    again, or a relative joining a household's case. The contact's identifiers are
    copied under the person's key, as when a case is opened from a contact."""
    from corridor.cases.models import Case

    if not actor.can(Perm.TRIAGE_DECIDE):
        raise PermissionDenied
    _require_key(contact)
    if case.organisation_id != contact.organisation_id:
        raise ValidationError(_("Choose a case of your organisation."), code="case")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.case_id:
            raise ValidationError(_("This contact already belongs to a case."), code="case")
        case = Case.objects.select_related("person__data_key").get(pk=case.pk)
        if case.closed is not None:
            raise ValidationError(_("This case is closed; open a new one instead."), code="case")
        before = locked.status
        change = StatusChange(contact=contact, from_status=before, to_status=Status.ACCEPTED, actor=actor)
        change.reason = ""
        change.save(force_insert=True)
        contact.status = Status.ACCEPTED
        contact.case = case
        contact.awaiting_reply = False
        contact.last_activity = timezone.now()
        contact.save(update_fields=["status", "case", "awaiting_reply", "last_activity"])
        _copy_identifiers(actor, contact, case.person)
        record(IntakeEvent.CONTACT_ADDED_TO_CASE, actor=actor, organisation=contact.organisation, obj=contact,
               case=case.code, from_status=before)
    return case


def _copy_identifiers(actor, contact: Contact, person) -> None:
    """The person's identifiers move under the person's own key: the contact's key
    may be destroyed one day, the person's record must still be matched."""
    from corridor.exposure.models import Identifier

    known = set(Identifier.objects.filter(person=person).values_list("index", flat=True))
    for ident in Identifier.objects.filter(contact=contact).select_related("data_key"):
        if ident.index in known:
            continue
        known.add(ident.index)
        copy = Identifier(organisation=ident.organisation, kind=ident.kind, index=ident.index,
                          data_key=person.data_key, person=person)
        copy.value = ident.value
        copy.save(force_insert=True)


# --- files ----------------------------------------------------------------------------------------
# Attachments are handled like evidence files: the original stays as it arrived,
# staff get a working copy without metadata, and opening the original is a
# separate, deliberate and audited act (`attachment_read(..., original=True)`).
def _attachment_key(actor, attachment: Attachment) -> bytes:
    message = attachment.message
    contact = message.contact
    _require_key(contact)
    if message.sealed is not None:
        messages_open(actor=actor, organisation=contact.organisation, contact=contact)
        message.refresh_from_db()
    data_key_bytes(contact.data_key)  # fail here (sealed) rather than mid-stream
    return base64.b64decode(message.file_key)


def _open_stream(key: bytes, ad_id, name: str) -> Iterator[bytes]:
    handle = open_attachment(name)

    def stream() -> Iterator[bytes]:
        with handle:
            yield from sealing.open_file(key, ad_id, handle)

    return stream()


def attachment_strip(*, actor, attachment: Attachment) -> Attachment:
    """Make the working copy without metadata (once), or record why there is none.

    The plaintext exists only in the scrubbing tool's private directory; the copy
    is sealed under the message's content key with its own associated data
    (`sealing.working_ad`), so it can never be served as the original or the
    other way round.
    """
    from corridor.evidence import scrub
    from corridor.evidence.ingest import max_pixels

    if attachment.working_blob or attachment.working_refused:
        return attachment
    key = _attachment_key(actor, attachment)
    refused, size, name = "", 0, None
    out = files.writer(AREA)
    try:
        original = _open_stream(key, attachment.pk, attachment.blob)
        with scrub.scrubbed(attachment.kind, original, max_pixels=max_pixels()) as clean:
            sealer = sealing.FileSealer(key, sealing.working_ad(attachment.pk), out)
            while piece := clean.read(1 << 20):
                sealer.write(piece)
                size += len(piece)
            sealer.finish()
        out.commit()
        name = out.name
    except scrub.Unstrippable as exc:
        refused = exc.code
        out.discard()
    except BaseException:
        out.discard()
        raise
    with transaction.atomic():
        row = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if row.working_blob or row.working_refused:
            if name:  # a colleague's request made it first
                transaction.on_commit(lambda: files.delete(AREA, name))
        else:
            if name:
                files.adopt(AREA, [name])
            if refused:
                row.working_refused = refused
            else:
                row.working_blob, row.working_size = name, size
            row.save(update_fields=["working_blob", "working_size", "working_refused"])
            contact = attachment.message.contact
            record(IntakeEvent.ATTACHMENT_STRIPPED, actor=actor, organisation=contact.organisation, obj=contact,
                   attachment=str(attachment.pk), tool=scrub.tool_for(row.kind), refused=refused)
    attachment.working_blob, attachment.working_size = row.working_blob, row.working_size
    attachment.working_refused = row.working_refused
    return attachment


def attachment_read(*, actor, attachment: Attachment, original: bool = False) -> Iterator[bytes]:
    """Decrypting stream of the working copy, or of the original when asked for on
    purpose; the read is audited before any byte goes out."""
    if not original:
        attachment_strip(actor=actor, attachment=attachment)
        if not attachment.working_blob:
            raise ValidationError(attachment.working_refused_text, code="no_working_copy")
    key = _attachment_key(actor, attachment)
    contact = attachment.message.contact
    with transaction.atomic():
        record(IntakeEvent.ATTACHMENT_ORIGINAL_OPENED if original else IntakeEvent.ATTACHMENT_READ, actor=actor,
               organisation=contact.organisation, obj=contact, attachment=str(attachment.pk),
               copy="original" if original else "working")
    if original:
        return _open_stream(key, attachment.pk, attachment.blob)
    return _open_stream(key, sealing.working_ad(attachment.pk), attachment.working_blob)
