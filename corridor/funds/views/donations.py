"""Donations: list by month, record, edit while open, correct once closed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.funds.forms import CorrectionForm, DonationEditForm, DonationForm
from corridor.funds.selectors import (
    can_see_identities,
    closed_months,
    donations_for_user,
    donors_for_user,
    get_donation_for_user,
)
from corridor.funds.services import (
    donation_correct,
    donation_delete,
    donation_record,
    donation_update,
    is_closed,
)
from corridor.funds.views.common import add_errors, month_param
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page

PAGE = 50


@require_perm(Perm.FUNDS_VIEW)
def donations(request: HttpRequest) -> HttpResponse:
    month = month_param(request)
    page = keyset_page(donations_for_user(request.user, month=month), ["-date", "-created", "-id"], request, size=PAGE)
    if can_see_identities(request.user):
        preload([d.donor.data_key for d in page if d.donor is not None and d.donor.erased is None])
    return render(request, "funds/donations.html", {
        "page": page, "month": month, "closed": closed_months(request.user.organisation_id),
        "show_names": can_see_identities(request.user),
    })


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def donation_new(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation
    form = DonationForm(request.POST or None, organisation=org, donors=donors_for_user(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donation = donation_record(actor=request.user, organisation=org, date=data["date"],
                                       amount=data["amount"], currency=data["currency"], donor=data["donor"],
                                       campaign=data["campaign"], restriction=data["restriction"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Donation recorded."))
            if "another" in request.POST:
                return redirect("funds:donation_new")
            return redirect("funds:donation", donation.pk)
    return render(request, "funds/donation_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def donation(request: HttpRequest, donation_id) -> HttpResponse:
    obj = get_donation_for_user(request.user, donation_id, write=request.method == "POST")
    closed = is_closed(obj.organisation, obj.date)
    form = DonationEditForm(request.POST or None, organisation=obj.organisation, initial={
        "date": obj.date, "amount": obj.money.amount, "currency": obj.currency, "campaign": obj.campaign,
        "restriction": obj.restriction})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donation_update(actor=request.user, donation=obj, date=data["date"], amount=data["amount"],
                            currency=data["currency"], campaign=data["campaign"], restriction=data["restriction"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Donation saved."))
            return redirect("funds:donation", obj.pk)
    return render(request, "funds/donation.html", {
        "donation": obj, "form": form, "closed": closed, "can_edit": request.user.can(Perm.FUNDS_EDIT),
        "show_names": can_see_identities(request.user),
        "correction_form": CorrectionForm(currency=obj.currency),
        "corrections": obj.corrections.order_by("date"),
    })


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def donation_delete_view(request: HttpRequest, donation_id) -> HttpResponse:
    obj = get_donation_for_user(request.user, donation_id, write=True)
    try:
        donation_delete(actor=request.user, donation=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("funds:donation", obj.pk)
    messages.success(request, _("Donation deleted."))
    return redirect("funds:donations")


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def donation_correct_view(request: HttpRequest, donation_id) -> HttpResponse:
    obj = get_donation_for_user(request.user, donation_id, write=True)
    form = CorrectionForm(request.POST, currency=obj.currency)
    if form.is_valid():
        try:
            correction = donation_correct(actor=request.user, original=obj, amount=form.cleaned_data["amount"],
                                          date=form.cleaned_data["date"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Correction recorded."))
            return redirect("funds:donation", correction.pk)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("funds:donation", obj.pk)
