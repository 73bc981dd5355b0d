from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.forms import (
    ActForm,
    PerpetratorForm,
    PlaceForm,
    SourceForm,
    TermForm,
    ViolationForm,
    WaveForm,
)
from corridor.evidence.views.common import attempt, page
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page


@require_perm(Perm.EVIDENCE_VIEW)
def event_list(request: HttpRequest) -> HttpResponse:
    # Newest first; events with no known start date after all the dated ones.
    rows = keyset_page(selectors.events_for(request.user), ["-starts", "-created", "-id"], request)
    events = list(rows)
    preload([e.data_key for e in events] + [e.place.data_key for e in events if e.place])
    per_event, _acts = selectors.independent_counts([e.id for e in events])
    for event in events:
        event.independent = per_event.get(event.id, 0)
    return page(request, "event_list.html", {"page": rows, "events": events})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    form = ViolationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        event = attempt(form, lambda: services.violation_create(actor=request.user, **form.cleaned_data))
        if event:
            messages.success(request, _("Event %(code)s recorded. Now add its acts and sources.") % {"code": event.code})
            return redirect("evidence:event_detail", pk=event.pk)
    return page(request, "form.html", {"form": form, "title": _("New violation event"),
                                       "back": ("evidence:event_list", None)})


@require_perm(Perm.EVIDENCE_VIEW)
def event_detail(request: HttpRequest, pk) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, pk)
    acts = list(event.acts.select_related("act_type", "victim").prefetch_related(
        "places__data_key", "perpetrator_links__perpetrator__data_key", "perpetrator_links__perpetrator__kind"))
    sources = list(event.sources.select_related("testimony__person", "file", "act__act_type"))
    per_event, per_act = selectors.independent_counts([event.id])
    preload([event.data_key] + [p.data_key for a in acts for p in a.places.all()]
            + [link.perpetrator.data_key for a in acts for link in a.perpetrator_links.all()]
            + ([event.place.data_key] if event.place else []))
    for act in acts:
        act.independent = per_act.get(act.id, 0)
        act.own_sources = [s for s in sources if s.act_id == act.id]
    return page(request, "event_detail.html", {
        "event": event, "acts": acts, "independent": per_event.get(event.id, 0),
        "event_sources": [s for s in sources if s.act_id is None], "filings": event.filings.all(),
        "public_acts": selectors.permitted_acts([event.id], "public"),
    })


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, pk, write=True)
    fields = ["title", "description", "starts", "starts_precision", "ends", "ends_precision", "place", "wave"]
    form = ViolationForm(request.POST or None, user=request.user, initial={f: getattr(event, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        if attempt(form, lambda: services.violation_update(actor=request.user, event=event, **form.cleaned_data)):
            messages.success(request, _("Saved."))
            return redirect("evidence:event_detail", pk=event.pk)
    return page(request, "form.html", {"form": form, "title": _("Edit event %(code)s") % {"code": event.code},
                                       "back": ("evidence:event_detail", event.pk)})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def act_create(request: HttpRequest, pk) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, pk, write=True)
    form = ActForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        act = attempt(form, lambda: services.act_add(
            actor=request.user, event=event, act_type=data["act_type"], victim=data["victim"],
            victim_label=data["victim_label"], description=data["description"], places=list(data["places"]),
            perpetrators=data["perpetrators"]))
        if act:
            messages.success(request, _("Act added."))
            return redirect("evidence:event_detail", pk=event.pk)
    return page(request, "form.html", {"form": form, "title": _("New act in %(code)s") % {"code": event.code},
                                       "back": ("evidence:event_detail", event.pk)})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest, pk) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, pk, write=True)
    form = SourceForm(request.POST or None, user=request.user, event=event, initial={"act": request.GET.get("act")})
    if request.method == "POST" and form.is_valid():
        if attempt(form, lambda: services.source_add(actor=request.user, event=event, **form.cleaned_data)):
            messages.success(request, _("Source added."))
            return redirect("evidence:event_detail", pk=event.pk)
    return page(request, "form.html", {"form": form, "title": _("New source for %(code)s") % {"code": event.code},
                                       "back": ("evidence:event_detail", event.pk)})


@require_perm(Perm.EVIDENCE_VIEW)
def registry(request: HttpRequest) -> HttpResponse:
    user = request.user
    places, perpetrators = list(selectors.places_for(user)), list(selectors.perpetrators_for(user))
    preload([p.data_key for p in places] + [p.data_key for p in perpetrators])
    return page(request, "registry.html", {
        "places": places, "perpetrators": perpetrators,
        "terms": selectors.all_terms_for(user.organisation), "waves": selectors.waves_for(user.organisation),
        "place_form": PlaceForm(user=user), "perpetrator_form": PerpetratorForm(user=user),
        "term_form": TermForm(), "wave_form": WaveForm(),
    })


def _registry_post(request, form, action, done: str) -> HttpResponse:
    if form.is_valid() and attempt(form, lambda: action(form.cleaned_data)):
        messages.success(request, done)
        return redirect("evidence:registry")
    return page(request, "form.html", {"form": form, "title": _("Registry"), "back": ("evidence:registry", None)},
                status=400)


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def place_create(request: HttpRequest) -> HttpResponse:
    return _registry_post(request, PlaceForm(request.POST, user=request.user),
                          lambda d: services.place_create(actor=request.user, **d), _("Place added."))


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def perpetrator_create(request: HttpRequest) -> HttpResponse:
    return _registry_post(request, PerpetratorForm(request.POST, user=request.user),
                          lambda d: services.perpetrator_create(actor=request.user, **d), _("Perpetrator added."))


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def term_create(request: HttpRequest) -> HttpResponse:
    return _registry_post(request, TermForm(request.POST),
                          lambda d: services.term_add(actor=request.user, **d), _("Term added."))


@require_POST
@require_perm(Perm.EVIDENCE_EDIT)
def wave_create(request: HttpRequest) -> HttpResponse:
    return _registry_post(request, WaveForm(request.POST),
                          lambda d: services.wave_create(actor=request.user, **d), _("Wave added."))
