"""What the anonymous public can cause: a sealed submission, a follow-up, a receipt
check. None of it needs the key agent, so all of it works while the server is sealed.

Slow work (Argon2id, HPKE) runs before the transaction opens, so the database write
lock is held only for the inserts. Files are already encrypted in temporaries; they
are moved to their final names and fsynced inside the transaction and removed again
if it rolls back, so a submission is either stored whole or not at all, and one that
was acknowledged survives a crash (SQLite commits with synchronous=FULL).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from corridor.audit.services import record
from corridor.intake import conf, receipts, sealing
from corridor.intake.events import IntakeEvent
from corridor.intake.models import (
    Attachment,
    Channel,
    Contact,
    FormNonce,
    Message,
    Receipt,
    ReceiptThrottle,
)
from corridor.intake.uploads import SealedUpload, adopt, delete_attachment

ANONYMOUS = "public:anonymous"
TAG_WINDOW = timedelta(minutes=15)


class Duplicate(Exception):
    """The same form was sent twice (a reloaded confirmation page)."""


class ReceiptRefused(Exception):
    """code: "format" (cannot be a receipt), "unknown" (wrong or expired), "locked"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Submitted:
    contact: Contact
    receipt: str
    expires: datetime


@dataclass(frozen=True)
class Opened:
    receipt: Receipt
    derived: receipts.Derived


def _store_files(message: Message, uploads: list[SealedUpload], base_dir) -> list[str]:
    rows = [Attachment(id=u.id, message=message, blob=u.name, kind=u.kind, size=u.size) for u in uploads]
    Attachment.objects.bulk_create(rows)
    adopt(uploads)
    return [u.name for u in uploads]


def _files_payload(uploads: list[SealedUpload]) -> list[dict]:
    return [{"id": str(u.id), "kind": u.kind, "size": u.size} for u in uploads]


def _claim_token(digest: str | None) -> None:
    if not digest:
        return
    if FormNonce.objects.filter(digest=digest).exists():
        raise Duplicate
    FormNonce.objects.create(digest=digest)


def _store(fn, uploads: list[SealedUpload], base_dir):
    """Run `fn(store_files)` atomically; files moved in it are removed on failure."""
    moved: list[str] = []

    def store_files(message: Message) -> None:
        moved.extend(_store_files(message, uploads, base_dir))

    try:
        with transaction.atomic():
            return fn(store_files)
    except IntegrityError:
        for name in moved:
            delete_attachment(name)
        raise Duplicate from None
    except BaseException:
        for name in moved:
            delete_attachment(name)
        raise


def submission_create(*, organisation, payload: dict, content_key: bytes, message_id, uploads: list[SealedUpload],
                      token_digest: str | None, base_dir) -> Submitted:
    digits = receipts.generate()
    salt = receipts.new_salt()
    time_cost, memory_cost = receipts.TIME_COST, receipts.MEMORY_KIB
    derived = receipts.derive(digits, salt, time_cost=time_cost, memory_cost=memory_cost)
    sealed = sealing.seal_inbound(
        organisation.intake_public_key, organisation_id=organisation.pk, message_id=message_id,
        content_key=content_key, payload={**payload, "files": _files_payload(uploads)},
    )
    now = timezone.now()

    def write(store_files) -> Contact:
        _claim_token(token_digest)
        contact = Contact.objects.create(organisation=organisation, channel=Channel.WEB, received=now,
                                         last_activity=now, awaiting_reply=True)
        message = Message.objects.create(id=message_id, contact=contact, direction=Message.Direction.IN,
                                         created=now, sealed=sealed)
        store_files(message)
        Receipt.objects.create(
            contact=contact, lookup=receipts.lookup_tag(digits), salt=salt, time_cost=time_cost,
            memory_cost=memory_cost, verifier=derived.verifier, reply_public_key=derived.public_key,
            created=now, last_used=now,
        )
        record(IntakeEvent.SUBMISSION_RECEIVED, actor=ANONYMOUS, organisation=organisation, obj=contact,
               files=len(uploads))
        return contact

    contact = _store(write, uploads, base_dir)
    return Submitted(contact=contact, receipt=digits, expires=now + timedelta(days=conf.receipt_expiry_days()))


def follow_up_create(*, opened: Opened, payload: dict, content_key: bytes, message_id,
                     uploads: list[SealedUpload], token_digest: str | None, base_dir) -> Message:
    contact = opened.receipt.contact
    organisation = contact.organisation
    sealed = sealing.seal_inbound(
        organisation.intake_public_key, organisation_id=organisation.pk, message_id=message_id,
        content_key=content_key, payload={**payload, "files": _files_payload(uploads)},
    )
    now = timezone.now()

    def write(store_files) -> Message:
        _claim_token(token_digest)
        message = Message.objects.create(id=message_id, contact=contact, direction=Message.Direction.IN,
                                         created=now, sealed=sealed)
        store_files(message)
        Contact.objects.filter(pk=contact.pk).update(last_activity=now, awaiting_reply=True)
        Receipt.objects.filter(pk=opened.receipt.pk).update(last_used=now)
        record(IntakeEvent.FOLLOW_UP_RECEIVED, actor=ANONYMOUS, organisation=organisation, obj=contact,
               files=len(uploads))
        return message

    return _store(write, uploads, base_dir)


# --- receipts -----------------------------------------------------------------------
def _tag_key(tag: bytes) -> str:
    return "t:" + tag.hex()


def _locked(tag: bytes, now) -> bool:
    return ReceiptThrottle.objects.filter(key=_tag_key(tag), locked_until__gt=now).exists()


def _count_failure(tag: bytes, now) -> bool:
    """Count one wrong receipt against its (live) tag; True if the tag locks now."""
    locked = False
    with transaction.atomic():
        row, _ = ReceiptThrottle.objects.select_for_update().get_or_create(key=_tag_key(tag))
        if row.window_start < now - TAG_WINDOW or (row.locked_until and row.locked_until <= now):
            row.failures = 0
            row.window_start = now
            row.locked_until = None
        row.failures += 1
        if row.failures >= conf.receipt_lock_failures() and not row.locked_until:
            row.locked_until = now + TAG_WINDOW
            locked = True
        row.updated = now
        row.save()
        if locked:
            record(IntakeEvent.RECEIPT_LOCKED, actor=ANONYMOUS)
    return locked


_argon2_slots: threading.BoundedSemaphore | None = None
_argon2_lock = threading.Lock()


def _argon2_slot() -> threading.BoundedSemaphore:
    """At most CORRIDOR_RECEIPT_ARGON2_PARALLEL receipt checks run Argon2 at once in
    one worker process; the others wait their turn (nobody is refused)."""
    global _argon2_slots
    with _argon2_lock:
        if _argon2_slots is None:
            _argon2_slots = threading.BoundedSemaphore(conf.receipt_argon2_parallel())
        return _argon2_slots


def receipt_verify(*, text: str) -> Opened:
    """Find and check a typed receipt.

    The keyed 24-bit lookup tag finds the candidate rows before any Argon2 work. A
    tag with no live receipt behind it cannot open anything: it is refused at once,
    costs no Argon2 and writes nothing, so a flood of random receipts (which almost
    all land on empty tags) is one indexed read each and cannot be turned into a
    lock against real holders. Only a guess that lands on a live tag costs Argon2,
    and those are counted per tag (5 lock that tag for 15 minutes)."""
    digits = receipts.parse(text) if receipts.plausible(text) else None
    if digits is None:
        raise ReceiptRefused("format")
    tag = receipts.lookup_tag(digits)
    now = timezone.now()
    cutoff = now - timedelta(days=conf.receipt_expiry_days())
    rows = list(Receipt.objects.filter(lookup=tag, last_used__gte=cutoff).select_related("contact__organisation"))
    if not rows:
        raise ReceiptRefused("unknown")
    if _locked(tag, now):
        raise ReceiptRefused("locked")
    for row in rows:
        with _argon2_slot():
            derived = receipts.derive(digits, bytes(row.salt), time_cost=row.time_cost, memory_cost=row.memory_cost)
        if receipts.matches(derived, bytes(row.verifier)):
            with transaction.atomic():
                Receipt.objects.filter(pk=row.pk).update(last_used=now)
                Contact.objects.filter(pk=row.contact_id).update(last_activity=now)
                ReceiptThrottle.objects.filter(key=_tag_key(tag)).delete()
                record(IntakeEvent.RECEIPT_USED, actor=ANONYMOUS, organisation=row.contact.organisation,
                       obj=row.contact)
            row.last_used = now
            return Opened(receipt=row, derived=derived)
    _count_failure(tag, now)
    raise ReceiptRefused("unknown")


def receipt_expires(receipt: Receipt) -> datetime:
    return receipt.last_used + timedelta(days=conf.receipt_expiry_days())
