from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.deadlines import echr_months, echr_time_limit, urgency
from corridor.evidence.forms import FilingForm, FilingStepForm
from corridor.evidence.models import Body
from corridor.evidence.views.common import attempt, page
from corridor.web.decorators import require_perm

FIELDS = ["body", "status", "title", "reference", "final_decision_on", "lodged_on", "next_deadline", "next_step",
          "notes"]


@require_perm(Perm.EVIDENCE_VIEW)
def filing_list(request: HttpRequest) -> HttpResponse:
    filings = list(selectors.filings_for(request.user))
    preload([f.data_key for f in filings])
    return page(request, "filing_list.html", {"filings": filings})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def filing_create(request: HttpRequest) -> HttpResponse:
    form = FilingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filing = attempt(form, lambda: services.filing_create(
            actor=request.user, events=list(data["events"]), people=list(data["people"]),
            **{f: data[f] for f in FIELDS}))
        if filing:
            messages.success(request, _("Filing %(code)s recorded.") % {"code": filing.code})
            return redirect("evidence:filing_detail", pk=filing.pk)
    return page(request, "form.html", {"form": form, "title": _("New legal filing"),
                                       "back": ("evidence:filing_list", None)})


@require_perm(Perm.EVIDENCE_VIEW)
def filing_detail(request: HttpRequest, pk) -> HttpResponse:
    filing = selectors.get_filing_for_user(request.user, pk)
    today = timezone.localdate()
    echr = None
    if filing.body == Body.ECHR and filing.final_decision_on:
        limit = echr_time_limit(filing.final_decision_on)
        echr = {"limit": limit, "months": echr_months(filing.final_decision_on),
                "urgency": urgency(limit, today) if not filing.lodged_on else None,
                "in_time": filing.lodged_on <= limit if filing.lodged_on else None,
                "days_left": (limit - today).days}
    events = list(filing.events.select_related("data_key"))
    preload([e.data_key for e in events])
    return page(request, "filing_detail.html", {
        "filing": filing, "echr": echr, "events": events, "people": filing.people.all(),
        "steps": filing.steps.select_related("actor"), "step_form": FilingStepForm(initial={"on": today}),
        "next_urgency": urgency(filing.next_deadline, today) if filing.next_deadline else None,
    })


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def filing_edit(request: HttpRequest, pk) -> HttpResponse:
    filing = selectors.get_filing_for_user(request.user, pk, write=True)
    initial = {f: getattr(filing, f) for f in FIELDS}
    initial.update(events=filing.events.all(), people=filing.people.all())
    form = FilingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if attempt(form, lambda: services.filing_update(
                actor=request.user, filing=filing, events=list(data["events"]), people=list(data["people"]),
                **{f: data[f] for f in FIELDS})):
            messages.success(request, _("Saved."))
            return redirect("evidence:filing_detail", pk=filing.pk)
    return page(request, "form.html", {"form": form, "title": _("Edit filing %(code)s") % {"code": filing.code},
                                       "back": ("evidence:filing_detail", filing.pk)})


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def filing_step_create(request: HttpRequest, pk) -> HttpResponse:
    filing = selectors.get_filing_for_user(request.user, pk, write=True)
    form = FilingStepForm(request.POST)
    if form.is_valid() and attempt(form, lambda: services.filing_step_add(actor=request.user, filing=filing,
                                                                        **form.cleaned_data)):
        messages.success(request, _("Step recorded."))
        return redirect("evidence:filing_detail", pk=filing.pk)
    return page(request, "form.html", {"form": form, "title": _("New step"),
                                       "back": ("evidence:filing_detail", filing.pk)}, status=400)


@require_perm(Perm.EVIDENCE_VIEW)
def deadlines(request: HttpRequest) -> HttpResponse:
    return page(request, "deadlines.html", {"rows": selectors.deadlines_for(request.user, timezone.localdate())})
