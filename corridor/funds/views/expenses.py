"""Expenses: record with receipt, approve (a second officer), link, correct."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.funds.forms import CorrectionForm, ExpenseEditForm, ExpenseForm, LinkForm, ReceiptForm
from corridor.funds.models import Category, Expense
from corridor.funds.selectors import (
    can_see_identities,
    case_for_expense,
    closed_months,
    expenses_for_user,
    get_expense_for_user,
    services_of_case,
)
from corridor.funds.services import (
    approval_reason,
    approval_threshold,
    expense_approve,
    expense_attach_receipt,
    expense_correct,
    expense_delete,
    expense_link,
    expense_record,
    expense_reject,
    expense_update,
    is_closed,
    receipt_open,
)
from corridor.funds.views.common import add_errors, month_param
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page

PAGE = 50


@require_perm(Perm.FUNDS_VIEW)
def expenses(request: HttpRequest) -> HttpResponse:
    month = month_param(request)
    status = request.GET.get("status", "")
    status = status if status in Expense.Status.values else ""
    category = request.GET.get("category", "")
    category = category if category in Category.values else ""
    qs = expenses_for_user(request.user, month=month, status=status, category=category)
    page = keyset_page(qs, ["-date", "-created", "-id"], request, size=PAGE)
    show = can_see_identities(request.user)
    if show:
        preload([e.data_key for e in page if e.data_key_id])
    return render(request, "funds/expenses.html", {
        "page": page, "month": month, "status": status, "category": category, "show_payees": show,
        "statuses": Expense.Status.choices, "categories": Category.choices,
        "closed": closed_months(request.user.organisation_id),
    })


def _case_from(form, user):
    code = form.cleaned_data.get("case_code", "").strip()
    if not code:
        return None, True
    case = case_for_expense(user, code)
    if case is None:
        form.add_error("case_code", _("There is no case with this pseudonym in your organisation."))
        return None, False
    return case, True


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def expense_new(request: HttpRequest) -> HttpResponse:
    form = ExpenseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        case, ok = _case_from(form, request.user)
        if ok:
            data = form.cleaned_data
            try:
                expense = expense_record(
                    actor=request.user, organisation=request.user.organisation, date=data["date"],
                    amount=data["amount"], currency=data["currency"], category=data["category"],
                    payee=data["payee"], description=data["description"], case=case, receipt=data["receipt"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                reason = approval_reason(expense.organisation, expense.money.amount, expense.currency, expense.date)
                if expense.status == Expense.Status.PENDING and reason == "no_rate":
                    messages.warning(request, _(
                        "Recorded. There is no exchange rate from %(currency)s to %(limit_currency)s for this date, "
                        "so a second finance officer must approve it. Enter the rate under Funds → Exchange rates.")
                        % {"currency": expense.currency, "limit_currency": approval_threshold()[1]})
                elif expense.status == Expense.Status.PENDING:
                    messages.warning(request, _("Recorded. Above %(limit)s a second finance officer must approve it.")
                                     % {"limit": " ".join(str(x) for x in approval_threshold())})
                else:
                    messages.success(request, _("Expense recorded."))
                return redirect("funds:expense", expense.pk)
    return render(request, "funds/expense_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def expense(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=request.method == "POST")
    show = can_see_identities(request.user)
    initial = {"date": obj.date, "amount": obj.money.amount, "currency": obj.currency, "category": obj.category}
    if show:
        initial.update(payee=obj.payee or "", description=obj.description or "")
    form = ExpenseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expense_update(actor=request.user, expense=obj, **data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Expense saved."))
            return redirect("funds:expense", obj.pk)
    user = request.user
    return render(request, "funds/expense.html", {
        "expense": obj, "form": form, "show_payee": show, "closed": is_closed(obj.organisation, obj.date),
        "can_edit": user.can(Perm.FUNDS_EDIT),
        "can_decide": (obj.status == Expense.Status.PENDING and user.can(Perm.FUNDS_APPROVE)
                       and obj.created_by_id != user.pk),
        "correction_form": CorrectionForm(currency=obj.currency, with_category=True),
        "receipt_form": ReceiptForm(),
        "link_form": LinkForm(initial={"case_code": obj.case.code if obj.case else "",
                                       "service": str(obj.service_id or "")},
                              services=services_of_case(obj.case) if obj.case else ()),
        "corrections": obj.corrections.order_by("date"),
    })


def _decide(request, expense_id, service, done: str) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id)
    try:
        service(actor=request.user, expense=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("funds:expense", obj.pk)


@require_POST
@require_perm(Perm.FUNDS_APPROVE)
def expense_approve_view(request: HttpRequest, expense_id) -> HttpResponse:
    return _decide(request, expense_id, expense_approve, _("Expense approved."))


@require_POST
@require_perm(Perm.FUNDS_APPROVE)
def expense_reject_view(request: HttpRequest, expense_id) -> HttpResponse:
    return _decide(request, expense_id, expense_reject, _("Expense rejected."))


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def expense_delete_view(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=True)
    try:
        expense_delete(actor=request.user, expense=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("funds:expense", obj.pk)
    messages.success(request, _("Expense deleted."))
    return redirect("funds:expenses")


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def expense_correct_view(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=True)
    form = CorrectionForm(request.POST, currency=obj.currency, with_category=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            correction = expense_correct(actor=request.user, original=obj, amount=data["amount"], date=data["date"],
                                         category=data.get("category") or None)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Correction recorded."))
            return redirect("funds:expense", correction.pk)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("funds:expense", obj.pk)


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def expense_receipt_upload(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=True)
    form = ReceiptForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            expense_attach_receipt(actor=request.user, expense=obj, upload=form.cleaned_data["receipt"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Receipt stored, encrypted."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("funds:expense", obj.pk)


@require_GET
@require_perm(Perm.FUNDS_EDIT)
def expense_receipt(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=True)
    try:
        content, content_type, _name = receipt_open(actor=request.user, expense=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("funds:expense", obj.pk)
    response = HttpResponse(content, content_type=content_type)
    # Always a download under a neutral name: never rendered inside Corridor's origin.
    extension = content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
    response["Content-Disposition"] = f'attachment; filename="receipt-{obj.pk}.{extension}"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def expense_link_view(request: HttpRequest, expense_id) -> HttpResponse:
    obj = get_expense_for_user(request.user, expense_id, write=True)
    services = services_of_case(obj.case) if obj.case else []
    form = LinkForm(request.POST, services=services)
    if form.is_valid():
        case, ok = _case_from(form, request.user)
        if ok:
            service = None
            chosen = form.cleaned_data.get("service")
            if chosen and case is not None and obj.case_id == case.pk:
                service = next((s for s in services if str(s.pk) == chosen), None)
            try:
                expense_link(actor=request.user, expense=obj, case=case, service=service)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Link saved."))
                return redirect("funds:expense", obj.pk)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors)
                   or _("The link was not saved."))
    return redirect("funds:expense", obj.pk)
