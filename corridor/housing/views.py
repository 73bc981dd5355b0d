"""Safe houses: occupancy for everyone who places people, addresses for coordinators."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.permissions import Perm
from corridor.cases import charts
from corridor.cases.selectors import BreakGlassRequired, get_case_for_user
from corridor.housing import selectors, services
from corridor.housing.forms import CheckInForm, CheckOutForm, HouseForm, MoveForm
from corridor.web.decorators import require_perm


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_perm(Perm.HOUSING_VIEW)
def house_list(request: HttpRequest) -> HttpResponse:
    org = request.user.organisation_id
    houses = selectors.houses_for_user(request.user, include_closed=request.GET.get("closed") == "1")
    now = selectors.occupancy_now(org)
    series = selectors.occupancy_series(org, days=90)
    return render(request, "housing/list.html", {
        "houses": houses, "now": now, "chart": charts.area(series, capacity=now["beds"]),
        "series": series[-14:], "can_manage": request.user.can(Perm.HOUSING_MANAGE),
    })


def _detail(request: HttpRequest, house, *, show_address: bool = False, forms: dict | None = None,
            status: int = 200) -> HttpResponse:
    user = request.user
    houses = [h for h in selectors.houses_for_user(user) if h.pk != house.pk and h.free > 0]
    series = selectors.occupancy_series(user.organisation_id, days=90, house=house)
    context = {
        "house": house, "residents": selectors.residents(user, house),
        "chart": charts.area(series, capacity=house.capacity),
        "address": selectors.house_address(user, house) if show_address else None,
        "can_see_address": user.can(Perm.HOUSING_ADDRESSES), "can_manage": user.can(Perm.HOUSING_MANAGE),
        "checkin_form": CheckInForm(), "checkout_form": CheckOutForm(), "move_form": MoveForm(houses=houses),
        "other_houses": houses,
    }
    context["occupied"] = len(context["residents"])
    context.update(forms or {})
    return render(request, "housing/detail.html", context, status=status)


@require_perm(Perm.HOUSING_VIEW)
def house_detail(request: HttpRequest, pk) -> HttpResponse:
    house = selectors.get_house_for_user(request.user, pk)
    return _detail(request, house)


@require_perm(Perm.HOUSING_ADDRESSES)
def house_address(request: HttpRequest, pk) -> HttpResponse:
    """Decrypt the address on request (each reading is audited); htmx swaps the
    fragment in, without JavaScript the whole page comes back with it."""
    house = selectors.get_house_for_user(request.user, pk)
    if request.headers.get("HX-Request"):
        return render(request, "housing/_address.html", {"house": house,
                                                         "address": selectors.house_address(request.user, house)})
    return _detail(request, house, show_address=True)


@require_perm(Perm.HOUSING_MANAGE)
@require_http_methods(["GET", "POST"])
def house_edit(request: HttpRequest, pk=None) -> HttpResponse:
    house = selectors.get_house_for_user(request.user, pk, manage=True) if pk else None
    addresses = request.user.can(Perm.HOUSING_ADDRESSES)
    initial: dict = {"active": True}
    if house is not None:
        address = (selectors.house_address(request.user, house) or {}) if request.method == "GET" else {}
        initial = {"label": house.label, "capacity": house.capacity, "active": house.active,
                   "version": house.version, **address}
    form = HouseForm(request.POST or None, initial=initial)
    if not addresses:
        # Without the right to read an address, nobody may overwrite it either.
        for name in ("address", "city", "contact", "notes"):
            del form.fields[name]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if house is None:
                house = services.house_create(actor=request.user, organisation=request.user.organisation,
                                              label=d["label"], capacity=d["capacity"],
                                              address=form.address_data() if addresses else {})
            else:
                services.house_update(actor=request.user, house=house, label=d["label"], capacity=d["capacity"],
                                      active=d["active"], address=form.address_data() if addresses else None,
                                      expected_version=d.get("version"))
        except ValidationError as exc:
            if getattr(exc, "code", "") == "stale":
                data = form.data.copy()
                data["version"] = str(exc.current_version)
                form.data = data
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("housing:detail", pk=house.pk)
    return render(request, "housing/form.html", {"form": form, "house": house}, status=400 if form.errors else 200)


@require_POST
@require_perm(Perm.HOUSING_MANAGE)
def check_in(request: HttpRequest, pk) -> HttpResponse:
    house = selectors.get_house_for_user(request.user, pk, manage=True)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            case = get_case_for_user(request.user, form.cleaned_data["code"].strip(), write=True)
        except (Http404, BreakGlassRequired):
            form.add_error("code", _("No case with this code that you can place."))
        else:
            try:
                services.stay_start(actor=request.user, house=house, person=case.person,
                                    check_in=form.cleaned_data["check_in"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("%(code)s checked in.") % {"code": case.code})
                return redirect("housing:detail", pk=house.pk)
    return _detail(request, house, forms={"checkin_form": form}, status=400)


@require_POST
@require_perm(Perm.HOUSING_MANAGE)
def check_out(request: HttpRequest, pk) -> HttpResponse:
    stay = selectors.get_stay_for_user(request.user, pk)
    form = CheckOutForm(request.POST)
    if form.is_valid() and request.POST.get("confirm") != "1":
        # Checking out cannot be undone (the bed is given away at once): a second,
        # explicit step, which works with JavaScript off.
        return render(request, "housing/check_out_confirm.html", {
            "stay": stay, "house": stay.house, "check_out": form.cleaned_data["check_out"],
            "code": selectors.stay_code_for_user(request.user, stay)})
    if form.is_valid():
        try:
            services.stay_end(actor=request.user, stay=stay, check_out=form.cleaned_data["check_out"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Checked out."))
            return redirect("housing:detail", pk=stay.house_id)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("housing:detail", pk=stay.house_id)


@require_POST
@require_perm(Perm.HOUSING_MANAGE)
def move(request: HttpRequest, pk) -> HttpResponse:
    stay = selectors.get_stay_for_user(request.user, pk)
    houses = [h for h in selectors.houses_for_user(request.user) if h.pk != stay.house_id]
    form = MoveForm(request.POST, houses=houses)
    if form.is_valid():
        target = next(h for h in houses if str(h.pk) == form.cleaned_data["to_house"])
        try:
            services.stay_move(actor=request.user, stay=stay, to_house=target, on=form.cleaned_data["on"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Moved to %(house)s.") % {"house": target.label})
            return redirect("housing:detail", pk=target.pk)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("housing:detail", pk=stay.house_id)
