"""Writes for exceptional access: break-glass openings and two-person bulk exports."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import BreakGlass, Case, ExportRequest
from corridor.cases.services._common import clean_text
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey

# A reason opens the case for a working shift, not for ever.
BREAK_GLASS_HOURS = 8
BREAK_GLASS_MIN_CHARS = 15
EXPORT_VALID_HOURS = 24
# Exporting names decrypts one key per person; the key agent seals itself when one
# account unwraps too many keys a minute, so exports with names stay small.
EXPORT_NAMES_LIMIT = 2000


def break_glass_open(*, actor, case: Case, reason: str) -> BreakGlass:
    """Open a case that is not the actor's, for a written reason shown to coordinators."""
    reason = clean_text(reason, limit=2000)
    if len(reason) < BREAK_GLASS_MIN_CHARS:
        raise ValidationError({"reason": _("Write a real reason (at least %(n)d characters): coordinators read it.")
                               % {"n": BREAK_GLASS_MIN_CHARS}})
    if not actor.can(Perm.CASE_BREAK_GLASS) or actor.organisation_id != case.organisation_id:
        raise ValidationError(_("You cannot open this case."))
    with transaction.atomic():
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=case.organisation)
        now = timezone.now()
        entry = BreakGlass(organisation_id=case.organisation_id, case=case, case_code=case.code, user=actor, at=now,
                           expires=now + timedelta(hours=BREAK_GLASS_HOURS), data_key=dk)
        entry.reason = reason
        entry.save(force_insert=True)
        record(CaseEvent.CASE_BREAK_GLASS, actor=actor, organisation=str(case.organisation_id), obj=case,
               hours=BREAK_GLASS_HOURS, reason_chars=len(reason))
    return entry


def break_glass_seen(*, actor, entries: list[BreakGlass]) -> int:
    """A coordinator has read these openings (they leave the "new" list)."""
    ids = [e.pk for e in entries if e.seen_at is None and e.organisation_id == actor.organisation_id]
    if not ids:
        return 0
    with transaction.atomic():
        count = BreakGlass.objects.filter(pk__in=ids, seen_at__isnull=True).update(seen_by=actor,
                                                                                   seen_at=timezone.now())
        record(CaseEvent.BREAK_GLASS_SEEN, actor=actor, organisation=str(actor.organisation_id), count=count)
    return count


def _clean_filters(filters: dict) -> dict:
    allowed = ("stage", "worker", "country", "household")
    return {k: str(v) for k, v in (filters or {}).items() if k in allowed and v}


def export_request(*, actor, purpose: str, filters: dict, include_names: bool = False,
                   expected_rows: int | None = None) -> ExportRequest:
    if not actor.can(Perm.CASE_EXPORT_APPROVE):
        raise ValidationError(_("Only coordinators can ask for a bulk export."))
    purpose = clean_text(purpose, limit=200)
    if len(purpose) < 10:
        raise ValidationError({"purpose": _("Say what the export is for: the approving coordinator reads it.")})
    if include_names and expected_rows is not None and expected_rows > EXPORT_NAMES_LIMIT:
        raise ValidationError({"include_names": _(
            "An export with names is limited to %(n)d people. Narrow the filters or leave names out."
        ) % {"n": EXPORT_NAMES_LIMIT}})
    with transaction.atomic():
        req = ExportRequest.objects.create(organisation_id=actor.organisation_id, requested_by=actor, purpose=purpose,
                                           filters=_clean_filters(filters), include_names=bool(include_names))
        record(CaseEvent.EXPORT_REQUESTED, actor=actor, organisation=str(actor.organisation_id), obj=req,
               names=bool(include_names), filters=req.filters)
    return req


def export_decide(*, actor, request: ExportRequest, approve: bool) -> ExportRequest:
    """The second coordinator's decision. The one who asked can never approve."""
    if not actor.can(Perm.CASE_EXPORT_APPROVE) or actor.organisation_id != request.organisation_id:
        raise ValidationError(_("Only another coordinator of this organisation can decide."))
    if actor.pk == request.requested_by_id:
        raise ValidationError(_("A second coordinator must approve this export, not the one who asked for it."))
    with transaction.atomic():
        updated = ExportRequest.objects.filter(pk=request.pk, status=ExportRequest.Status.PENDING).update(
            status=ExportRequest.Status.APPROVED if approve else ExportRequest.Status.DECLINED,
            decided_by=actor, decided_at=timezone.now())
        if not updated:
            raise ValidationError(_("This export was already decided."))
        request.refresh_from_db()
        record(CaseEvent.EXPORT_APPROVED if approve else CaseEvent.EXPORT_DECLINED, actor=actor,
               organisation=str(request.organisation_id), obj=request)
    return request


def export_take(*, actor, request: ExportRequest, rows: int) -> ExportRequest:
    """Mark an approved export as downloaded, once. Call inside the transaction
    that builds the file, so a failed build leaves it downloadable."""
    if actor.pk != request.requested_by_id:
        raise ValidationError(_("Only the coordinator who asked for this export can download it."))
    if request.decided_at and timezone.now() > request.decided_at + timedelta(hours=EXPORT_VALID_HOURS):
        ExportRequest.objects.filter(pk=request.pk, status=ExportRequest.Status.APPROVED).update(
            status=ExportRequest.Status.EXPIRED)
        raise ValidationError(_("This approval has expired. Ask again."))
    updated = ExportRequest.objects.filter(pk=request.pk, status=ExportRequest.Status.APPROVED).update(
        status=ExportRequest.Status.DOWNLOADED, downloaded_at=timezone.now(), rows=rows)
    if not updated:
        raise ValidationError(_("This export is not approved, or was already downloaded."))
    request.refresh_from_db()
    record(CaseEvent.EXPORT_DOWNLOADED, actor=actor, organisation=str(request.organisation_id), obj=request,
           rows=rows, names=request.include_names)
    return request
