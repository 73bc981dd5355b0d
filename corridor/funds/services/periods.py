"""Closing a month: from then on its entries and rates are fixed."""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.events import FundsEvent
from corridor.funds.models import ClosedPeriod, Donation, Expense, month_of
from corridor.funds.services.common import month_label, require


def month_digest(organisation, month: date) -> tuple[str, int, int]:
    """SHA-256 over every entry of the month in a fixed order: written to the audit
    log at closing, so a later change to the rows (even past the triggers, by
    someone with the database file) no longer matches the signed log."""
    h = hashlib.sha256(f"corridor/funds/month/v1\n{organisation.pk}\n{month.isoformat()}\n".encode())
    donations = (Donation.objects.filter(organisation=organisation, month=month).order_by("id")
                 .values_list("id", "date", "amount_minor", "currency", "source", "corrects_id"))
    expenses = (Expense.objects.filter(organisation=organisation, month=month).order_by("id")
                .values_list("id", "date", "amount_minor", "currency", "category", "status", "corrects_id"))
    n_d = n_e = 0
    for row in donations.iterator(chunk_size=5000):
        h.update(("d|" + "|".join(str(v) for v in row) + "\n").encode())
        n_d += 1
    for row in expenses.iterator(chunk_size=5000):
        h.update(("e|" + "|".join(str(v) for v in row) + "\n").encode())
        n_e += 1
    return h.hexdigest(), n_d, n_e


def _earlier_open_month_with_entries(organisation, month: date) -> date | None:
    closed = set(ClosedPeriod.objects.filter(organisation=organisation, month__lt=month)
                 .values_list("month", flat=True))
    used = set(Donation.objects.filter(organisation=organisation, month__lt=month)
               .values_list("month", flat=True).distinct())
    used |= set(Expense.objects.filter(organisation=organisation, month__lt=month)
                .values_list("month", flat=True).distinct())
    open_months = sorted(used - closed)
    return open_months[0] if open_months else None


def period_close(*, actor, organisation, month: date, today: date | None = None) -> ClosedPeriod:
    require(actor, Perm.FUNDS_CLOSE_PERIOD)
    month = month_of(month)
    today = today or timezone.localdate()
    if month >= month_of(today):
        raise ValidationError(_("Only a month that has ended can be closed."), code="not_ended")
    with transaction.atomic():
        if ClosedPeriod.objects.filter(organisation=organisation, month=month).exists():
            raise ValidationError(_("%(month)s is already closed.") % {"month": month_label(month)}, code="closed")
        earlier = _earlier_open_month_with_entries(organisation, month)
        if earlier is not None:
            raise ValidationError(_("Close %(month)s first: months are closed in order.")
                                  % {"month": month_label(earlier)}, code="order")
        pending = Expense.objects.filter(organisation=organisation, month=month,
                                         status=Expense.Status.PENDING).count()
        if pending:
            raise ValidationError(
                ngettext("%(count)s expense of %(month)s still waits for a second approval.",
                         "%(count)s expenses of %(month)s still wait for a second approval.", pending)
                % {"count": pending, "month": month_label(month)}, code="pending")
        digest, n_donations, n_expenses = month_digest(organisation, month)
        try:
            period = ClosedPeriod.objects.create(
                organisation=organisation, month=month, closed_by=None if isinstance(actor, str) else actor,
                donations=n_donations, expenses=n_expenses, digest=digest)
        except IntegrityError:  # a concurrent close of the same month won
            raise ValidationError(_("%(month)s is already closed.") % {"month": month_label(month)},
                                  code="closed") from None
        record(FundsEvent.PERIOD_CLOSED, actor=actor, organisation=organisation, obj=period,
               month=month.isoformat()[:7], donations=n_donations, expenses=n_expenses, digest=digest)
    return period
