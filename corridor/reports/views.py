"""Staff pages: prepare, preview, publish and withdraw transparency reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts.permissions import Perm
from corridor.reports.disclosure import Policy, last_published_month
from corridor.reports.forms import ReportForm
from corridor.reports.presentation import present
from corridor.reports.selectors import get_publication_for_user, live_publications
from corridor.reports.services import (
    overlapping,
    publication_create,
    publication_withdraw,
    report_preview,
)
from corridor.web.decorators import require_perm


def _default_period() -> dict:
    """The latest twelve months that may be published today."""
    from datetime import date

    from django.utils import timezone

    last, _end = last_published_month(timezone.localdate(), Policy())
    months = last.year * 12 + last.month - 1 - 11
    return {"start": f"{date(months // 12, months % 12 + 1, 1):%Y-%m}", "end": f"{last:%Y-%m}", "currency": "USD"}


@require_GET
@require_perm(Perm.STATISTICS)
def index(request: HttpRequest) -> HttpResponse:
    from corridor.reports.models import Publication

    publications = Publication.objects.filter(organisation=request.user.organisation_id).defer(
        "pdf_ru", "pdf_en", "data")
    return render(request, "reports/index.html", {
        "form": ReportForm(initial=_default_period()), "publications": publications, "policy": Policy()})


@require_GET
@require_perm(Perm.STATISTICS)
def preview(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        try:
            snapshot = report_preview(organisation=request.user.organisation, start=data["start"], end=data["end"],
                                      currency=data["currency"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            clashes = overlapping(request.user.organisation, data["start"].replace(day=1), data["end"].replace(day=1))
            return render(request, "reports/preview.html", {
                "form": form, "view": present(snapshot, request.LANGUAGE_CODE), "overlaps": clashes})
    publications = live_publications(request.user.organisation_id).defer("pdf_ru", "pdf_en", "data")
    return render(request, "reports/index.html", {"form": form, "publications": publications, "policy": Policy()})


@require_POST
@require_perm(Perm.FUNDS_CLOSE_PERIOD)
def publish(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            publication_create(actor=request.user, organisation=request.user.organisation, start=data["start"],
                               end=data["end"], currency=data["currency"], correction=data["correction"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The report is published."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("reports:index")


@require_POST
@require_perm(Perm.FUNDS_CLOSE_PERIOD)
def withdraw(request: HttpRequest, publication_id) -> HttpResponse:
    publication = get_publication_for_user(request.user, publication_id)
    publication_withdraw(actor=request.user, publication=publication)
    messages.success(request, _("The report is no longer public."))
    return redirect("reports:index")
