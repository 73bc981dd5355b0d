"""Synthetic safe houses with stays: people sheltered now, and the last half year's
comings, goings and moves, so occupancy over time has a shape. Addresses are
made up by Faker."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from corridor.crypto import keys
from corridor.crypto.keys import new_data_keys
from corridor.crypto.models import DataKey
from corridor.housing.models import SafeHouse, Stay

NICKNAMES = ["Берёза", "Рябина", "Маяк", "Причал", "Сосна", "Ласточка", "Гавань", "Клён", "Orchard", "Harbour"]


def populate(ctx) -> None:
    today = timezone.localdate()
    sheltered = ctx.shared.get("sheltered", [])
    with transaction.atomic():
        for n, org in enumerate(ctx.organisations):
            count = 6 if n == 0 else 3
            dks = new_data_keys(scope=DataKey.Scope.OTHER, organisation=org, count=count)
            houses = []
            for i, dk in enumerate(dks):
                house = SafeHouse(organisation=org, label=NICKNAMES[(i + 3 * n) % len(NICKNAMES)],
                                  capacity=ctx.rng.choice([4, 6, 8, 10, 12]), data_key=dk)
                house.address = {"address": ctx.fake_ru.street_address(), "city": ctx.fake_ru.city(),
                                 "contact": f"{ctx.fake_ru.first_name()}, {ctx.phone()}", "notes": ""}
                houses.append(house)
            keys.preload(dks)
            SafeHouse.objects.bulk_create(houses)
            people = [p for p in sheltered if p[1] == org.pk]
            _stays(ctx, houses, people, today)
    ctx.advance("Safe houses", 1, 1)


def _stays(ctx, houses, people, today) -> None:
    rng = ctx.rng
    stays: list[Stay] = []
    free = {h.pk: h.capacity for h in houses}
    # History first: people who came and went over the last six months, some moved once.
    for person_id, _org, since in people[: len(people) // 2][:400]:
        start = max(since, today - timedelta(days=180))
        length = rng.randint(5, 60)
        end = start + timedelta(days=length)
        if end >= today:
            continue
        house = rng.choice(houses)
        first = Stay(house=house, person_id=person_id, check_in=start, check_out=end)
        stays.append(first)
        if rng.random() < 0.25:
            other = rng.choice([h for h in houses if h.pk != house.pk] or [house])
            stays.append(Stay(house=other, person_id=person_id, check_in=end,
                              check_out=min(today, end + timedelta(days=rng.randint(3, 30))), moved_from=first))
    # Now: fill beds with people currently sheltered, leaving some space.
    for person_id, _org, since in people[len(people) // 2:]:
        open_houses = [h for h in houses if free[h.pk] > (1 if rng.random() < 0.5 else 0)]
        if not open_houses:
            break
        house = rng.choice(open_houses)
        free[house.pk] -= 1
        start = max(since, today - timedelta(days=rng.randint(1, 90)))
        stays.append(Stay(house=house, person_id=person_id, check_in=min(start, today)))
    Stay.objects.bulk_create(stays)
