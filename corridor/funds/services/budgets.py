"""Budgets per category and period."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.events import FundsEvent
from corridor.funds.models import Budget, Category, month_of
from corridor.funds.money import check_currency, parse_amount, to_minor
from corridor.funds.services.common import require


def budget_create(*, actor, organisation, category: str, start: date, end: date, amount, currency: str) -> Budget:
    require(actor, Perm.FUNDS_EDIT)
    if category not in Category.values:
        raise ValidationError(_("Choose a category."), code="category")
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    start, end = month_of(start), month_of(end)
    if end < start:
        raise ValidationError(_("The last month cannot come before the first."), code="dates")
    budget = Budget(organisation=organisation, category=category, start=start, end=end,
                    amount_minor=to_minor(value, currency), currency=currency)
    try:
        with transaction.atomic():
            budget.save(force_insert=True)
            record(FundsEvent.BUDGET_CREATED, actor=actor, organisation=organisation, obj=budget,
                   category=category, start=start.isoformat()[:7], end=end.isoformat()[:7])
    except IntegrityError:
        raise ValidationError(_("There is already a budget for this category and period."),
                              code="duplicate") from None
    return budget


def budget_update(*, actor, budget: Budget, amount, currency: str) -> Budget:
    require(actor, Perm.FUNDS_EDIT)
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    with transaction.atomic():
        budget.amount_minor, budget.currency = to_minor(value, currency), currency
        budget.save(update_fields=["amount_minor", "currency"])
        record(FundsEvent.BUDGET_UPDATED, actor=actor, organisation=str(budget.organisation_id), obj=budget)
    return budget
