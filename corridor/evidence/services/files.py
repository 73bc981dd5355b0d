"""Writes for evidence files and their chain of custody.

Every custody event is an audit entry carrying the file's id and the SHA-256 of
the original, so the Merkle log is the custody record and a bundle can prove each
step to a court without the server.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator

from django.db import transaction
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.crypto.keys import data_key_bytes
from corridor.evidence import scrub, storage
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.ingest import Ingested, max_pixels
from corridor.evidence.models import EvidenceFile
from corridor.evidence.services.common import EvidenceError, save_with_code
from corridor.evidence.stream import (
    ROLE_ORIGINAL,
    ROLE_WORKING,
    StreamEncryptor,
    blob_context,
    decrypt_stream,
)

log = logging.getLogger("corridor.evidence")

TRANSFER_TO = ("legal", "echr", "osce", "un", "icc", "journalist", "partner_org")
TRANSFER_METHODS = ("in_person", "courier", "secure_upload", "bundle")


def _custody(event: EvidenceEvent, *, actor, file: EvidenceFile, **data) -> None:
    record(event, actor=actor, organisation=file.organisation, obj=file, file=str(file.id),
           sha256=file.sha256, **data)


def file_register(*, actor, ingested: Ingested, description: str = "") -> EvidenceFile:
    """Turn a finished ingest into an evidence file; the "received" custody entry."""
    organisation = actor.organisation
    if ingested.data_key.organisation_id != organisation.pk:
        raise EvidenceError("data key of another organisation")
    with transaction.atomic():
        f = EvidenceFile(
            id=ingested.file_id, organisation=organisation, data_key=ingested.data_key, kind=ingested.kind,
            size=ingested.size, sha256=ingested.sha256, blob=ingested.blob, working_blob=ingested.working_blob,
            working_sha256=ingested.working_sha256, working_size=ingested.working_size, width=ingested.width,
            height=ingested.height, received_by=actor,
        )
        f.name = ingested.name
        f.description = description
        save_with_code(f, "F")
        storage.adopt(f.blob, f.working_blob)
        _custody(EvidenceEvent.FILE_RECEIVED, actor=actor, file=f, size=f.size, kind=f.kind,
                 working_sha256=f.working_sha256)
    if not f.working_blob:
        file_strip(actor=actor, file=f)
    return f


def file_strip(*, actor, file: EvidenceFile) -> EvidenceFile:
    """Make the working copy without metadata from the original (types other than the
    pictures stripped while they stream), or record why there can be none.

    The custody entry links the working copy's SHA-256 to the original's, so a
    bundle holding only the working copy still proves where it came from. The
    data key seals at most two streams: the original and this one (the row is
    locked and re-checked before a second working copy could be stored).
    """
    if file.working_blob or file.working_refused:
        return file
    key = data_key_bytes(file.data_key)
    context = blob_context(str(file.id), str(file.data_key_id), file.data_key.version)
    writer = None
    sha = hashlib.sha256()
    refused = ""
    try:
        with scrub.scrubbed(file.kind, file_read(file), max_pixels=max_pixels()) as clean:
            writer = storage.BlobWriter()
            enc = StreamEncryptor(key, context, role=ROLE_WORKING, write=writer.write)
            size = 0
            while piece := clean.read(1 << 20):
                sha.update(piece)
                enc.update(piece)
                size += len(piece)
            enc.finalize()
            writer.commit()
    except scrub.Unstrippable as exc:
        log.warning("evidence file %s: no working copy (%s)", file.id, exc)
        refused = exc.code
        if writer is not None:
            writer.discard()
            writer = None
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    with transaction.atomic():
        row = EvidenceFile.objects.select_for_update().get(pk=file.pk)
        if row.working_blob or row.working_refused:
            if writer is not None:
                storage.delete_blob(writer.name)
            return row
        if writer is not None:
            row.working_blob, row.working_sha256, row.working_size = writer.name, sha.hexdigest(), size
        else:
            row.working_refused = refused
        row.save(update_fields=["working_blob", "working_sha256", "working_size", "working_refused"])
        _custody(EvidenceEvent.FILE_STRIPPED, actor=actor, file=row, working_sha256=row.working_sha256,
                 tool=scrub.tool_for(row.kind), refused=refused)
    for field in ("working_blob", "working_sha256", "working_size", "working_refused"):
        setattr(file, field, getattr(row, field))
    return row


def file_refused(*, actor, reason: str) -> None:
    """Refused uploads are logged (a pattern of bombs says someone is probing)."""
    with transaction.atomic():
        record(EvidenceEvent.FILE_REFUSED, actor=actor, organisation=actor.organisation, reason=reason)


def file_read(file: EvidenceFile, *, working: bool = False) -> Iterator[bytes]:
    """Decrypt one copy chunk by chunk (no custody entry: callers record their own)."""
    if working and not file.working_blob:
        raise EvidenceError(_("This file has no working copy."))
    key = data_key_bytes(file.data_key)
    context = blob_context(str(file.id), str(file.data_key_id), file.data_key.version)
    name = file.working_blob if working else file.blob
    role = ROLE_WORKING if working else ROLE_ORIGINAL

    def chunks() -> Iterator[bytes]:
        with storage.open_blob(name) as fh:
            yield from decrypt_stream(key, context, fh, role=role)

    return chunks()


def file_view(*, actor, file: EvidenceFile, working: bool = True) -> Iterator[bytes]:
    """Open a copy for a member of staff: the "viewed" custody entry, then the bytes."""
    chunks = file_read(file, working=working)
    with transaction.atomic():
        _custody(EvidenceEvent.FILE_VIEWED, actor=actor, file=file, copy="working" if working else "original")
    return chunks


def file_transfer(*, actor, file: EvidenceFile, to: str, method: str) -> None:
    """Record that the file (a copy) left the organisation's hands, to whom and how."""
    if to not in TRANSFER_TO or method not in TRANSFER_METHODS:
        raise EvidenceError(_("Choose the recipient and the method from the list."))
    with transaction.atomic():
        _custody(EvidenceEvent.FILE_TRANSFERRED, actor=actor, file=file, to=to, method=method)


def file_exported(*, actor, file: EvidenceFile, bundle: str) -> int:
    """Inside the bundle builder's transaction; returns the entry's sequence number."""
    entry = record(EvidenceEvent.FILE_EXPORTED, actor=actor, organisation=file.organisation, obj=file,
                   file=str(file.id), sha256=file.sha256, bundle=bundle)
    return entry.seq
