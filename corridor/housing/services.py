"""Writes for safe houses and stays. Each is atomic and audited; an address is
only ever written encrypted under the house's own data key."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.cases.services._common import claim_version, clean_text
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.housing.events import HousingEvent
from corridor.housing.models import SafeHouse, Stay

ADDRESS_KEYS = ("address", "city", "contact", "notes")


def _clean_address(address: dict) -> dict:
    return {k: clean_text(address.get(k, ""), limit=2000) for k in ADDRESS_KEYS}


def _check_house(label: str, capacity) -> tuple[str, int]:
    label = clean_text(label, limit=60)
    if not label:
        raise ValidationError({"label": _("Give the house a nickname.")})
    if capacity is None or not 1 <= int(capacity) <= 500:
        raise ValidationError({"capacity": _("Beds: from 1 to 500.")})
    return label, int(capacity)


def house_create(*, actor, organisation, label: str, capacity: int, address: dict) -> SafeHouse:
    label, capacity = _check_house(label, capacity)
    with transaction.atomic():
        if SafeHouse.objects.filter(organisation=organisation, label=label).exists():
            raise ValidationError({"label": _("Another house already has this nickname.")})
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation)
        house = SafeHouse(organisation=organisation, label=label, capacity=capacity, data_key=dk)
        house.address = _clean_address(address)
        house.save(force_insert=True)
        record(HousingEvent.HOUSE_CREATED, actor=actor, organisation=organisation, obj=house, capacity=capacity)
    return house


def house_update(*, actor, house: SafeHouse, label: str, capacity: int, active: bool,
                 address: dict | None = None, expected_version: int | None = None) -> SafeHouse:
    label, capacity = _check_house(label, capacity)
    with transaction.atomic():
        claim_version(SafeHouse, house, expected_version)
        if SafeHouse.objects.filter(organisation_id=house.organisation_id, label=label).exclude(pk=house.pk).exists():
            raise ValidationError({"label": _("Another house already has this nickname.")})
        occupied = Stay.objects.filter(house=house, check_out__isnull=True).count()
        if capacity < occupied:
            raise ValidationError({"capacity": _("%(n)d people stay here now; move some before removing beds.")
                                   % {"n": occupied}})
        if not active and occupied:
            raise ValidationError({"active": _("People still stay here; move them before closing the house.")})
        house.label, house.capacity, house.active = label, capacity, active
        fields = ["label", "capacity", "active"]
        if address is not None:
            house.address = _clean_address(address)
            fields.append("address")
        house.save(update_fields=fields)
        record(HousingEvent.HOUSE_UPDATED, actor=actor, organisation=str(house.organisation_id), obj=house,
               address_changed=address is not None, capacity=capacity, active=active)
    return house


def _check_day(day: date | None, field: str) -> date:
    day = day or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({field: _("This date is in the future.")})
    return day


def _start(house: SafeHouse, person, day: date, moved_from: Stay | None = None) -> Stay:
    locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
    if not locked.active:
        raise ValidationError(_("This house is not in use."))
    if person.organisation_id != locked.organisation_id:
        raise ValidationError(_("This person belongs to another organisation."))
    open_stay = Stay.objects.filter(person=person, check_out__isnull=True).exclude(pk=getattr(moved_from, "pk", None))
    if open_stay.exists():
        raise ValidationError(_("This person already stays in a safe house: move them instead."))
    occupied = Stay.objects.filter(house=locked, check_out__isnull=True).count()
    if occupied >= locked.capacity:
        raise ValidationError(_("%(house)s is full (%(n)d beds).") % {"house": locked.label, "n": locked.capacity})
    last_out = (Stay.objects.filter(person=person, check_out__isnull=False).exclude(pk=getattr(moved_from, "pk", None))
                .order_by("-check_out").values_list("check_out", flat=True).first())
    if last_out and day < last_out:
        raise ValidationError({"check_in": _("The check-in is before this person's last check-out (%(date)s).")
                               % {"date": date_format(last_out, "SHORT_DATE_FORMAT")}})
    return Stay.objects.create(house=locked, person=person, check_in=day, moved_from=moved_from)


def stay_start(*, actor, house: SafeHouse, person, check_in: date | None = None) -> Stay:
    day = _check_day(check_in, "check_in")
    with transaction.atomic():
        stay = _start(house, person, day)
        record(HousingEvent.STAY_STARTED, actor=actor, organisation=str(house.organisation_id), obj=house,
               person=person.code)
    return stay


def _end(stay: Stay, day: date) -> None:
    if stay.check_out is not None:
        raise ValidationError(_("This stay has already ended."))
    if day < stay.check_in:
        raise ValidationError({"check_out": _("The check-out is before the check-in (%(date)s).")
                               % {"date": date_format(stay.check_in, "SHORT_DATE_FORMAT")}})
    stay.check_out = day
    stay.save(update_fields=["check_out"])


def stay_end(*, actor, stay: Stay, check_out: date | None = None) -> Stay:
    day = _check_day(check_out, "check_out")
    with transaction.atomic():
        _end(stay, day)
        record(HousingEvent.STAY_ENDED, actor=actor, organisation=str(stay.house.organisation_id), obj=stay.house,
               person=stay.person.code)
    return stay


def stay_move(*, actor, stay: Stay, to_house: SafeHouse, on: date | None = None) -> Stay:
    """Leave one house and arrive in another the same day, as one change."""
    day = _check_day(on, "on")
    if to_house.pk == stay.house_id:
        raise ValidationError({"to_house": _("Choose another house.")})
    with transaction.atomic():
        _end(stay, day)
        new = _start(to_house, stay.person, day, moved_from=stay)
        record(HousingEvent.STAY_MOVED, actor=actor, organisation=str(to_house.organisation_id), obj=to_house,
               person=stay.person.code, from_house=str(stay.house_id))
    return new


def stays_end_for_person(*, actor, person, day: date) -> int:
    """End whatever stay is open for this person (they left the country, were
    detained, died): a bed they no longer sleep in must show as free."""
    ended = 0
    for stay in Stay.objects.filter(person=person, check_out__isnull=True).select_related("house"):
        _end(stay, max(day, stay.check_in))
        record(HousingEvent.STAY_ENDED, actor=actor, organisation=str(stay.house.organisation_id), obj=stay.house,
               person=person.code, automatic=True)
        ended += 1
    return ended
