"""Scheduled work: retention of contacts that never became a case, expiry of
receipts, and removal of temporaries left by interrupted uploads.

Erasure is cryptographic: the contact's data key is destroyed, which makes every
value under it (messages, notes, vetting notes, identifiers, attachments' keys)
unreadable at once; the ciphertexts, still-sealed HPKE blobs and encrypted files
are removed as well, so nothing is left to attack even with the organisation's
intake key. A skeleton row stays (channel, status, dates) for programme statistics.
None of this needs the key agent, so it also runs while the server is sealed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from corridor.audit.services import record
from corridor.blobs import storage as files
from corridor.crypto.keys import destroy_data_key
from corridor.intake import conf
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Attachment, Contact, FormNonce, Message, Receipt, ReceiptThrottle
from corridor.intake.uploads import AREA, delete_attachment

log = logging.getLogger("corridor.intake")
SYSTEM = "system:retention"
TEMP_MAX_AGE = 3600
NONCE_MAX_AGE = timedelta(days=3)


@dataclass
class RetentionResult:
    candidates: int
    erased: int
    dry_run: bool


def retention_candidates(*, days: int, now=None):
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return Contact.objects.filter(case__isnull=True, erased__isnull=True, last_activity__lt=cutoff).order_by(
        "last_activity")


def contact_erase(*, actor, contact: Contact, reason: str = "retention") -> list[str]:
    """Erase one contact; its attachment files are deleted once the transaction commits
    (a rollback must not leave rows without files). Returns their names."""
    from corridor.exposure.models import ExposureAlert, ExposureMatch, Identifier

    files = [name for pair in Attachment.objects.filter(message__contact=contact).values_list("blob", "working_blob")
             for name in pair if name]
    transaction.on_commit(lambda: _delete(files))
    if contact.data_key_id is not None:
        destroy_data_key(contact.data_key)
    Attachment.objects.filter(message__contact=contact).delete()
    Message.objects.filter(contact=contact).update(sealed=None, body=None, file_key=None, reply=None)
    Receipt.objects.filter(contact=contact).delete()
    Identifier.objects.filter(contact=contact).delete()
    ExposureAlert.objects.filter(match__contact=contact).delete()
    ExposureMatch.objects.filter(contact=contact).delete()
    Contact.objects.filter(pk=contact.pk).update(erased=timezone.now(), summary=None, notes=None,
                                                 awaiting_reply=False)
    contact.vetting.update(note=None)
    contact.status_changes.update(reason=None)
    record(IntakeEvent.CONTACT_ERASED, actor=actor, organisation=contact.organisation_id and
           str(contact.organisation_id), obj=contact, reason=reason, files=len(files))
    return files


def contacts_erase_expired(*, days: int | None = None, dry_run: bool = False, actor: str = SYSTEM,
                           batch: int = 200, progress: Callable[[int, int], None] | None = None) -> RetentionResult:
    days = days if days is not None else conf.retention_days()
    ids = list(retention_candidates(days=days).values_list("id", flat=True))
    if dry_run:
        return RetentionResult(candidates=len(ids), erased=0, dry_run=True)
    erased = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        with transaction.atomic():
            # Re-checked under the transaction: a case may have been opened meanwhile.
            for contact in retention_candidates(days=days).filter(pk__in=chunk).select_related("data_key"):
                contact_erase(actor=actor, contact=contact)
                erased += 1
        if progress:
            progress(min(start + batch, len(ids)), len(ids))
    if erased:
        with transaction.atomic():
            record(IntakeEvent.RETENTION_RUN, actor=actor, erased=erased, days=days)
    return RetentionResult(candidates=len(ids), erased=erased, dry_run=False)


def _delete(names: list[str]) -> None:
    for name in names:
        delete_attachment(name)


def receipts_expire(*, now=None) -> int:
    """Delete receipts unused for the configured period, and the replies sealed to
    them (nobody can open those any more)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.receipt_expiry_days())
    stale = list(Receipt.objects.filter(last_used__lt=cutoff).values_list("id", "contact_id"))
    if not stale:
        return 0
    with transaction.atomic():
        Message.objects.filter(contact_id__in=[c for _, c in stale], direction=Message.Direction.OUT).update(
            reply=None)
        Receipt.objects.filter(pk__in=[r for r, _ in stale]).delete()
        record(IntakeEvent.RECEIPTS_EXPIRED, actor=SYSTEM, count=len(stale))
    return len(stale)


def cleanup_temporaries(*, now: float | None = None) -> int:
    """Temporaries older than an hour belong to requests that died mid-upload."""
    removed = files.abandoned(AREA, older_than=TEMP_MAX_AGE)
    moment = timezone.now()
    FormNonce.objects.filter(created__lt=moment - NONCE_MAX_AGE).delete()
    ReceiptThrottle.objects.filter(updated__lt=moment - timedelta(days=1)).exclude(locked_until__gt=moment).delete()
    return removed


def periodic() -> None:
    """Called once a minute by `corridor serve`."""
    receipts_expire()
    result = contacts_erase_expired()
    cleanup_temporaries()
    if result.erased:
        log.info("retention erased %s contacts", result.erased)
