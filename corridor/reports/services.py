"""Publishing and withdrawing transparency reports."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.budgeting import months_between
from corridor.funds.models import ClosedPeriod
from corridor.funds.money import check_currency
from corridor.funds.rates import MissingRate
from corridor.reports.disclosure import Policy
from corridor.reports.events import ReportEvent
from corridor.reports.models import Publication
from corridor.reports.pdf import render_pdf
from corridor.reports.transparency import ReportError, build
from corridor.web.templatetags.corridor_time import month_in_sentence


def _require(actor, perm: Perm) -> None:
    if not isinstance(actor, str) and not actor.can(perm):
        raise ValidationError(_("Your role may not do this."), code="forbidden")


def digest_of(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_preview(*, organisation, start: date, end: date, currency: str, policy: Policy | None = None,
                   today: date | None = None) -> dict:
    """The snapshot a publication would hold (no write, no audit: it is aggregate data)."""
    currency = check_currency(currency)
    try:
        return build(organisation, start=start, end=end, currency=currency, policy=policy, today=today)
    except MissingRate as exc:
        raise ValidationError(exc.message, code="rate") from exc
    except ReportError as exc:
        raise ValidationError(str(exc), code="period") from exc


def overlapping(organisation, start: date, end: date):
    """Every report ever published (withdrawn ones too: they were public, and copies
    survive) whose months overlap start..end."""
    return Publication.objects.filter(organisation=organisation, start__lte=end, end__gte=start).defer(
        "pdf_ru", "pdf_en", "data")


def _superseded(organisation, start: date, end: date, *, correction: bool) -> Publication | None:
    """The live report a correction replaces, or None; refuses any other overlap.

    Two reports whose periods overlap without being equal (Jan–Dec and Jan–Nov, or
    Jan–Jun and Apr–Sep) can be subtracted from each other to single out a month or a
    few people, defeating the rounding and suppression each passed on its own. A
    correction of exactly the same months is allowed, deliberately and on the record."""
    earlier = list(overlapping(organisation, start, end))
    if not earlier:
        return None
    same = [p for p in earlier if p.start == start and p.end == end]
    if correction and len(same) == len(earlier):
        # The end of the chain of corrections (earlier versions are superseded already).
        return next(p for p in sorted(same, key=lambda p: p.published, reverse=True)
                    if not Publication.objects.filter(supersedes=p).exists())
    clash = earlier[0]
    if len(same) == len(earlier):
        message = _("A report for exactly these months was already published (%(start)s – %(end)s). "
                    "Publish it again only as a correction.")
    else:
        message = _("This period overlaps a report already published (%(start)s – %(end)s). Overlapping "
                    "reports can be compared to single out a month, so choose months that do not overlap it.")
    raise ValidationError(message % {"start": month_in_sentence(clash.start), "end": month_in_sentence(clash.end)},
                          code="overlap")


def publication_create(*, actor, organisation, start: date, end: date, currency: str,
                       policy: Policy | None = None, today: date | None = None,
                       correction: bool = False) -> Publication:
    """Freeze the report for months start..end. Every month must be closed, so the
    published figures can never drift from the books; the period may not overlap an
    earlier report unless it corrects exactly the same months."""
    _require(actor, Perm.FUNDS_CLOSE_PERIOD)
    start, end = start.replace(day=1), end.replace(day=1)
    try:
        replaced = _superseded(organisation, start, end, correction=correction)
    except ValidationError:
        with transaction.atomic():
            record(ReportEvent.REPORT_OVERLAP_REFUSED, actor=actor, organisation=organisation,
                   start=start.isoformat()[:7], end=end.isoformat()[:7])
        raise
    months = months_between(start, end)
    closed = set(ClosedPeriod.objects.filter(organisation=organisation, month__gte=start, month__lte=end)
                 .values_list("month", flat=True))
    missing = [m for m in months if m not in closed]
    if missing:
        raise ValidationError(
            _("Close every month of the period first; %(month)s is still open.")
            % {"month": month_in_sentence(missing[0])}, code="open")
    snapshot = report_preview(organisation=organisation, start=start, end=end, currency=currency,
                              policy=policy, today=today)
    digest = digest_of(snapshot)
    now = timezone.now()
    pdf_ru = render_pdf(snapshot, "ru", digest=digest, published=now)
    pdf_en = render_pdf(snapshot, "en", digest=digest, published=now)
    with transaction.atomic():
        # Two finance officers publishing overlapping periods at once: the second waits
        # on the organisation's row and then sees the first report.
        type(organisation).objects.select_for_update().filter(pk=organisation.pk).exists()
        if _superseded(organisation, start, end, correction=correction) != replaced:
            raise ValidationError(_("Another report was published for this period meanwhile."), code="overlap")
        if replaced is not None:
            replaced = Publication.objects.select_for_update().defer("pdf_ru", "pdf_en", "data").get(pk=replaced.pk)
            if replaced.withdrawn is None:
                replaced.withdrawn = now
                replaced.withdrawn_by = None if isinstance(actor, str) else actor
                replaced.save(update_fields=["withdrawn", "withdrawn_by"])
        publication = Publication.objects.create(
            organisation=organisation, start=start, end=end, currency=snapshot["currency"], data=snapshot,
            digest=digest, pdf_ru=pdf_ru, pdf_en=pdf_en, published=now,
            published_by=None if isinstance(actor, str) else actor, supersedes=replaced)
        if replaced is not None:
            record(ReportEvent.REPORT_CORRECTED, actor=actor, organisation=organisation, obj=publication,
                   replaces=str(replaced.pk), old_digest=replaced.digest, digest=digest)
        record(ReportEvent.REPORT_PUBLISHED, actor=actor, organisation=organisation, obj=publication,
               start=start.isoformat()[:7], end=end.isoformat()[:7], currency=publication.currency,
               digest=digest)
    return publication


def publication_withdraw(*, actor, publication: Publication) -> Publication:
    """Take a report off the public pages (it stays in the database and the log)."""
    _require(actor, Perm.FUNDS_CLOSE_PERIOD)
    if publication.withdrawn is not None:
        return publication
    with transaction.atomic():
        publication.withdrawn = timezone.now()
        publication.withdrawn_by = None if isinstance(actor, str) else actor
        publication.save(update_fields=["withdrawn", "withdrawn_by"])
        record(ReportEvent.REPORT_WITHDRAWN, actor=actor, organisation=str(publication.organisation_id),
               obj=publication, digest=publication.digest)
    return publication
