"""Reads of the funds app, and the one access function per object type.

Each `get_<thing>_for_user` returns 404 for "missing" and "another organisation's"
alike. Reading a donor's identity or a payee needs FUNDS_EDIT (the finance
officers who record them); coordinators and auditors with FUNDS_VIEW see amounts,
categories and pseudonymous case codes only.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.funds.models import (
    Budget,
    Campaign,
    ClosedPeriod,
    Donation,
    Donor,
    ExchangeRate,
    Expense,
    month_of,
)
from corridor.funds.money import Money


def _check(user, write: bool) -> None:
    if not user.can(Perm.FUNDS_VIEW) or (write and not user.can(Perm.FUNDS_EDIT)):
        raise Http404


def _get(model, user, object_id, *, write: bool = False, related: tuple[str, ...] = ()):
    _check(user, write)
    try:
        key = uuid.UUID(str(object_id))
        return model.objects.select_related(*related).get(pk=key, organisation=user.organisation_id)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def can_see_identities(user) -> bool:
    return user.can(Perm.FUNDS_EDIT)


def get_donor_for_user(user, donor_id, *, write: bool = False) -> Donor:
    # Only those who record donors may open one: the page shows who they are.
    if not can_see_identities(user):
        raise Http404
    return _get(Donor, user, donor_id, write=write, related=("data_key",))


def get_campaign_for_user(user, campaign_id, *, write: bool = False) -> Campaign:
    return _get(Campaign, user, campaign_id, write=write)


def get_donation_for_user(user, donation_id, *, write: bool = False) -> Donation:
    return _get(Donation, user, donation_id, write=write,
                related=("donor", "donor__data_key", "campaign", "corrects", "organisation"))


def get_expense_for_user(user, expense_id, *, write: bool = False) -> Expense:
    return _get(Expense, user, expense_id, write=write,
                related=("data_key", "case", "service", "corrects", "created_by", "decided_by", "organisation"))


def get_rate_for_user(user, rate_id, *, write: bool = False) -> ExchangeRate:
    return _get(ExchangeRate, user, rate_id, write=write, related=("organisation",))


def get_budget_for_user(user, budget_id, *, write: bool = False) -> Budget:
    return _get(Budget, user, budget_id, write=write)


def case_for_expense(user, code: str):
    """The organisation's case with this pseudonym, for linking spending to it. Only
    the code and existence are used; nothing of the case is shown."""
    from corridor.cases.models import Case

    _check(user, True)
    return Case.objects.filter(organisation=user.organisation_id, code=code.strip().upper()).first()


def services_of_case(case) -> QuerySet:
    from corridor.cases.models import Service

    return Service.objects.filter(case=case).only("id", "kind", "started", "case_id").order_by("-started")


# --- lists ---------------------------------------------------------------------------

def donors_for_user(user) -> list[Donor]:
    if not can_see_identities(user):
        raise Http404
    donors = list(Donor.objects.filter(organisation=user.organisation_id).select_related("data_key")
                  .annotate(n=Count("donations")).order_by("-created"))
    preload([d.data_key for d in donors if d.erased is None])
    return donors


def campaigns_for_user(user) -> QuerySet:
    _check(user, False)
    return (Campaign.objects.filter(organisation=user.organisation_id)
            .annotate(n=Count("donations")).order_by("status", "name"))


def donations_for_user(user, *, month: date | None = None) -> QuerySet:
    _check(user, False)
    qs = Donation.objects.filter(organisation=user.organisation_id).select_related("campaign", "donor", "donor__data_key")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-date", "-created")


def expenses_for_user(user, *, month: date | None = None, status: str = "", category: str = "") -> QuerySet:
    _check(user, False)
    qs = Expense.objects.filter(organisation=user.organisation_id).select_related("case", "created_by", "data_key")
    if month is not None:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-date", "-created")


def pending_for_user(user) -> QuerySet:
    """Expenses this user could approve: pending, and not recorded by them."""
    if not user.can(Perm.FUNDS_APPROVE):
        return Expense.objects.none()
    return (Expense.objects.filter(organisation=user.organisation_id, status=Expense.Status.PENDING)
            .exclude(created_by=user).order_by("date"))


def rates_for_user(user) -> QuerySet:
    _check(user, False)
    return ExchangeRate.objects.filter(organisation=user.organisation_id).order_by("-date", "currency", "quote")


def budgets_for_user(user) -> QuerySet:
    _check(user, False)
    return Budget.objects.filter(organisation=user.organisation_id).order_by("-start", "category")


def months_for_user(user) -> list[dict]:
    """Every month with entries, newest first, with counts and whether it is closed."""
    _check(user, False)
    org = user.organisation_id
    counts: dict[date, dict] = {}
    for row in Donation.objects.filter(organisation=org).values("month").annotate(n=Count("id")).order_by():
        counts.setdefault(row["month"], {"donations": 0, "expenses": 0, "pending": 0})["donations"] = row["n"]
    for row in (Expense.objects.filter(organisation=org).values("month")
                .annotate(n=Count("id"), pending=Count("id", filter=Q(status=Expense.Status.PENDING))).order_by()):
        entry = counts.setdefault(row["month"], {"donations": 0, "expenses": 0, "pending": 0})
        entry["expenses"], entry["pending"] = row["n"], row["pending"]
    closed = {p.month: p for p in ClosedPeriod.objects.filter(organisation=org).select_related("closed_by")}
    current = month_of(timezone.localdate())
    months = sorted(set(counts) | set(closed), reverse=True)
    return [
        {"month": m, **counts.get(m, {"donations": 0, "expenses": 0, "pending": 0}), "closed": closed.get(m),
         "ended": m < current}
        for m in months
    ]


def closed_months(organisation) -> set[date]:
    return set(ClosedPeriod.objects.filter(organisation=organisation).values_list("month", flat=True))


def dashboard_panel(request) -> dict | None:
    user = request.user
    month = month_of(timezone.localdate())
    spent = (Expense.objects.filter(organisation=user.organisation_id, month=month,
                                    status=Expense.Status.APPROVED)
             .values("currency").annotate(total=Sum("amount_minor")).order_by("currency"))
    return {
        "pending": pending_for_user(user).count(),
        "month": month,
        "spent": [Money.of_minor(row["total"], row["currency"]) for row in spent],
    }
