"""Reads for safe houses: the access function, occupancy now and over time, and
the address, which only `HOUSING_ADDRESSES` may decrypt (and every reading is audited)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.housing.events import HousingEvent
from corridor.housing.models import SafeHouse, Stay


def houses_for_user(user, *, include_closed: bool = False) -> list[SafeHouse]:
    if not user.can(Perm.HOUSING_VIEW):
        return []
    qs = SafeHouse.objects.filter(organisation_id=user.organisation_id)
    if not include_closed:
        qs = qs.filter(active=True)
    houses = list(qs.annotate(occupied=Count("stays", filter=Q(stays__check_out__isnull=True))).order_by("label"))
    for h in houses:
        h.free = max(0, h.capacity - h.occupied)
        h.percent = round(100 * h.occupied / h.capacity) if h.capacity else 0
    return houses


def get_house_for_user(user, house_id, *, manage: bool = False) -> SafeHouse:
    """Missing, another organisation's, or not allowed: 404 alike."""
    if not user.can(Perm.HOUSING_VIEW) or (manage and not user.can(Perm.HOUSING_MANAGE)):
        raise Http404
    try:
        return SafeHouse.objects.select_related("data_key").get(pk=house_id, organisation_id=user.organisation_id)
    except (SafeHouse.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_stay_for_user(user, stay_id) -> Stay:
    if not user.can(Perm.HOUSING_MANAGE):
        raise Http404
    try:
        return Stay.objects.select_related("house", "person").get(pk=stay_id,
                                                                  house__organisation_id=user.organisation_id)
    except (Stay.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def house_address(user, house: SafeHouse) -> dict | None:
    """The decrypted address for coordinators (audited), None for everyone else."""
    if not user.can(Perm.HOUSING_ADDRESSES) or house.organisation_id != user.organisation_id:
        return None
    with transaction.atomic():
        record(HousingEvent.HOUSE_ADDRESS_VIEWED, actor=user, organisation=str(house.organisation_id), obj=house)
    value = house.address
    return value if isinstance(value, dict) else {"address": str(value)}


def residents(user, house: SafeHouse) -> list[dict]:
    """Who stays here now: codes only, and only for cases this user may open."""
    from corridor.cases.models import Case
    from corridor.cases.selectors import access_via, locked_expr

    stays = list(Stay.objects.filter(house=house, check_out__isnull=True).select_related("person")
                 .order_by("check_in"))
    cases = {c.person_id: c for c in Case.objects.filter(person_id__in=[s.person_id for s in stays])
             .annotate(locked=locked_expr())}
    out = []
    for stay in stays:
        case = cases.get(stay.person_id)
        visible = case is not None and access_via(user, case) in ("organisation", "assigned")
        out.append({"stay": stay, "code": case.code if visible else "", "visible": visible,
                    "days": (timezone.localdate() - stay.check_in).days})
    return out


def stays_for_person(person) -> list[Stay]:
    return list(Stay.objects.filter(person=person).select_related("house").order_by("-check_in")[:10])


def occupancy_now(organisation_id) -> dict:
    houses = SafeHouse.objects.filter(organisation_id=organisation_id, active=True)
    beds = sum(houses.values_list("capacity", flat=True))
    occupied = Stay.objects.filter(house__organisation_id=organisation_id, check_out__isnull=True).count()
    return {"houses": houses.count(), "beds": beds, "occupied": occupied, "free": max(0, beds - occupied),
            "percent": round(100 * occupied / beds) if beds else 0}


def occupancy_series(organisation_id, *, days: int = 90, house: SafeHouse | None = None,
                     today: date | None = None) -> list[tuple[date, int]]:
    """People staying each night of the last `days` days (a difference array over
    the stays that touch the window, so it costs one query)."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    qs = Stay.objects.filter(house__organisation_id=organisation_id, check_in__lte=today).filter(
        Q(check_out__isnull=True) | Q(check_out__gt=start))
    if house is not None:
        qs = qs.filter(house=house)
    delta = [0] * (days + 1)
    for check_in, check_out in qs.values_list("check_in", "check_out"):
        first = max(0, (check_in - start).days)
        # The night of check-out is not spent in the house.
        last = days if check_out is None else min(days, (check_out - start).days)
        if last > first:
            delta[first] += 1
            delta[last] -= 1
    series, running = [], 0
    for i in range(days):
        running += delta[i]
        series.append((start + timedelta(days=i), running))
    return series


def stay_code_for_user(user, stay: Stay) -> str:
    """The case code of the person in `stay`, or "" if this user may not open the case."""
    from corridor.cases.models import Case
    from corridor.cases.selectors import access_via

    case = Case.objects.filter(person_id=stay.person_id).first()
    if case is None or access_via(user, case) not in ("organisation", "assigned"):
        return ""
    return case.code
