"""Synthetic exposure data for the demo: a few known provocateurs (one of whom
called the hotline), further handles of some people, and a seized contact list
in messy real-world formats that contains some of our people, so their risk rises
and their case workers see alerts."""

from __future__ import annotations

from corridor.accounts.permissions import Role
from corridor.crypto import context
from corridor.exposure.services import identifier_add, list_import, provocateur_add


def _messy(phone: str, rng) -> str:
    """+79281234567 written the way people write it in their phone books."""
    d = phone[2:]
    return rng.choice([
        f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}", f"8{d}",
        f"+7{d}", f"7 {d[:3]} {d[3:]}", f"8({d[:3]}){d[3:]}",
    ])


def _caller_was_a_provocateur(coordinator, operator, contact) -> None:
    from corridor.exposure.models import Identifier
    from corridor.intake.services import contact_check_provocateurs

    ident = Identifier.objects.filter(contact=contact, kind="phone").select_related("data_key").first()
    if ident is not None:
        provocateur_add(actor=coordinator, organisation=contact.organisation, kind="phone", raw=ident.value,
                        note="Звонил в 2019 с той же историей; через неделю задержали тех, с кем он встречался.")
        contact_check_provocateurs(actor=operator, contact=contact)


def populate(ctx) -> None:
    from corridor.cases.models import Person

    for index, org in enumerate(ctx.organisations):
        coordinator = (ctx.users(org, Role.COORDINATOR) or [None])[0]
        operator = (ctx.users(org, Role.OPERATOR) or [None])[0]
        if coordinator is None or operator is None:
            continue
        known = [ctx.phone() for _ in range(3)]
        recorded = ctx.shared.get("intake_recorded", {}).get(org.slug, [])
        for i, phone in enumerate(known):
            provocateur_add(actor=coordinator, organisation=org, kind="phone", raw=phone,
                            note=["Выдавал себя за пострадавшего в 2018, передавал имена.",
                                  "Просил адрес шелтера, отказался от видеозвонка.",
                                  "Номер из переписки, опубликованной провокаторами."][i])
        provocateur_add(actor=coordinator, organisation=org, kind="handle", raw=f"@{ctx.fake_en.user_name()}",
                        note="Писал от имени «друга задержанного».")
        if recorded:
            _caller_was_a_provocateur(coordinator, operator, recorded[-1])
        people = list(Person.objects.filter(organisation=org, phone_index__isnull=False)
                      .select_related("data_key").order_by("created")[:6])
        context.cache_clear()
        ours = [p.phone for p in people if isinstance(p.phone, str)]
        for person in people[:2]:
            identifier_add(actor="system:demo", organisation=org, kind="handle",
                           raw=f"@{ctx.fake_en.user_name()}", data_key=person.data_key, person=person)
        rows = ["Имя;Мобильный;Ещё;Заметка"]
        names = [ctx.fake_ru.first_name() for _ in range(120)]
        for i, name in enumerate(names):
            phone = ours[i % len(ours)] if ours and i % 20 == 0 else ctx.phone()
            extra = _messy(ctx.phone(), ctx.rng) if i % 7 == 0 else ""
            rows.append(f"{name};{_messy(phone, ctx.rng)};{extra};{ctx.rng.choice(['', 'работа', 'брат', 'такси'])}")
        rows.append(f"Дубль;{_messy(ours[0], ctx.rng) if ours else ctx.phone()};;")
        rows.append("Сломанный;+7 928 12;;")
        rows.append(f"Незнакомец;{_messy(known[0], ctx.rng)};;")
        list_import(actor=operator, organisation=org, data="\n".join(rows).encode("utf-8"),
                    filename="detainee-phone.csv", purpose="seized",
                    label="Телефон задержанного (синтетический пример)")
        if recorded:
            list_import(actor=operator, organisation=org, data="\n".join(known[:1] + [ctx.phone()]).encode(),
                        filename="callers.txt", purpose="check", label="Звонившие за неделю")
        ctx.advance("Exposure", index + 1, len(ctx.organisations))
