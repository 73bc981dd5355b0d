"""Importing a year of earlier records for an organisation that starts using
Corridor in the middle of its work (docs/import.md).

Every row goes through the same services as a person at the hotline would, with
the dates it happened: the contact (`contact_record(received=...)`), its outcome,
and for people who became a case `contact_open_case` with their journey so far.
The import is one transaction: a file with any wrong line imports nothing, so it
can be fixed and run again. Nobody vetted these people in Corridor, so each case
carries the import as a coordinator's override, with the file and line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.intake import history
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Status

OBJECT_TYPE = "intake.history"


@dataclass
class ImportResult:
    digest: str
    rows: int = 0
    contacts: int = 0
    cases: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    furthest: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


class AlreadyImported(ValidationError):
    pass


def _workers(organisation) -> dict:
    from corridor.accounts.models import User

    return {u.username: u for u in User.objects.filter(organisation=organisation, is_active=True)
            if u.can(Perm.CASE_VIEW_ASSIGNED)}


def history_import(*, actor, data: bytes, dry_run: bool = False, progress=None) -> ImportResult:
    """Check every line of the file; unless `dry_run` and only if no line is wrong,
    import it all in one transaction. The acting coordinator's organisation receives
    the records."""
    from corridor.audit.models import AuditEntry
    from corridor.exposure.services import normalise_identifier

    if not actor.can(Perm.TRIAGE_DECIDE):
        raise PermissionDenied
    organisation = actor.organisation
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(digest=digest, dry_run=dry_run)
    if AuditEntry.objects.filter(object_type=OBJECT_TYPE, object_id=digest,
                                 organisation=str(organisation.pk)).exists():
        raise AlreadyImported(f"this file (sha256 {digest[:12]}…) was imported already")
    try:
        text = history.decode(data)
    except ValueError as exc:
        result.errors.append((0, str(exc)))
        return result
    workers = _workers(organisation)
    parsed = history.parse(text, normalise_phone=lambda raw: normalise_identifier("phone", raw),
                           workers=set(workers))
    result.errors = parsed.errors
    result.rows = len(parsed.rows)
    for row in parsed.rows:
        furthest = row.steps[-1][0] if row.steps else row.outcome
        result.furthest[furthest] = result.furthest.get(furthest, 0) + 1
        result.cases += row.is_case
        result.contacts += 1
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        for done, row in enumerate(parsed.rows, 1):
            _import_row(actor, organisation, row, digest, workers)
            if progress is not None:
                progress(done, len(parsed.rows))
        record(IntakeEvent.HISTORY_IMPORTED, actor=actor, organisation=organisation, object_type=OBJECT_TYPE,
               object_id=digest, rows=result.rows, contacts=result.contacts, cases=result.cases)
    return result


def _import_row(actor, organisation, row: history.Row, digest: str, workers: dict) -> None:
    from corridor.intake.services.accept import contact_open_case
    from corridor.intake.services.triage import contact_record, contact_set_status

    where = f"line {row.line} of file {digest[:12]}"
    try:
        contact = contact_record(actor=actor, organisation=organisation, channel=row.channel, what=row.what,
                                 where=row.where, urgency=row.urgency, received=row.contacted,
                                 identifiers=[("phone", row.phone)] if row.phone else [])
        if not row.is_case:
            if row.outcome != Status.NEW:
                contact_set_status(actor=actor, contact=contact, status=row.outcome,
                                   reason=row.note or f"Imported from earlier records ({where}).")
            return
        case_steps = [(stage, at) for stage, at in row.steps if stage != "vetting"]
        vetted = next((at for stage, at in row.steps if stage == "vetting"), None)
        accepted_at = case_steps[0][1]
        later = [(stage, at, "") for stage, at in case_steps if stage != "accepted"]
        override = f"Imported from earlier records ({where})." + (f" {row.note}" if row.note else "")
        contact_open_case(actor=actor, contact=contact, name=row.name, phone=row.phone,
                          worker=workers.get(row.worker), when=accepted_at, override=override, vetted_at=vetted,
                          later=later, imported={"imported": {"file": digest[:12], "line": row.line,
                                                              "ref": row.ref}})
    except ValidationError as exc:
        # Checked before the transaction; reaching here means the database disagreed
        # (a race with another import): stop with the line, import nothing.
        raise ValidationError(f"line {row.line}: {' '.join(exc.messages)}") from exc
