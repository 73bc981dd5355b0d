"""Exposure pages under /staff/exposure/: import a list, see who is in it, keep
the list of known provocateurs, acknowledge alerts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.exposure import selectors, services
from corridor.exposure.forms import LIST_ERRORS, REASONS, ImportForm, ProvocateurForm
from corridor.exposure.parsing import ListError
from corridor.exposure.uploads import MAX_LIST_BYTES, MemoryOnlyUploadHandler
from corridor.web.csrf import site_csrf_protect
from corridor.web.decorators import require_perm


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_LIST_BYTES + 1


@csrf_exempt
@require_http_methods(["GET", "POST"])
@require_perm(Perm.EXPOSURE_IMPORT)
def imports(request: HttpRequest) -> HttpResponse:
    # The memory-only handler must be installed before anything reads the body, and
    # CsrfViewMiddleware reads it (with Django's disk-spooling handlers) before the
    # view: so CSRF is checked just after, by the site's own CSRF class (Django's
    # stock csrf_protect would refuse the `Origin: null` browsers send here).
    handler = MemoryOnlyUploadHandler(request)
    request.upload_handlers = [handler]
    if request.method == "POST" and _content_length(request) > MAX_LIST_BYTES + 256 * 1024:
        # Refused from the header alone; not a byte of the body is read.
        form = ImportForm()
        form.add_error(None, LIST_ERRORS["too_large"])
        return render(request, "exposure/imports.html", {
            "form": form, "imports": selectors.imports_for_user(request.user)}, status=413)
    return _imports(request, handler)


@site_csrf_protect
def _imports(request: HttpRequest, handler: MemoryOnlyUploadHandler) -> HttpResponse:
    form = ImportForm()
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if handler.problem:
            form.add_error(None, LIST_ERRORS[handler.problem])
        elif form.is_valid():
            data = form.cleaned_data
            upload = data.get("file")
            try:
                imp = services.list_import(
                    actor=request.user, organisation=request.user.organisation,
                    data=upload.read() if upload else data["text"], filename=upload.name if upload else "",
                    purpose=data["purpose"], label=data["label"],
                )
            except ListError as exc:
                form.add_error(None, LIST_ERRORS.get(exc.code, exc.code))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("exposure:import", imp.pk)
        status = 400
    return render(request, "exposure/imports.html", {
        "form": form, "imports": selectors.imports_for_user(request.user),
    }, status=status)


@require_GET
@require_perm(Perm.EXPOSURE_IMPORT)
def import_detail(request: HttpRequest, import_id) -> HttpResponse:
    imp = selectors.get_import_for_user(request.user, import_id)
    failures = [(line, REASONS.get(code, code)) for line, code in imp.failures]
    return render(request, "exposure/import_detail.html", {
        "imp": imp, "matches": selectors.matches_for(imp), "failures": failures,
        "more_failures": imp.failed - len(failures),
    })


@require_http_methods(["GET", "POST"])
@require_perm(Perm.EXPOSURE_IMPORT)
def provocateurs(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.can(Perm.TRIAGE_DECIDE)
    form = ProvocateurForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            return redirect("exposure:provocateurs")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.provocateur_add(actor=request.user, organisation=request.user.organisation,
                                         kind=data["kind"], raw=data["value"], note=data["note"])
            except ValidationError as exc:
                form.add_error("value", exc)
            else:
                messages.success(request, _("Added to the list of known provocateurs."))
                return redirect("exposure:provocateurs")
    return render(request, "exposure/provocateurs.html", {
        "form": form, "provocateurs": selectors.provocateurs_for_user(request.user), "can_edit": can_edit,
    }, status=400 if form is not None and form.errors else 200)


@require_POST
@require_perm(Perm.TRIAGE_DECIDE)
def provocateur_remove(request: HttpRequest, provocateur_id) -> HttpResponse:
    prov = selectors.get_provocateur_for_user(request.user, provocateur_id)
    services.provocateur_remove(actor=request.user, provocateur=prov)
    messages.success(request, _("Removed from the list."))
    return redirect("exposure:provocateurs")


@require_POST
def alert_acknowledge(request: HttpRequest, alert_id) -> HttpResponse:
    alert = selectors.get_alert_for_user(request.user, alert_id)
    services.alert_acknowledge(actor=request.user, alert=alert)
    return redirect("web:dashboard")
