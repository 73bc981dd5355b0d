"""Exchange rates and budgets."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.funds.budgeting import burndown
from corridor.funds.forms import BudgetAmountForm, BudgetForm, RateForm
from corridor.funds.selectors import (
    budgets_for_user,
    get_budget_for_user,
    get_rate_for_user,
    rates_for_user,
)
from corridor.funds.services import budget_create, budget_update, rate_delete, rate_record
from corridor.funds.views.common import add_errors, confirm_first
from corridor.reports import charts
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def rates(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.can(Perm.FUNDS_EDIT)
    form = RateForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                rate_record(actor=request.user, organisation=request.user.organisation, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Rate saved."))
                return redirect("funds:rates")
    page = keyset_page(rates_for_user(request.user), ["-date", "currency", "quote", "id"], request, size=100)
    return render(request, "funds/rates.html", {"form": form, "page": page, "can_edit": can_edit})


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def rate_delete_view(request: HttpRequest, rate_id) -> HttpResponse:
    rate = get_rate_for_user(request.user, rate_id, write=True)
    asked = confirm_first(
        request, title=_("Delete this exchange rate?"), button=_("Delete the rate"), back=reverse("funds:rates"),
        consequence=_("The rate is deleted for good. Amounts that would be converted with it need another rate "
                      "for that day before reports can include them."))
    if asked:
        return asked
    try:
        rate_delete(actor=request.user, rate=rate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rate deleted."))
    return redirect("funds:rates")


@require_perm(Perm.FUNDS_VIEW)
def budgets(request: HttpRequest) -> HttpResponse:
    items = [burndown(b) for b in budgets_for_user(request.user)[:100]]
    return render(request, "funds/budgets.html", {"items": items})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def budget_new(request: HttpRequest) -> HttpResponse:
    form = BudgetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            budget = budget_create(actor=request.user, organisation=request.user.organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Budget saved."))
            return redirect("funds:budget", budget.pk)
    return render(request, "funds/budget_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def budget(request: HttpRequest, budget_id) -> HttpResponse:
    obj = get_budget_for_user(request.user, budget_id, write=request.method == "POST")
    form = BudgetAmountForm(request.POST or None, initial={"amount": obj.money.amount, "currency": obj.currency})
    if request.method == "POST" and form.is_valid():
        try:
            budget_update(actor=request.user, budget=obj, amount=form.cleaned_data["amount"],
                          currency=form.cleaned_data["currency"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Budget saved."))
            return redirect("funds:budget", obj.pk)
    result = burndown(obj)
    chart = None
    if result.months:
        chart = charts.lines(
            [f"{m.month:%m.%y}" for m in result.months],
            [charts.Series(_("Remaining"), [m.remaining for m in result.months]),
             charts.Series(_("Even pace"), [m.pace for m in result.months])],
            title=_("Burn-down of the budget"),
            desc=_("What remains of the budget at the end of each month, against spending at an even pace."),
            unit=obj.currency)
    return render(request, "funds/budget.html", {"budget": obj, "result": result, "chart": chart, "form": form,
                                                 "can_edit": request.user.can(Perm.FUNDS_EDIT)})
