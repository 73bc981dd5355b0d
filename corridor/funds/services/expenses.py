"""Expenses: categories, encrypted payee and receipt, the two-person rule above a
threshold, links to a pseudonymous case or service, and corrections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.funds import receipts
from corridor.funds.events import FundsEvent
from corridor.funds.models import Category, Expense
from corridor.funds.money import check_currency, parse_amount, to_minor
from corridor.funds.rates import MissingRate, RateBook
from corridor.funds.services.common import NotAllowed, check_open, check_same_org, require
from corridor.funds.services.donations import _check_date

DEFAULT_THRESHOLD = "1000 USD"


def approval_threshold() -> tuple[Decimal, str]:
    """(amount, currency) from CORRIDOR_FUNDS_APPROVAL_THRESHOLD, e.g. "1000 USD"."""
    raw = str(getattr(settings, "CORRIDOR_FUNDS_APPROVAL_THRESHOLD", DEFAULT_THRESHOLD))
    amount, currency = raw.split()
    return Decimal(amount), check_currency(currency)


def approval_reason(organisation, amount: Decimal, currency: str, day: date) -> str | None:
    """Why an expense needs a second finance officer: "above" the threshold, "no_rate"
    when it cannot be converted to the threshold's currency (the safe answer is a
    second pair of eyes), or None."""
    limit, limit_currency = approval_threshold()
    try:
        converted = RateBook(organisation, limit_currency, currencies=[currency]).convert(abs(amount), currency, day)
    except MissingRate:
        return "no_rate"
    return "above" if converted >= limit else None


def needs_second_approval(organisation, amount: Decimal, currency: str, day: date) -> bool:
    return approval_reason(organisation, amount, currency, day) is not None


def _check_category(category: str) -> str:
    if category not in Category.values:
        raise ValidationError(_("Choose a category."), code="category")
    return category


def _check_links(expense: Expense, case, service) -> None:
    check_same_org(expense.organisation, case)
    if service is not None:
        if case is None or service.case_id != case.pk:
            raise ValidationError(_("The service must belong to the linked case."), code="service")


def _set_status(expense: Expense) -> None:
    amount = expense.money.amount
    if needs_second_approval(expense.organisation, amount, expense.currency, expense.date):
        expense.status = Expense.Status.PENDING
    else:
        expense.status = Expense.Status.APPROVED
    expense.decided_by, expense.decided = None, None


def _attach(expense: Expense, upload, stored: list[str]) -> None:
    content, content_type, extension = receipts.read_upload(upload)
    name, digest = receipts.store(expense, content)
    stored.append(name)
    expense.receipt_blob, expense.receipt_size, expense.receipt_type = name, len(content), content_type
    filename = str(getattr(upload, "name", "") or f"receipt.{extension}")[-120:]
    expense.receipt_meta = {"filename": filename, "sha256": digest}


def _cleanup_on_rollback(stored: list[str]) -> None:
    for name in stored:
        receipts.discard(name)


def expense_record(*, actor, organisation, date: date, amount, currency: str, category: str, payee: str = "",
                   description: str = "", case=None, service=None, receipt=None) -> Expense:
    require(actor, Perm.FUNDS_EDIT)
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    expense = Expense(organisation=organisation, date=_check_date(date), amount_minor=to_minor(value, currency),
                      currency=currency, category=_check_category(category), case=case, service=service,
                      created_by=None if isinstance(actor, str) else actor)
    _check_links(expense, case, service)
    stored: list[str] = []
    try:
        with transaction.atomic():
            check_open(organisation, expense.date)
            expense.data_key = new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation)
            expense.payee = payee.strip()
            expense.description = description.strip()
            _set_status(expense)
            if receipt is not None:
                _attach(expense, receipt, stored)
            expense.save(force_insert=True)
            record(FundsEvent.EXPENSE_RECORDED, actor=actor, organisation=organisation, obj=expense,
                   month=expense.month.isoformat()[:7], category=expense.category, status=expense.status,
                   case=case.code if case is not None else "")
    except BaseException:
        _cleanup_on_rollback(stored)
        raise
    return expense


def expense_update(*, actor, expense: Expense, date: date, amount, currency: str, category: str,
                   payee: str = "", description: str = "") -> Expense:
    """Open months only. A changed amount, currency or date needs approval again if
    the expense is above the threshold."""
    require(actor, Perm.FUNDS_EDIT)
    currency = check_currency(currency)
    value = parse_amount(amount, currency)
    with transaction.atomic():
        check_open(expense.organisation, expense.date, _check_date(date))
        money_changed = (expense.date, expense.amount_minor, expense.currency) != (
            date, to_minor(value, currency), currency)
        expense.date, expense.currency, expense.amount_minor = date, currency, to_minor(value, currency)
        expense.category = _check_category(category)
        expense.payee, expense.description = payee.strip(), description.strip()
        if money_changed or expense.status == Expense.Status.REJECTED:
            _set_status(expense)
        expense.save()
        record(FundsEvent.EXPENSE_UPDATED, actor=actor, organisation=str(expense.organisation_id), obj=expense,
               month=expense.month.isoformat()[:7], status=expense.status)
    return expense


def expense_delete(*, actor, expense: Expense) -> None:
    require(actor, Perm.FUNDS_EDIT)
    with transaction.atomic():
        check_open(expense.organisation, expense.date)
        if expense.corrections.exists():
            raise ValidationError(_("This expense has corrections; correct it instead of deleting it."),
                                  code="corrected")
        record(FundsEvent.EXPENSE_DELETED, actor=actor, organisation=str(expense.organisation_id), obj=expense,
               month=expense.month.isoformat()[:7])
        blob = expense.receipt_blob
        expense.delete()
        if blob:
            transaction.on_commit(lambda: receipts.discard(blob))


def _decide(actor, expense: Expense, status: str, event: FundsEvent) -> Expense:
    require(actor, Perm.FUNDS_APPROVE)
    if isinstance(actor, str):
        raise NotAllowed(_("Only a finance officer can approve an expense."), code="forbidden")
    with transaction.atomic():
        expense = Expense.objects.select_for_update().get(pk=expense.pk)
        if expense.organisation_id != actor.organisation_id:
            raise NotAllowed(_("Your role may not do this."), code="forbidden")
        if expense.status != Expense.Status.PENDING:
            raise ValidationError(_("This expense is not waiting for approval."), code="not_pending")
        if expense.created_by_id == actor.pk:
            raise NotAllowed(
                _("Another finance officer must approve an expense you recorded yourself."), code="same_person")
        check_open(expense.organisation, expense.date)
        expense.status, expense.decided_by, expense.decided = status, actor, timezone.now()
        expense.save(update_fields=["status", "decided_by", "decided"])
        record(event, actor=actor, organisation=str(expense.organisation_id), obj=expense,
               month=expense.month.isoformat()[:7])
    return expense


def expense_approve(*, actor, expense: Expense) -> Expense:
    return _decide(actor, expense, Expense.Status.APPROVED, FundsEvent.EXPENSE_APPROVED)


def expense_reject(*, actor, expense: Expense) -> Expense:
    return _decide(actor, expense, Expense.Status.REJECTED, FundsEvent.EXPENSE_REJECTED)


def expense_correct(*, actor, original: Expense, amount, date: date | None = None,
                    category: str | None = None) -> Expense:
    """A new entry in an open month adding `amount` (negative to reduce) to the
    original's category (or moving spending to `category`); the original's month
    is never rewritten. Large corrections need a second approval like any expense."""
    require(actor, Perm.FUNDS_EDIT)
    value = parse_amount(amount, original.currency, allow_negative=True)
    day = _check_date(date or timezone.localdate())
    correction = Expense(
        organisation=original.organisation, date=day, amount_minor=to_minor(value, original.currency),
        currency=original.currency, category=_check_category(category or original.category),
        case=original.case, service=original.service, corrects=original,
        created_by=None if isinstance(actor, str) else actor,
    )
    with transaction.atomic():
        check_open(original.organisation, day)
        correction.data_key = new_data_key(scope=DataKey.Scope.OTHER, organisation=original.organisation)
        correction.payee, correction.description = "", ""
        _set_status(correction)
        correction.save(force_insert=True)
        record(FundsEvent.EXPENSE_CORRECTED, actor=actor, organisation=str(original.organisation_id),
               obj=correction, corrects=str(original.pk), month=correction.month.isoformat()[:7],
               status=correction.status)
    return correction


def expense_attach_receipt(*, actor, expense: Expense, upload) -> Expense:
    require(actor, Perm.FUNDS_EDIT)
    stored: list[str] = []
    old = expense.receipt_blob
    try:
        with transaction.atomic():
            check_open(expense.organisation, expense.date)
            if expense.data_key_id is None:
                expense.data_key = new_data_key(scope=DataKey.Scope.OTHER, organisation=expense.organisation)
            _attach(expense, upload, stored)
            expense.save(update_fields=["data_key", "receipt_blob", "receipt_size", "receipt_type",
                                        "receipt_meta"])
            record(FundsEvent.RECEIPT_ATTACHED, actor=actor, organisation=str(expense.organisation_id),
                   obj=expense, size=expense.receipt_size, type=expense.receipt_type)
            if old:
                transaction.on_commit(lambda: receipts.discard(old))
    except BaseException:
        _cleanup_on_rollback(stored)
        raise
    return expense


def expense_link(*, actor, expense: Expense, case=None, service=None) -> Expense:
    require(actor, Perm.FUNDS_EDIT)
    _check_links(expense, case, service)
    with transaction.atomic():
        check_open(expense.organisation, expense.date)
        expense.case, expense.service = case, service
        expense.save(update_fields=["case", "service"])
        record(FundsEvent.EXPENSE_LINKED, actor=actor, organisation=str(expense.organisation_id), obj=expense,
               case=case.code if case is not None else "", service=str(service.pk) if service else "")
    return expense


def receipt_open(*, actor, expense: Expense) -> tuple[bytes, str, str]:
    """(content, content type, file name). Reading a receipt is logged like any
    access to personal data."""
    require(actor, Perm.FUNDS_EDIT)
    if not expense.receipt_blob:
        raise ValidationError(_("This expense has no receipt."), code="no_receipt")
    content = receipts.load(expense)
    meta = expense.receipt_meta or {}
    with transaction.atomic():
        record(FundsEvent.RECEIPT_DOWNLOADED, actor=actor, organisation=str(expense.organisation_id), obj=expense)
    return content, expense.receipt_type, str(meta.get("filename") or "receipt")
