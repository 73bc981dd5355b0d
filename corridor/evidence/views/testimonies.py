from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from corridor.accounts.permissions import Perm
from corridor.crypto.keys import preload
from corridor.evidence import selectors, services
from corridor.evidence.forms import TestimonyForm
from corridor.evidence.views.common import attempt, page
from corridor.web.decorators import require_perm
from corridor.web.keyset import keyset_page


@require_perm(Perm.EVIDENCE_VIEW)
def testimony_list(request: HttpRequest) -> HttpResponse:
    rows = keyset_page(selectors.testimonies_for(request.user), ["-interviewed_on", "-created", "-id"], request)
    preload([t.data_key for t in rows])
    return page(request, "testimony_list.html", {"page": rows})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def testimony_create(request: HttpRequest) -> HttpResponse:
    form = TestimonyForm(request.POST or None, user=request.user,
                         initial={"interviewer": request.user, "interviewed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        testimony = attempt(form, lambda: services.testimony_record(actor=request.user, **form.cleaned_data))
        if testimony:
            messages.success(request, _("Testimony %(code)s recorded.") % {"code": testimony.code})
            return redirect("evidence:testimony_detail", pk=testimony.pk)
    return page(request, "form.html", {"form": form, "title": _("New testimony"),
                                       "back": ("evidence:testimony_list", None)})


@require_perm(Perm.EVIDENCE_VIEW)
def testimony_detail(request: HttpRequest, pk) -> HttpResponse:
    testimony = selectors.get_testimony_for_user(request.user, pk)
    services.testimony_viewed(actor=request.user, testimony=testimony)
    sources = testimony.sources.select_related("event", "act__act_type")
    return page(request, "testimony_detail.html", {"t": testimony, "sources": sources})


@require_perm(Perm.EVIDENCE_EDIT)
@require_http_methods(["GET", "POST"])
def testimony_edit(request: HttpRequest, pk) -> HttpResponse:
    testimony = selectors.get_testimony_for_user(request.user, pk, write=True)
    fields = ["source_label", "language", "transcript", "summary", "interviewed_on", "consent_public",
              "consent_legal", "consent_partners", "consent_note"]
    form = TestimonyForm(request.POST or None, user=request.user, editing=True,
                         initial={f: getattr(testimony, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in fields}
        if attempt(form, lambda: services.testimony_update(actor=request.user, testimony=testimony, **changes)):
            messages.success(request, _("Saved."))
            return redirect("evidence:testimony_detail", pk=testimony.pk)
    return page(request, "form.html", {"form": form, "title": _("Edit testimony %(code)s") % {"code": testimony.code},
                                       "back": ("evidence:testimony_detail", testimony.pk)})
