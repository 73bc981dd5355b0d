from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.forms import BundleForm
from corridor.evidence.models import BundleStatus
from corridor.evidence.views.common import attempt, page
from corridor.web.decorators import require_perm


@require_perm(Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_list(request: HttpRequest) -> HttpResponse:
    return page(request, "bundle_list.html", {"bundles": selectors.bundles_for(request.user)[:200]})


@require_perm(Perm.EVIDENCE_EXPORT)
@require_http_methods(["GET", "POST"])
def bundle_create(request: HttpRequest) -> HttpResponse:
    form = BundleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bundle = attempt(form, lambda: services.bundle_request(
            actor=request.user, audience=data["audience"], recipients=data["recipients"].splitlines(),
            events=list(data["events"]), files=list(data["files"]), purpose=data["purpose"]))
        if bundle:
            messages.success(request, _("Export %(code)s requested. Another person must approve it.")
                             % {"code": bundle.code})
            return redirect("evidence:bundle_detail", pk=bundle.pk)
    return page(request, "bundle_form.html", {"form": form})


@require_perm(Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_detail(request: HttpRequest, pk) -> HttpResponse:
    bundle = selectors.get_bundle_for_user(request.user, pk)
    events, files = list(bundle.events.select_related("data_key")), list(bundle.files.select_related("data_key"))
    preload([bundle.data_key] + [e.data_key for e in events] + [f.data_key for f in files])
    can_decide = (request.user.can(Perm.EVIDENCE_APPROVE_EXPORT) and bundle.status == BundleStatus.PENDING
                  and request.user.pk != bundle.requested_by_id)
    return page(request, "bundle_detail.html", {"bundle": bundle, "events": events, "files": files,
                                                "can_decide": can_decide})


@require_POST
@require_perm(Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_approve(request: HttpRequest, pk) -> HttpResponse:
    bundle = selectors.get_bundle_for_user(request.user, pk)
    try:
        bundle = services.bundle_approve(actor=request.user, bundle=bundle)
    except services.EvidenceError as exc:
        messages.error(request, str(exc))
    else:
        if bundle.status == BundleStatus.READY:
            messages.success(request, _("Approved. The bundle is built and can be downloaded."))
        else:
            messages.error(request, _("Approved, but building the bundle failed. Try again or tell the administrator."))
    return redirect("evidence:bundle_detail", pk=pk)


@require_POST
@require_perm(Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_refuse(request: HttpRequest, pk) -> HttpResponse:
    bundle = selectors.get_bundle_for_user(request.user, pk)
    try:
        services.bundle_refuse(actor=request.user, bundle=bundle)
    except services.EvidenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Export refused."))
    return redirect("evidence:bundle_detail", pk=pk)


@require_POST
@require_perm(Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_rebuild(request: HttpRequest, pk) -> HttpResponse:
    bundle = selectors.get_bundle_for_user(request.user, pk)
    try:
        bundle = services.bundle_rebuild(actor=request.user, bundle=bundle)
    except services.EvidenceError as exc:
        messages.error(request, str(exc))
    return redirect("evidence:bundle_detail", pk=pk)


@require_perm(Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_download(request: HttpRequest, pk) -> HttpResponse:
    bundle = selectors.get_bundle_for_user(request.user, pk)
    try:
        handle = services.bundle_download(actor=request.user, bundle=bundle)
    except services.EvidenceError as exc:
        messages.error(request, str(exc))
        return redirect("evidence:bundle_detail", pk=pk)
    return FileResponse(handle, as_attachment=True, filename=f"corridor-bundle-{bundle.code}.age",
                        content_type="application/octet-stream")


@require_perm(Perm.EVIDENCE_EXPORT, Perm.EVIDENCE_APPROVE_EXPORT)
def bundle_export_as(request: HttpRequest, pk, kind: str) -> HttpResponse:
    """The approved export as HURIDOCS-shaped JSON or an Uwazi CSV, age-encrypted."""
    bundle = selectors.get_bundle_for_user(request.user, pk)
    if kind not in services.EXPORT_KINDS:
        raise Http404
    try:
        sealed = services.bundle_export_as(actor=request.user, bundle=bundle, kind=kind)
    except services.EvidenceError as exc:
        messages.error(request, str(exc))
        return redirect("evidence:bundle_detail", pk=pk)
    name = services.EXPORT_KINDS[kind][0]
    response = HttpResponse(sealed, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="corridor-{bundle.code}-{name}.age"'
    return response
