"""Case transfer to another installation: partners (administrators), consent and
the package request (coordinators, on the case), approval, download and import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.cases import forms as f
from corridor.cases.models import Partner, ReceivingKey, Transfer, TransferConsent, TransferReceipt
from corridor.cases.selectors import get_case_for_user
from corridor.cases.services import transfers as services
from corridor.cases.views._helpers import add_errors, case_view
from corridor.web.decorators import require_perm

MAX_PACKAGE_UPLOAD = 64 << 20


def _partners(user):
    return list(Partner.objects.filter(organisation_id=user.organisation_id))


@require_perm(Perm.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def partners(request: HttpRequest) -> HttpResponse:
    form = f.PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Partner %(name)s recorded.") % {"name": partner.name})
            return redirect("cases:partners")
    return render(request, "cases/partners.html", {
        "form": form, "partners": _partners(request.user),
        "receiving": ReceivingKey.objects.filter(organisation_id=request.user.organisation_id).first(),
        "log_key": services.own_log_key(),
    }, status=400 if form.errors else 200)


def _transfer_page(request, case, consent_form, request_form, status=200):
    return render(request, "cases/transfer.html", {
        "case": case, "consent_form": consent_form, "request_form": request_form,
        "consents": TransferConsent.objects.filter(case=case).select_related("partner", "recorded_by"),
        "transfers": Transfer.objects.filter(case=case).select_related("partner", "requested_by", "decided_by"),
    }, status=status)


@require_perm(Perm.CASE_REFER)
@case_view
def transfer(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    partners = _partners(request.user)
    return _transfer_page(request, case, f.TransferConsentForm(partners=partners),
                          f.TransferRequestForm(partners=partners))


@require_perm(Perm.CASE_REFER)
@case_view
@require_POST
def transfer_consent(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    partners = _partners(request.user)
    form = f.TransferConsentForm(request.POST, partners=partners)
    if form.is_valid():
        partner = next(p for p in partners if str(p.pk) == form.cleaned_data["partner"])
        try:
            services.transfer_consent_record(actor=request.user, case=case, partner=partner,
                                             how=form.cleaned_data["how"], given_on=form.cleaned_data["given_on"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Consent to a transfer to %(name)s recorded.") % {"name": partner.name})
            return redirect("cases:transfer", code=case.code)
    return _transfer_page(request, case, form, f.TransferRequestForm(partners=partners), status=400)


@require_perm(Perm.CASE_REFER)
@case_view
@require_POST
def transfer_request(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    partners = _partners(request.user)
    form = f.TransferRequestForm(request.POST, partners=partners)
    if form.is_valid():
        partner = next(p for p in partners if str(p.pk) == form.cleaned_data["partner"])
        try:
            services.transfer_request(actor=request.user, case=case, partner=partner,
                                      parts=form.cleaned_data["parts"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Transfer asked for: a second coordinator must approve it."))
            return redirect("cases:transfers")
    return _transfer_page(request, case, f.TransferConsentForm(partners=partners), form, status=400)


def _transfers_page(request, form, status=200):
    org = request.user.organisation_id
    return render(request, "cases/transfers.html", {
        "form": form,
        "outgoing": Transfer.objects.filter(organisation_id=org).select_related("partner", "requested_by",
                                                                                "decided_by")[:100],
        "incoming": TransferReceipt.objects.filter(organisation_id=org).select_related("partner", "imported_by")[:100],
    }, status=status)


@require_perm(Perm.CASE_REFER)
def transfer_list(request: HttpRequest) -> HttpResponse:
    return _transfers_page(request, f.TransferImportForm())


def _transfer_for_user(user, pk) -> Transfer:
    return get_object_or_404(Transfer.objects.select_related("partner"), pk=pk, organisation_id=user.organisation_id)


@require_perm(Perm.CASE_EXPORT_APPROVE)
@require_POST
def transfer_decide(request: HttpRequest, pk) -> HttpResponse:
    transfer = _transfer_for_user(request.user, pk)
    try:
        if request.POST.get("decision") == "approve":
            services.transfer_approve(actor=request.user, transfer=transfer)
            messages.success(request, _("Approved: the package is ready to download."))
        else:
            services.transfer_decline(actor=request.user, transfer=transfer)
            messages.success(request, _("Transfer declined."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("cases:transfers")


@require_perm(Perm.CASE_REFER)
def transfer_download(request: HttpRequest, pk) -> HttpResponse:
    transfer = _transfer_for_user(request.user, pk)
    try:
        data = services.transfer_download(actor=request.user, transfer=transfer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:transfers")
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="transfer-{transfer.pk}.age"'
    return response


@require_perm(Perm.CASE_REFER)
@require_POST
def transfer_import(request: HttpRequest) -> HttpResponse:
    form = f.TransferImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["package"]
        if upload.size > MAX_PACKAGE_UPLOAD:
            form.add_error("package", _("The package is larger than any case transfer can be."))
        else:
            try:
                receipt = services.transfer_import(actor=request.user, data=upload.read())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Case received from %(partner)s as %(code)s.")
                                 % {"partner": receipt.partner.name, "code": receipt.case_code})
                return redirect("cases:detail", code=receipt.case_code)
    return _transfers_page(request, form, status=400)
