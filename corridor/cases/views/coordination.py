"""Coordinator pages: the board, alerts, the break-glass log, two-person exports."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.cases import charts, services
from corridor.cases import forms as f
from corridor.cases.models import BreakGlass, ExportRequest
from corridor.cases.selectors import get_alert_for_user, get_export_for_user
from corridor.cases.selectors.dashboard import (
    AGE_BUCKETS,
    PERIODS,
    BoardFilters,
    attention,
    board_cases,
    caseload,
    caseload_from_totals,
    from_totals,
    open_alerts,
    pipeline,
    pipeline_from_totals,
)
from corridor.cases.selectors.exports import export_rows, export_size
from corridor.cases.selectors.lists import CaseFilters, workers_for
from corridor.cases.views._helpers import add_errors
from corridor.crypto import keys
from corridor.web.decorators import require_perm


@require_perm(Perm.CASE_VIEW_ALL)
def dashboard(request: HttpRequest) -> HttpResponse:
    from corridor.housing.selectors import houses_for_user, occupancy_now

    filters = BoardFilters.from_query(request.GET)
    workers = workers_for(request.user)
    if from_totals(filters):
        pipe = pipeline_from_totals(request.user, filters)
        load = caseload_from_totals(request.user, filters, known=workers)
    else:
        qs = board_cases(request.user, filters)
        pipe, load = pipeline(qs), caseload(request.user, qs)
    alerts, alert_count = open_alerts(request.user, limit=15)
    context = {
        "filters": filters, "periods": PERIODS, "workers": workers,
        "pipe": pipe, "funnel_chart": charts.hbars(pipe["funnel"], value="reached", ghost="now"),
        "waiting_chart": charts.stacked(pipe["waiting"], keys=[b[0] for b in AGE_BUCKETS]),
        "load_chart": charts.hbars([{**r, "label": str(r["worker"] or _("Not assigned"))} for r in load],
                                   value="n", ghost="alerts"),
        "alerts": alerts, "alert_count": alert_count, "attention": attention(request.user),
        "occupancy": occupancy_now(request.user.organisation_id), "houses": houses_for_user(request.user),
        "query": request.GET.urlencode(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "cases/_board.html", context)
    return render(request, "cases/dashboard.html", context)


@require_perm(Perm.CASE_VIEW_ASSIGNED)
def alerts(request: HttpRequest) -> HttpResponse:
    rows, count = open_alerts(request.user, limit=200)
    return render(request, "cases/alerts.html", {"alerts": rows, "count": count, "form": f.ResolveForm()})


@require_POST
@require_perm(Perm.CASE_VIEW_ASSIGNED)
def alert_resolve(request: HttpRequest, pk) -> HttpResponse:
    alert = get_alert_for_user(request.user, pk)
    form = f.ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.alert_resolve(actor=request.user, alert=alert, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Alert on %(code)s resolved.") % {"code": alert.case.code})
    if request.POST.get("back") == "case":
        return redirect(reverse("cases:detail", args=[alert.case.code]) + "#safety")
    return redirect("cases:alerts")


@require_perm(Perm.CASE_VIEW_ALL)
def access_log(request: HttpRequest) -> HttpResponse:
    """Every break-glass opening in the organisation, with its reason."""
    entries = list(BreakGlass.objects.filter(organisation_id=request.user.organisation_id)
                   .select_related("user", "data_key", "seen_by")[:200])
    keys.preload([e.data_key for e in entries])
    return render(request, "cases/access_log.html", {"entries": entries,
                                                     "new": sum(1 for e in entries if e.seen_at is None)})


@require_POST
@require_perm(Perm.CASE_VIEW_ALL)
def access_log_seen(request: HttpRequest) -> HttpResponse:
    entries = list(BreakGlass.objects.filter(organisation_id=request.user.organisation_id, seen_at__isnull=True))
    services.break_glass_seen(actor=request.user, entries=entries)
    return redirect("cases:access_log")


@require_perm(Perm.CASE_EXPORT_APPROVE)
@require_http_methods(["GET", "POST"])
def exports(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    filters = CaseFilters.from_query(source)
    form = f.ExportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.export_request(actor=request.user, purpose=form.cleaned_data["purpose"],
                                    filters=filters.as_export(), include_names=form.cleaned_data["include_names"],
                                    expected_rows=export_size(request.user, filters.as_export()))
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Export requested. Another coordinator must approve it."))
            return redirect("cases:exports")
    requests = list(ExportRequest.objects.filter(organisation_id=request.user.organisation_id)
                    .select_related("requested_by", "decided_by")[:50])
    return render(request, "cases/exports.html", {"form": form, "filters": filters, "requests": requests,
                                                  "size": export_size(request.user, filters.as_export())})


@require_POST
@require_perm(Perm.CASE_EXPORT_APPROVE)
def export_decide(request: HttpRequest, pk) -> HttpResponse:
    req = get_export_for_user(request.user, pk)
    try:
        services.export_decide(actor=request.user, request=req, approve=request.POST.get("approve") == "1")
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("cases:exports")


@require_POST
@require_perm(Perm.CASE_EXPORT_APPROVE)
def export_download(request: HttpRequest, pk) -> HttpResponse:
    """The one-time download: the file is built and the request consumed in one
    transaction, so a failure leaves it downloadable and success leaves nothing."""
    req = get_export_for_user(request.user, pk)
    buffer = io.StringIO()
    try:
        with transaction.atomic():
            header, rows = export_rows(request.user, req)
            writer = csv.writer(buffer)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_csv_safe(v) for v in row])
            services.export_take(actor=request.user, request=req, rows=len(rows))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("cases:exports")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    return response


def _csv_safe(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
