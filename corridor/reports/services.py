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


def publication_create(*, actor, organisation, start: date, end: date, currency: str,
                       policy: Policy | None = None, today: date | None = None) -> Publication:
    """Freeze the report for months start..end. Every month must be closed, so the
    published figures can never drift from the books."""
    _require(actor, Perm.FUNDS_CLOSE_PERIOD)
    start, end = start.replace(day=1), end.replace(day=1)
    months = months_between(start, end)
    closed = set(ClosedPeriod.objects.filter(organisation=organisation, month__gte=start, month__lte=end)
                 .values_list("month", flat=True))
    missing = [m for m in months if m not in closed]
    if missing:
        raise ValidationError(
            _("Close every month of the period first; %(month)s is still open.")
            % {"month": f"{missing[0]:%m.%Y}"}, code="open")
    snapshot = report_preview(organisation=organisation, start=start, end=end, currency=currency,
                              policy=policy, today=today)
    digest = digest_of(snapshot)
    now = timezone.now()
    pdf_ru = render_pdf(snapshot, "ru", digest=digest, published=now)
    pdf_en = render_pdf(snapshot, "en", digest=digest, published=now)
    with transaction.atomic():
        publication = Publication.objects.create(
            organisation=organisation, start=start, end=end, currency=snapshot["currency"], data=snapshot,
            digest=digest, pdf_ru=pdf_ru, pdf_en=pdf_en, published=now,
            published_by=None if isinstance(actor, str) else actor)
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
