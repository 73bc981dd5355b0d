"""Small writes from the case page: notes, checklists, check-ins, services,
documents, applications, relatives, identifiers, household. Each parses one
form, calls one service, and on a correctable error shows the case page again
with the form and its message in place."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor.cases import forms as f
from corridor.cases import services
from corridor.cases.models import Case, Embassy
from corridor.cases.selectors import (
    get_application,
    get_case_for_user,
    get_document,
    get_identifier,
    get_service,
)
from corridor.cases.views._helpers import add_errors, case_view, done, render_case


def _write(request: HttpRequest, code: str, form_cls, key: str, action: Callable[[Case, dict], object],
           message: str, anchor: str, item: Callable[[Case], object] | None = None) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    form = form_cls(request.POST)
    target = item(case) if item is not None else None
    form.item_id = getattr(target, "pk", None)
    if form.is_valid():
        try:
            action(case, form.cleaned_data) if target is None else action(case, form.cleaned_data, target)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, message, anchor)
    return render_case(request, case, bound={key: form}, status=400)


@require_POST
@case_view
def note_add(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.NoteForm, "note",
                  lambda case, d: services.note_add(actor=request.user, case=case, kind=d["kind"], text=d["text"],
                                                    at=d["at"]),
                  _("Added to the timeline."), "timeline")


@require_POST
@case_view
def checklist(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    try:
        services.checklist_set(actor=request.user, case=case, key=request.POST.get("key", ""),
                               done=request.POST.get("done") == "1")
    except ValidationError:
        return render_case(request, case, status=400)
    return done(request, case, _("Checklist updated."), "checklists")


@require_POST
@case_view
def schedule(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.ScheduleForm, "schedule",
                  lambda case, d: services.checkin_schedule(actor=request.user, case=case,
                                                            every_hours=d["every_hours"], first_due=d["first_due"]),
                  _("Check-in schedule saved."), "safety")


@require_POST
@case_view
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.CheckInForm, "checkin",
                  lambda case, d: services.checkin_record(actor=request.user, case=case, status=d["status"],
                                                          channel=d["channel"], note=d["note"], at=d["at"]),
                  _("Check-in recorded."), "safety")


@require_POST
@case_view
def service_add(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.ServiceForm, "service",
                  lambda case, d: services.service_add(actor=request.user, case=case, **d),
                  _("Service recorded."), "services")


@require_POST
@case_view
def service_update(request: HttpRequest, code: str, pk) -> HttpResponse:
    return _write(request, code, f.ServiceUpdateForm, "service_update",
                  lambda case, d, s: services.service_update(actor=request.user, service=s, **d),
                  _("Service updated."), "services", item=lambda case: get_service(case, pk))


@require_POST
@case_view
def document_add(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.DocumentForm, "document",
                  lambda case, d: services.document_add(actor=request.user, person=case.person, **d),
                  _("Document recorded."), "documents")


@require_POST
@case_view
def document_update(request: HttpRequest, code: str, pk) -> HttpResponse:
    return _write(request, code, f.DocumentUpdateForm, "document_update",
                  lambda case, d, doc: services.document_update(actor=request.user, document=doc, **d),
                  _("Document updated."), "documents", item=lambda case: get_document(case, pk))


@require_POST
@case_view
def wanted(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.WantedForm, "wanted",
                  lambda case, d: services.person_set_wanted(actor=request.user, person=case.person,
                                                             wanted=d["wanted"], note=d["note"]),
                  _("Saved."), "documents")


@require_POST
@case_view
def application_add(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    embassies = list(Embassy.objects.filter(organisation_id=case.organisation_id).select_related("country"))
    form = f.ApplicationForm(request.POST, embassies=embassies)
    if form.is_valid():
        d = form.cleaned_data
        embassy = next((e for e in embassies if str(e.pk) == d["embassy"]), None)
        try:
            services.application_add(actor=request.user, case=case, country=d["country"], programme=d["programme"],
                                     submitted=d["submitted"], embassy=embassy, notes=d["notes"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("Application recorded."), "applications")
    return render_case(request, case, bound={"application": form}, status=400)


@require_POST
@case_view
def application_decide(request: HttpRequest, code: str, pk) -> HttpResponse:
    return _write(request, code, f.DecisionForm, "decision",
                  lambda case, d, a: services.application_decide(actor=request.user, application=a, **d),
                  _("Decision recorded."), "applications", item=lambda case: get_application(case, pk))


@require_POST
@case_view
def relative_add(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.RelativeForm, "relative",
                  lambda case, d: services.relative_add(actor=request.user, person=case.person, **d),
                  _("Relative recorded."), "person")


@require_POST
@case_view
def identifier_add(request: HttpRequest, code: str) -> HttpResponse:
    return _write(request, code, f.IdentifierForm, "identifier",
                  lambda case, d: services.identifier_add(actor=request.user, person=case.person, **d),
                  _("Added."), "person")


@require_POST
@case_view
def identifier_remove(request: HttpRequest, code: str, pk) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    services.identifier_remove(actor=request.user, identifier=get_identifier(case, pk))
    return done(request, case, _("Removed."), "person")


@require_POST
@case_view
def household_create(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    try:
        household = services.household_create(actor=request.user, head=case.person)
    except ValidationError as exc:
        return done(request, case, exc.messages[0], "household", error=True)
    return done(request, case, _("Household %(code)s created.") % {"code": household.code}, "household")


@require_POST
@case_view
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code, write=True)
    form = f.MemberForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                if not case.household_id:
                    case.household = services.household_create(actor=request.user, head=case.person)
                member = services.household_add_member(actor=request.user, household=case.household,
                                                       identity=form.identity(), role=form.cleaned_data["role"],
                                                       phone=form.cleaned_data["phone"], worker=case.worker)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, _("%(code)s added to the household.") % {"code": member.code}, "household")
    return render_case(request, case, bound={"member": form}, status=400)
