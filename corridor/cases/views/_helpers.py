"""What every case view shares: the break-glass redirect, the stale-edit message,
and re-showing the case page with a form the user must correct."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from corridor.accounts.permissions import Perm
from corridor.cases import forms as f
from corridor.cases.models import Country, Embassy
from corridor.cases.selectors import BreakGlassRequired
from corridor.cases.selectors.detail import case_detail
from corridor.cases.selectors.lists import workers_for
from corridor.cases.services import StaleEdit, case_viewed


def case_view(view: Callable) -> Callable:
    """Turn `BreakGlassRequired` into the reason form, coming back here after."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BreakGlassRequired as need:
            target = reverse("cases:break_glass", args=[need.code])
            back = request.get_full_path() if request.method == "GET" else reverse("cases:detail", args=[need.code])
            return redirect(f"{target}?{urlencode({'next': back})}")

    return wrapper


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (per field when it names one the
    form has, otherwise at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def stale(request: HttpRequest, form, exc: StaleEdit) -> None:
    """Keep what the user typed, point the hidden version at the current one, and
    say plainly what happened."""
    data = form.data.copy()
    data["version"] = str(exc.current_version)
    form.data = data
    form.add_error(None, exc)
    messages.warning(request, exc.messages[0])


def detail_forms(case, user) -> dict:
    workers = workers_for(user) if user.can(Perm.CASE_ASSIGN) else []
    person = case.person
    return {
        "transition": f.TransitionForm(initial={"version": case.version}, targets=_targets(case),
                                       earlier=_insertable(case)),
        "case_edit": f.CaseEditForm(initial={"version": case.version, "summary": case.summary or "",
                                             "travel_plan": case.travel_plan or ""}),
        "assign": f.AssignForm(initial={"version": case.version, "worker": str(case.worker_id or "")},
                               workers=workers),
        "note": f.NoteForm(),
        "schedule": f.ScheduleForm(initial={"every_hours": case.checkin_every_hours}),
        "checkin": f.CheckInForm(),
        "service": f.ServiceForm(),
        "document": f.DocumentForm(),
        "wanted": f.WantedForm(initial={"wanted": person.wanted, "note": person.wanted_note or ""}),
        "application": f.ApplicationForm(embassies=Embassy.objects.filter(organisation_id=case.organisation_id)
                                         .select_related("country")),
        "relative": f.RelativeForm(),
        "identifier": f.IdentifierForm(),
        "member": f.MemberForm(),
    }


def _insertable(case):
    from corridor.cases import transitions

    return transitions.insertable(case)


def _targets(case):
    from corridor.cases import transitions

    return transitions.targets(case)


def render_case(request: HttpRequest, case, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    """The case page, optionally with a submitted form (and its errors) in place."""
    context = case_detail(request.user, case)
    forms = detail_forms(case, request.user)
    forms.update(bound or {})
    context["forms"] = forms
    context["countries"] = Country.objects.by_name()
    if bound and getattr(case, "access_via", None):
        # The page shows the case again after a failed write: that is a reading too.
        case_viewed(actor=request.user, case=case, via=case.access_via)
    return render(request, "cases/detail.html", context, status=status)


def done(request: HttpRequest, case, message: str, anchor: str = "", *, error: bool = False) -> HttpResponse:
    (messages.error if error else messages.success)(request, message)
    url = reverse("cases:detail", args=[case.code])
    return redirect(f"{url}#{anchor}" if anchor else url)
