"""Referral of a case to another organisation: ask (with consent), then the
receiving coordinator accepts (the case is re-encrypted for them) or declines."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Perm
from corridor.cases import forms as f
from corridor.cases import services
from corridor.cases.models import Referral
from corridor.cases.selectors import get_case_for_user, get_referral_for_user
from corridor.cases.views._helpers import add_errors, case_view
from corridor.crypto import keys
from corridor.web.decorators import require_perm


@require_perm(Perm.CASE_REFER)
def referral_list(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation_id
    rows = list(Referral.objects.filter(Q(from_org_id=org) | Q(to_org_id=org))
                .select_related("from_org", "to_org", "created_by", "decided_by")[:100])
    return render(request, "cases/referrals.html", {
        "incoming": [r for r in rows if r.to_org_id == org],
        "outgoing": [r for r in rows if r.from_org_id == org],
    })


@require_perm(Perm.CASE_REFER)
@case_view
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=request.method == "POST")
    organisations = Organisation.objects.exclude(pk=request.user.organisation_id).order_by("name")
    form = f.ReferralForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        to_org = organisations.get(pk=form.cleaned_data["to_org"])
        try:
            services.referral_create(actor=request.user, case=case, to_org=to_org, consent=form.cleaned_data["consent"],
                                     consent_at=form.cleaned_data["consent_at"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral sent to %(org)s.") % {"org": to_org.name})
            return redirect("cases:detail", code=case.code)
    return render(request, "cases/refer.html", {"form": form, "case": case}, status=400 if form.errors else 200)


@require_perm(Perm.CASE_REFER)
def referral_detail(request: HttpRequest, pk) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    keys.preload([referral.data_key])
    return render(request, "cases/referral_detail.html", {
        "referral": referral, "incoming": referral.to_org_id == request.user.organisation_id,
        "decline_form": f.DeclineForm(),
    })


@require_POST
@require_perm(Perm.CASE_REFER)
def referral_decide(request: HttpRequest, pk) -> HttpResponse:
    referral = get_referral_for_user(request.user, pk)
    action = request.POST.get("action")
    try:
        if action == "accept":
            case = services.referral_accept(actor=request.user, referral=referral)
            messages.success(request, _("Accepted. The case is now %(code)s in your organisation.") % {"code": case.code})
            return redirect("cases:detail", code=case.code)
        if action == "decline":
            form = f.DeclineForm(request.POST)
            if not form.is_valid():
                return render(request, "cases/referral_detail.html", {
                    "referral": referral, "incoming": True, "decline_form": form}, status=400)
            services.referral_decline(actor=request.user, referral=referral, reason=form.cleaned_data["reason"])
            messages.success(request, _("Declined; the sending organisation sees your reason."))
        elif action == "withdraw":
            services.referral_withdraw(actor=request.user, referral=referral)
            messages.success(request, _("Referral withdrawn."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("cases:referral", pk=referral.pk)
