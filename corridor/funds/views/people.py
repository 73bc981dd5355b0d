"""Donors and campaigns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.funds.forms import CampaignForm, ConsentForm, DonorEditForm, DonorForm
from corridor.funds.selectors import (
    campaigns_for_user,
    donors_for_user,
    get_campaign_for_user,
    get_donor_for_user,
)
from corridor.funds.services import (
    campaign_create,
    campaign_update,
    donor_create,
    donor_erase,
    donor_set_consent,
    donor_update,
)
from corridor.funds.views.common import add_errors, confirm_first
from corridor.web.decorators import require_perm


@require_perm(Perm.FUNDS_EDIT)
def donors(request: HttpRequest) -> HttpResponse:
    return render(request, "funds/donors.html", {"donors": donors_for_user(request.user)})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def donor_new(request: HttpRequest) -> HttpResponse:
    form = DonorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            donor = donor_create(actor=request.user, organisation=request.user.organisation, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Donor saved."))
            return redirect("funds:donor", donor.pk)
    return render(request, "funds/donor_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def donor(request: HttpRequest, donor_id) -> HttpResponse:
    obj = get_donor_for_user(request.user, donor_id, write=request.method == "POST")
    identity = obj.identity if obj.erased is None else {}
    form = DonorEditForm(request.POST or None, initial=identity if isinstance(identity, dict) else {})
    if request.method == "POST" and form.is_valid():
        try:
            donor_update(actor=request.user, donor=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Donor saved."))
            return redirect("funds:donor", obj.pk)
    consent = ConsentForm(initial={"consent": obj.consent, "public_name": obj.public_name})
    donations = obj.donations.select_related("campaign").order_by("-date")[:50]
    return render(request, "funds/donor.html", {"donor": obj, "form": form, "consent_form": consent,
                                                "donations": donations})


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def donor_consent(request: HttpRequest, donor_id) -> HttpResponse:
    obj = get_donor_for_user(request.user, donor_id, write=True)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            donor_set_consent(actor=request.user, donor=obj, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Publication consent saved."))
    return redirect("funds:donor", obj.pk)


@require_POST
@require_perm(Perm.FUNDS_EDIT)
def donor_erase_view(request: HttpRequest, donor_id) -> HttpResponse:
    obj = get_donor_for_user(request.user, donor_id, write=True)
    asked = confirm_first(
        request, title=_("Erase this donor's identity?"), button=_("Erase the identity"),
        back=reverse("funds:donor", args=[obj.pk]),
        consequence=_("The donor's name, contact and notes are destroyed for good; no one can read them again. "
                      "Their donations stay in the totals, without a name."))
    if asked:
        return asked
    donor_erase(actor=request.user, donor=obj)
    messages.success(request, _("The donor's identity is erased. Their donations still count in the totals."))
    return redirect("funds:donors")


@require_perm(Perm.FUNDS_VIEW)
def campaigns(request: HttpRequest) -> HttpResponse:
    return render(request, "funds/campaigns.html", {"campaigns": campaigns_for_user(request.user)})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_EDIT)
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(actor=request.user, organisation=request.user.organisation,
                                       **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("funds:campaign", campaign.pk)
    return render(request, "funds/campaign_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def campaign(request: HttpRequest, campaign_id) -> HttpResponse:
    obj = get_campaign_for_user(request.user, campaign_id, write=request.method == "POST")
    form = CampaignForm(request.POST or None, instance=None, initial={
        f: getattr(obj, f) for f in CampaignForm.Meta.fields})
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(actor=request.user, campaign=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("funds:campaign", obj.pk)
    return render(request, "funds/campaign.html", {"campaign": obj, "form": form,
                                                   "can_edit": request.user.can(Perm.FUNDS_EDIT)})
