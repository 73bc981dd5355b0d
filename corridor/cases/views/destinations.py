"""The country board and embassies."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.cases import forms as f
from corridor.cases import services
from corridor.cases.models import Country, Embassy, Programme
from corridor.cases.selectors import get_embassy_for_user
from corridor.cases.selectors.board import country_board
from corridor.cases.views._helpers import add_errors
from corridor.crypto import keys
from corridor.web.decorators import require_perm


@require_perm(Perm.CASE_VIEW_ASSIGNED, Perm.STATISTICS)
def countries(request: HttpRequest) -> HttpResponse:
    programme = request.GET.get("programme", "")
    board = country_board(request.user, programme=programme)
    context = {"board": board, "programme": programme if programme in Programme.values else "",
               "programmes": Programme.choices}
    if request.headers.get("HX-Request"):
        return render(request, "cases/_countries.html", context)
    return render(request, "cases/countries.html", context)


@require_perm(Perm.CASE_VIEW_ASSIGNED)
def country_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        country = Country.objects.get(pk=code.upper())
    except Country.DoesNotExist:
        raise Http404 from None
    embassies = list(Embassy.objects.filter(organisation_id=request.user.organisation_id, country=country)
                     .select_related("data_key"))
    keys.preload([e.data_key for e in embassies])
    return render(request, "cases/country.html", {
        "country": country, "embassies": embassies, "contact_form": f.ContactForm(),
        "can_manage": request.user.can(Perm.CASE_VIEW_ALL),
    })


@require_perm(Perm.CASE_VIEW_ALL)
@require_http_methods(["GET", "POST"])
def embassy_edit(request: HttpRequest, pk=None) -> HttpResponse:
    embassy = get_embassy_for_user(request.user, pk) if pk else None
    initial = {"country": embassy.country_id, "city": embassy.city, "contacts": embassy.contacts or ""} if embassy \
        else {"country": request.GET.get("country", "").upper() or None}
    form = f.EmbassyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if embassy is None:
                embassy = services.embassy_create(actor=request.user, organisation=request.user.organisation,
                                                  country=d["country"], city=d["city"], contacts=d["contacts"])
            else:
                services.embassy_update(actor=request.user, embassy=embassy, city=d["city"], contacts=d["contacts"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:country", code=embassy.country_id)
    return render(request, "cases/embassy_form.html", {"form": form, "embassy": embassy},
                  status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.CASE_VIEW_ASSIGNED)
def embassy_contact(request: HttpRequest, pk) -> HttpResponse:
    embassy = get_embassy_for_user(request.user, pk)
    form = f.ContactForm(request.POST)
    if form.is_valid():
        try:
            services.embassy_contact_record(actor=request.user, embassy=embassy, on=form.cleaned_data["on"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Contact recorded."))
    else:
        messages.error(request, _("Give the date of the contact."))
    return redirect("cases:country", code=embassy.country_id)
