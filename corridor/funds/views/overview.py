"""The funds overview, months and closing, and the CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.funds.forms import ExportForm
from corridor.funds.rates import MissingRate
from corridor.funds.selectors import months_for_user, pending_for_user
from corridor.funds.services import period_close
from corridor.funds.services.common import month_label
from corridor.funds.services.exports import funds_export
from corridor.funds.views.common import confirm_first, month_from_path
from corridor.web.decorators import require_perm


@require_perm(Perm.FUNDS_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    months = months_for_user(request.user)
    return render(request, "funds/index.html", {
        "months": months[:6],
        "pending": list(pending_for_user(request.user)[:20]),
        "open_count": sum(1 for m in months if m["closed"] is None and m["ended"]),
    })


@require_perm(Perm.FUNDS_VIEW)
def months(request: HttpRequest) -> HttpResponse:
    return render(request, "funds/months.html", {"months": months_for_user(request.user)})


@require_POST
@require_perm(Perm.FUNDS_CLOSE_PERIOD)
def month_close(request: HttpRequest, month: str) -> HttpResponse:
    day = month_from_path(month)
    asked = confirm_first(
        request, title=_("Close %(month)s?") % {"month": month_label(day)}, button=_("Close the month"),
        back=reverse("funds:months"),
        consequence=_("Closing %(month)s freezes its entries: from then on they can only be corrected by new "
                      "entries in an open month, and its figures go into reports as they are.")
        % {"month": month_label(day)})
    if asked:
        return asked
    try:
        period_close(actor=request.user, organisation=request.user.organisation, month=day)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(month)s is closed. Its entries can now only be corrected.")
                         % {"month": month_label(day)})
    return redirect("funds:months")


@require_http_methods(["GET", "POST"])
@require_perm(Perm.FUNDS_VIEW)
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            body = funds_export(actor=request.user, organisation=request.user.organisation, start=data["start"],
                                end=data["end"], currency=data["currency"])
        except MissingRate as exc:
            form.add_error(None, exc.message)
        else:
            response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
            name = f"corridor-funds-{data['start']:%Y-%m}-{data['end']:%Y-%m}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(request, "funds/export.html", {"form": form})
