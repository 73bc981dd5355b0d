"""Triage pages under /staff/intake/: the queue, recording a call, one contact and
its actions. Each view parses, checks access through the selectors (404 for
missing and not-yours), calls one service, and renders or redirects."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.accounts.permissions import Perm, Role
from corridor.intake import filetypes, selectors, services
from corridor.intake.forms import (
    FlagsForm,
    IdentifierForm,
    LinkCaseForm,
    LinkForm,
    NotesForm,
    OpenCaseForm,
    RecordForm,
    ReplyForm,
    StatusForm,
    VettingForm,
)
from corridor.intake.models import Contact, Status
from corridor.intake.services.triage import contact_mark_handled
from corridor.web.decorators import require_perm

MAX_PAGE = 10_000  # beyond any real queue; larger numbers overflow the database's OFFSET


@require_GET
@require_perm(Perm.TRIAGE)
def queue(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "open")
    try:
        page = min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page = 1
    # Reading the queue is where sealed submissions are first opened (and moved
    # under their own contact keys); the opening is audited per contact.
    services.messages_open(actor=request.user, organisation=request.user.organisation)
    contacts, more = selectors.queue_for_user(request.user, view=view, page=page)
    return render(request, "intake/queue.html", {
        "contacts": contacts, "more": more, "page": page, "view": view,
        "views": [("open", _("Needs attention")), ("all", _("All")), *Status.choices],
        "still_sealed": selectors.sealed_waiting(request.user.organisation_id),
    })


@require_http_methods(["GET", "POST"])
@require_perm(Perm.INTAKE_RECORD)
def record(request: HttpRequest) -> HttpResponse:
    form = RecordForm(request.POST or None, initial={"urgency": 0})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identifiers = [(kind, data[kind]) for kind in ("phone", "handle", "email") if data.get(kind)]
        try:
            contact = services.contact_record(
                actor=request.user, organisation=request.user.organisation, channel=data["channel"],
                what=data["what"], where=data["where"], reach=data["reach"], partner=data["partner"],
                urgency=data["urgency"], flags=data["flags"], identifiers=identifiers, received=data["received"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            danger = selectors.danger_for(contact, selectors.latest_vetting(selectors.vetting_for_staff(contact)))
            if danger["provocateur"]:
                messages.error(request, _("%(ref)s: this number or handle is in the list of known provocateurs. "
                                          "Do not give addresses, names or meeting places; tell the coordinator "
                                          "on duty.") % {"ref": contact.ref})
            elif danger["exposed"]:
                messages.error(request, _("%(ref)s: this number or handle is in a detainee's seized contacts. "
                                          "The authorities may know it.") % {"ref": contact.ref})
            else:
                messages.success(request, _("The contact %(ref)s is in the triage queue.") % {"ref": contact.ref})
            if request.user.can(Perm.TRIAGE):
                return redirect("intake:contact", contact.pk)
            return redirect("intake:record")
    return render(request, "intake/record.html", {"form": form})


@require_GET
@require_perm(Perm.TRIAGE)
def contact_detail(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.get_contact_for_user(request.user, contact_id)
    if contact.is_sealed or selectors.sealed_waiting_for(contact):
        services.messages_open(actor=request.user, organisation=contact.organisation, contact=contact)
        contact = selectors.get_contact_for_user(request.user, contact_id)
    return render(request, "intake/contact.html", _detail_context(request, contact))


def _detail_context(request, contact: Contact, **forms) -> dict:
    checks = selectors.vetting_for_staff(contact) if not contact.erased else []
    can_decide = request.user.can(Perm.TRIAGE_DECIDE)
    vetting = services.vetting_state(contact) if not contact.erased and not contact.case_id else {
        "needs_override": False, "problems": []}
    workers = User.objects.filter(organisation=contact.organisation_id, role=Role.CASE_WORKER, is_active=True)
    case_q = (request.GET.get("case_q") or request.POST.get("q") or "").strip()[:60]
    return {
        "contact": contact,
        "thread": selectors.thread_for_staff(contact) if not contact.erased else [],
        "checks": checks, "latest": selectors.latest_vetting(checks),
        "danger": selectors.danger_for(contact, selectors.latest_vetting(checks)),
        "history": selectors.status_history(contact) if not contact.erased else [],
        "links": selectors.links_for(contact),
        "same_identifier": selectors.shared_identifier_contacts(contact),
        "identifiers": selectors.identifiers_for(contact) if not contact.erased else [],
        "can_decide": can_decide,
        "has_receipt": hasattr(contact, "receipt"),
        "status_form": forms.get("status_form") or StatusForm(can_decide=can_decide,
                                                              initial={"status": contact.status}),
        "flags_form": forms.get("flags_form") or FlagsForm(initial={"flags": contact.flags,
                                                                    "urgency": contact.urgency}),
        "vetting_form": forms.get("vetting_form") or VettingForm(),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": contact.notes or ""}),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "identifier_form": forms.get("identifier_form") or IdentifierForm(),
        "link_form": forms.get("link_form") or LinkForm(candidates=selectors.link_candidates(contact)),
        "case_form": forms.get("case_form") or (OpenCaseForm(workers=workers, needs_override=vetting["needs_override"])
                                                if can_decide else None),
        "vetting_state": vetting,
        "add_to_case_form": forms.get("add_to_case_form") or (
            LinkCaseForm(candidates=selectors.case_candidates(request.user, contact, q=case_q),
                         initial={"q": case_q})
            if can_decide and not contact.case_id else None),
        "case_q": case_q, "picker_search_from": selectors.PICKER_SEARCH_FROM,
    }


def _add_errors(form, exc: ValidationError) -> None:
    """A service's error on the field it names, when the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _action(request, contact_id, make_form, run, *, form_name: str):
    """Shared shape of the contact's POST actions: access, validate, service, redirect."""
    contact = selectors.get_contact_for_user(request.user, contact_id)
    form = make_form(request.POST)
    if form.is_valid():
        try:
            run(contact, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            return redirect("intake:contact", contact.pk)
    return render(request, "intake/contact.html", _detail_context(request, contact, **{form_name: form}),
                  status=400)


@require_POST
@require_perm(Perm.TRIAGE)
def set_status(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.contact_set_status(actor=request.user, contact=contact, status=data["status"],
                                    reason=data["reason"])
    can_decide = request.user.can(Perm.TRIAGE_DECIDE)
    return _action(request, contact_id, lambda data: StatusForm(data, can_decide=can_decide), run,
                   form_name="status_form")


@require_POST
@require_perm(Perm.TRIAGE)
def set_flags(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.contact_set_flags(actor=request.user, contact=contact, flags=data["flags"], urgency=data["urgency"])
    return _action(request, contact_id, FlagsForm, run, form_name="flags_form")


@require_POST
@require_perm(Perm.TRIAGE)
def add_vetting(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.vetting_record(actor=request.user, contact=contact, item=data["item"], outcome=data["outcome"],
                                note=data["note"])
    return _action(request, contact_id, VettingForm, run, form_name="vetting_form")


@require_POST
@require_perm(Perm.TRIAGE)
def set_notes(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.contact_set_notes(actor=request.user, contact=contact, notes=data["notes"])
    return _action(request, contact_id, NotesForm, run, form_name="notes_form")


@require_POST
@require_perm(Perm.TRIAGE)
def reply(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.reply_send(actor=request.user, contact=contact, text=data["text"])
        messages.success(request, _("Reply sealed to the person's receipt."))
    return _action(request, contact_id, ReplyForm, run, form_name="reply_form")


@require_POST
@require_perm(Perm.TRIAGE)
def add_identifier(request: HttpRequest, contact_id) -> HttpResponse:
    def run(contact, data):
        services.contact_add_identifier(actor=request.user, contact=contact, kind=data["kind"], raw=data["value"])
    return _action(request, contact_id, IdentifierForm, run, form_name="identifier_form")


@require_POST
@require_perm(Perm.TRIAGE)
def link(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.get_contact_for_user(request.user, contact_id)
    form = LinkForm(request.POST, candidates=selectors.link_candidates(contact))
    if form.is_valid():
        other = selectors.get_contact_for_user(request.user, form.cleaned_data["other"])
        try:
            services.contacts_link(actor=request.user, contact=contact, other=other,
                                   relation=form.cleaned_data["relation"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("intake:contact", contact.pk)
    return render(request, "intake/contact.html", _detail_context(request, contact, link_form=form), status=400)


@require_POST
@require_perm(Perm.TRIAGE)
def check_provocateurs(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.get_contact_for_user(request.user, contact_id)
    check = services.contact_check_provocateurs(actor=request.user, contact=contact)
    if check.outcome == "failed":
        messages.error(request, _("This number or handle is in the list of known provocateurs."))
    else:
        messages.success(request, _("Not in the list of known provocateurs."))
    return redirect("intake:contact", contact.pk)


@require_POST
@require_perm(Perm.TRIAGE)
def mark_handled(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.get_contact_for_user(request.user, contact_id)
    contact_mark_handled(actor=request.user, contact=contact)
    return redirect("intake:queue")


@require_POST
@require_perm(Perm.TRIAGE_DECIDE)
def open_case(request: HttpRequest, contact_id) -> HttpResponse:
    contact = selectors.get_contact_for_user(request.user, contact_id, decide=True)
    workers = list(User.objects.filter(organisation=contact.organisation_id, role=Role.CASE_WORKER,
                                       is_active=True))
    form = OpenCaseForm(request.POST, workers=workers,
                        needs_override=not contact.case_id and services.vetting_state(contact)["needs_override"])
    if form.is_valid():
        data = form.cleaned_data
        worker = next((w for w in workers if str(w.pk) == data["worker"]), None)
        try:
            case = services.contact_open_case(actor=request.user, contact=contact, name=data["name"],
                                              name_latin=data["name_latin"], known_as=data["known_as"],
                                              phone=data["phone"], summary=data["summary"], worker=worker,
                                              when=data["when"], override=data.get("override", ""))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Case %(code)s is open.") % {"code": case.code})
            return redirect("intake:contact", contact.pk)
    return render(request, "intake/contact.html", _detail_context(request, contact, case_form=form), status=400)


@require_POST
@require_perm(Perm.TRIAGE_DECIDE)
def add_to_case(request: HttpRequest, contact_id) -> HttpResponse:
    from corridor.cases.selectors import get_case_for_user

    contact = selectors.get_contact_for_user(request.user, contact_id, decide=True)
    form = LinkCaseForm(request.POST, candidates=selectors.case_candidates(
        request.user, contact, q=request.POST.get("q", "")))
    if form.is_valid():
        case = get_case_for_user(request.user, form.cleaned_data["case"], audit=False)
        try:
            services.contact_add_to_case(actor=request.user, contact=contact, case=case)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The contact is now part of case %(code)s.") % {"code": case.code})
            return redirect("intake:contact", contact.pk)
    return render(request, "intake/contact.html", _detail_context(request, contact, add_to_case_form=form),
                  status=400)


def _file_response(item, stream, *, original: bool) -> HttpResponse:
    kind = filetypes.BY_NAME.get(item.kind)
    response = StreamingHttpResponse(stream, content_type=kind.mime if kind else "application/octet-stream")
    # Never the sender's file name; always a download, never rendered in our origin.
    suffix = "-original" if original else ""
    response["Content-Disposition"] = f'attachment; filename="{item.message.contact.ref}-{str(item.pk)[:8]}' \
                                      f'{suffix}.{kind.extensions[0] if kind else "bin"}"'
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_GET
@require_perm(Perm.TRIAGE)
def attachment(request: HttpRequest, attachment_id) -> HttpResponse:
    """The working copy without metadata (made on first use)."""
    item = selectors.get_attachment_for_user(request.user, attachment_id)
    try:
        stream = services.attachment_read(actor=request.user, attachment=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:contact", item.message.contact_id)
    return _file_response(item, stream, original=False)


@require_POST
@require_perm(Perm.TRIAGE)
def attachment_original(request: HttpRequest, attachment_id) -> HttpResponse:
    """The original as it arrived, metadata included: a deliberate, audited act."""
    item = selectors.get_attachment_for_user(request.user, attachment_id)
    stream = services.attachment_read(actor=request.user, attachment=item, original=True)
    return _file_response(item, stream, original=True)
