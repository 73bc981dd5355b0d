"""Erasing a person: the request with its confirmation page, and the second person's decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm, Role
from corridor.cases import forms as f
from corridor.cases.models import ErasureRequest
from corridor.cases.selectors import get_case_for_user
from corridor.cases.services.erasure import (
    erasure_decide,
    erasure_legal_hold,
    erasure_plan,
    erasure_request,
)
from corridor.cases.views._helpers import add_errors
from corridor.web.decorators import require_perm


def _may_see(user) -> bool:
    return user.can(Perm.CASE_EXPORT_APPROVE) or user.role in (Role.ADMIN, Role.LEGAL)


def _get_request_for_user(user, pk) -> ErasureRequest:
    if not _may_see(user):
        raise Http404
    req = ErasureRequest.objects.filter(organisation_id=user.organisation_id, pk=pk).select_related(
        "person", "requested_by", "decided_by", "legal_hold_by").first()
    if req is None:
        raise Http404
    return req


@require_perm(Perm.CASE_EXPORT_APPROVE)
@require_http_methods(["GET", "POST"])
def erase_request(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    person = case.person
    form = f.ErasureRequestForm(request.POST or None)
    household = request.POST.get("include_household") == "on" or request.GET.get("household") == "1"
    plan = erasure_plan(person, include_household=household)
    if request.method == "POST" and form.is_valid():
        try:
            erasure_request(actor=request.user, person=person, reason=form.cleaned_data["reason"],
                            include_household=form.cleaned_data["include_household"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Erasure requested. A second coordinator or an administrator must approve it."))
            return redirect("cases:erasures")
    return render(request, "cases/erase_request.html", {"case": case, "person": person, "form": form,
                                                        "plan": plan, "household": household})


@require_http_methods(["GET"])
def erasures(request: HttpRequest) -> HttpResponse:
    if not _may_see(request.user):
        raise Http404
    rows = []
    for req in ErasureRequest.objects.filter(organisation_id=request.user.organisation_id).select_related(
            "person", "requested_by", "decided_by", "legal_hold_by")[:50]:
        plan = None
        if req.status == ErasureRequest.Status.PENDING:
            plan = erasure_plan(req.person, include_household=req.include_household,
                                legal_hold=req.legal_hold_by_id is not None)
        rows.append((req, plan))
    return render(request, "cases/erasures.html", {"rows": rows, "is_legal": request.user.role == Role.LEGAL})


@require_POST
def erasure_decide_view(request: HttpRequest, pk) -> HttpResponse:
    req = _get_request_for_user(request.user, pk)
    try:
        erasure_decide(actor=request.user, request=req, approve=request.POST.get("approve") == "1")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Erased.") if req.status == ErasureRequest.Status.DONE else _("Declined."))
    return redirect("cases:erasures")


@require_POST
def erasure_hold_view(request: HttpRequest, pk) -> HttpResponse:
    req = _get_request_for_user(request.user, pk)
    try:
        erasure_legal_hold(actor=request.user, request=req)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Decision recorded: the testimonies the court filing needs are kept."))
    return redirect("cases:erasures")
