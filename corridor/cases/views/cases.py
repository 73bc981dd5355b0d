"""The case list, a new case, the case page, break-glass, and the edits that use
optimistic locking (a stale form is refused and shown again, nothing lost)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm
from corridor.cases import forms as f
from corridor.cases import services
from corridor.cases.models import Country, Stage
from corridor.cases.selectors import BreakGlassRequired, get_case_for_user
from corridor.cases.selectors.lists import CaseFilters, case_page, workers_for
from corridor.cases.views._helpers import add_errors, case_view, done, render_case, stale
from corridor.web.decorators import require_perm


@require_perm(Perm.CASE_VIEW_ASSIGNED, Perm.CASE_BREAK_GLASS)
def case_list(request: HttpRequest) -> HttpResponse:
    filters = CaseFilters.from_query(request.GET)
    can_list = request.user.can(Perm.CASE_VIEW_ASSIGNED)
    page, rows = case_page(request.user, filters, after=request.GET.get("after"),
                           before=request.GET.get("before")) if can_list else (None, [])
    context = {
        "filters": filters, "page": page, "rows": rows, "can_list": can_list,
        "stages": Stage.choices, "is_coordinator": request.user.can(Perm.CASE_VIEW_ALL),
        "workers": workers_for(request.user) if request.user.can(Perm.CASE_VIEW_ALL) else [],
        "countries": Country.objects.by_name() if can_list else [],
        "query": _query_without_page(request),
    }
    if request.headers.get("HX-Request") and can_list:
        return render(request, "cases/_results.html", context)
    return render(request, "cases/list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    return params.urlencode()


@require_POST
@require_perm(Perm.CASE_BREAK_GLASS)
def open_by_code(request: HttpRequest) -> HttpResponse:
    """For roles without a case list (legal): type the code, then give a reason."""
    from corridor.cases.urls import CaseCode

    code = (request.POST.get("code") or "").strip().upper()
    if not re.fullmatch(CaseCode.regex, code):
        if code:
            messages.error(request, _("%(code)s is not a case code (like K-123).") % {"code": code[:20]})
        return redirect("cases:list")
    return redirect("cases:detail", code=code)


@require_perm(Perm.CASE_EDIT)
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    workers = workers_for(user) if user.can(Perm.CASE_ASSIGN) else None
    form = f.NewCaseForm(request.POST or None, workers=workers)
    if request.method == "POST" and form.is_valid():
        worker = user if workers is None else User.objects.filter(
            pk=form.cleaned_data.get("worker") or None, organisation_id=user.organisation_id).first()
        try:
            with transaction.atomic():
                person = services.person_create(
                    actor=user, organisation=user.organisation, identity=form.identity(),
                    phone=form.cleaned_data["phone"], notes=form.cleaned_data["notes"],
                    risk=form.cleaned_data["risk"])
                case = services.case_open(actor=user, person=person, summary=form.cleaned_data["summary"],
                                          worker=worker, opened=form.cleaned_data["opened"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Case %(code)s opened.") % {"code": case.code})
    return render(request, "cases/new.html", {"form": form})


@case_view
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    return render_case(request, case)


@require_perm(Perm.CASE_BREAK_GLASS)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, code: str) -> HttpResponse:
    target = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) or not target.startswith("/staff/cases/"):
        target = ""
    form = f.BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = get_case_for_user(request.user, code, reason=form.cleaned_data["reason"])
        except BreakGlassRequired:  # pragma: no cover - a reason was given
            raise
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect(target or "cases:detail", **({} if target else {"code": case.code}))
    else:
        try:
            # Already open to this user (assigned, coordinator, or an earlier reason): go straight there.
            case = get_case_for_user(request.user, code, audit=False)
            return redirect("cases:detail", code=case.code)
        except BreakGlassRequired:
            pass
    return render(request, "cases/break_glass.html", {"form": form, "code": code.upper()})


@require_perm(Perm.CASE_EDIT)
@case_view
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=request.method == "POST")
    person = case.person
    initial = {**f.IdentityForm.initial_from(person.identity), "phone": person.phone or "",
               "notes": person.notes or "", "risk": person.risk, "version": person.version}
    form = f.PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, identity=form.identity(),
                                   phone=form.cleaned_data["phone"], notes=form.cleaned_data["notes"],
                                   risk=form.cleaned_data["risk"], expected_version=form.cleaned_data["version"])
        except services.StaleEdit as exc:
            stale(request, form, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Saved."), "person")
    return render(request, "cases/person_edit.html", {"form": form, "case": case},
                  status=400 if form.errors else 200)


@require_POST
@case_view
def case_edit(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    form = f.CaseEditForm(request.POST)
    if form.is_valid():
        try:
            services.case_update(actor=request.user, case=case, summary=form.cleaned_data["summary"],
                                 travel_plan=form.cleaned_data["travel_plan"],
                                 expected_version=form.cleaned_data["version"])
        except services.StaleEdit as exc:
            stale(request, form, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Saved."), "plan")
    return render_case(request, case, bound={"case_edit": form}, status=409 if _is_stale(form) else 400)


def _is_stale(form) -> bool:
    return any(getattr(e, "code", "") == "stale" for e in form.non_field_errors().as_data())


@require_POST
@case_view
def transition(request: HttpRequest, code: str) -> HttpResponse:
    from corridor.cases import transitions

    case = get_case_for_user(request.user, code, write=True)
    form = f.TransitionForm(request.POST, targets=[s for s in Stage.values if s != case.stage])
    if form.is_valid():
        try:
            services.case_transition(actor=request.user, case=case, to_stage=form.cleaned_data["to_stage"],
                                     reason=form.cleaned_data["reason"], at=form.cleaned_data["at"],
                                     expected_version=form.cleaned_data["version"])
        except services.StaleEdit as exc:
            stale(request, form, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Moved to “%(stage)s”.") % {"stage": case.stage_label}, "stage")
    case.refresh_from_db()
    form.fields["to_stage"].choices = f.TransitionForm(targets=transitions.targets(case),
                                                       earlier=transitions.insertable(case)).fields["to_stage"].choices \
        or form.fields["to_stage"].choices
    return render_case(request, case, bound={"transition": form}, status=409 if _is_stale(form) else 400)


@require_POST
@require_perm(Perm.CASE_ASSIGN)
@case_view
def assign(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    workers = workers_for(request.user)
    form = f.AssignForm(request.POST, workers=workers)
    if form.is_valid():
        worker = next((w for w in workers if str(w.pk) == form.cleaned_data["worker"]), None)
        try:
            services.case_assign(actor=request.user, case=case, worker=worker,
                                 expected_version=form.cleaned_data["version"])
        except services.StaleEdit as exc:
            stale(request, form, exc)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Assigned."), "stage")
    return render_case(request, case, bound={"assign": form}, status=400)
