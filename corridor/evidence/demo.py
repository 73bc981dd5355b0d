"""Synthetic evidence for the demo: testimonies with mixed consent, violation events in
the three waves, a few generated files, filings with deadlines, and one export waiting
for a second person's approval. Everything is made up with Faker; no real person,
testimony or case is ever used.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.cases.models import Person
from corridor.evidence import services
from corridor.evidence.ingest import ingest_chunks
from corridor.evidence.models import Term
from corridor.evidence.samples import make_jpeg, make_png

WAVES = [(date(2016, 12, 1), date(2017, 2, 28)), (date(2017, 3, 1), date(2017, 4, 30)),
         (date(2018, 12, 1), date(2019, 1, 31))]
PLACES = [
    ("Аргун, бывшее здание комендатуры (синтетический пример)", "unofficial_detention"),
    ("Грозный, отдел полиции № 0 (синтетический пример)", "police_station"),
    ("Село в Шалинском районе (синтетический пример)", "settlement"),
    ("Частный дом родственников (синтетический пример)", "home"),
]
PERPETRATORS = [
    ("Подразделение полиции «А» (синтетический пример)", "police_unit"),
    ("Должностное лицо «Б» (синтетический пример)", "official"),
    ("Дядя пострадавшего (синтетический пример)", "relative"),
    ("Не установленные люди в форме", "unidentified"),
]
ACT_TYPES = ["arbitrary_detention", "secret_detention", "torture", "threats", "extortion", "forced_outing",
             "phone_search", "incitement_honour_killing", "enforced_disappearance", "forced_confession"]
CONSENTS = [
    {"consent_public": True, "consent_legal": True, "consent_partners": ["osce", "echr"]},
    {"consent_public": True},
    {},  # internal only
    {"consent_legal": True},
    {"consent_public": True, "consent_partners": ["journalist"]},
]


def _term(code: str) -> Term:
    return Term.objects.get(code=code, organisation=None)


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


# Synthetic texts in plain, grammatical Russian (Faker's Russian "lorem" is random
# words). Invented; they describe no real person or event.
TRANSCRIPTS = [
    "Меня задержали вечером у дома. Отвезли в отдел, забрали телефон и требовали пароль. "
    "Двое суток держали в подвале, били и спрашивали имена знакомых. Отпустили, когда за мной приехал дядя.",
    "Мне позвонили с незнакомого номера и назначили встречу. На встрече меня ждали двое в штатском. "
    "Меня посадили в машину и увезли за город. Угрожали рассказать всё семье.",
    "Брат узнал обо мне из переписки. Дома меня заперли и отобрали паспорт. "
    "Через неделю я смог уйти и уехал к знакомым в другой город.",
    "Моего друга задержали, а через три дня начали задерживать тех, чьи номера были в его телефоне. "
    "Я уехал той же ночью.",
]
SUMMARIES = [
    "Задержание у дома, двое суток в подвале, требовали имена знакомых.",
    "Провокация через встречу, похищение, угрозы раскрыть семье.",
    "Насилие в семье: заперли дома, отобрали паспорт.",
    "Задержания по номерам из телефона задержанного друга.",
]
EVENT_TITLES = ["Задержание у дома", "Задержание на блокпосту", "Провокация через знакомство",
                "Удержание в неофициальном месте", "Угрозы со стороны родственников"]
ACT_NOTES = ["Били при допросе, требовали пароль от телефона.", "Держали без еды и воды.",
             "Забрали документы и телефон.", "Угрожали рассказать семье."]


def populate(ctx) -> None:
    org = ctx.organisations[0]
    legal = (ctx.users(org, Role.LEGAL) or [None])[0]
    if legal is None:
        return
    rng = ctx.rng
    people = list(Person.objects.filter(organisation=org).order_by("code")[:12])
    places = [services.place_create(actor=legal, name=name, kind=_term(kind)) for name, kind in PLACES]
    perpetrators = [services.perpetrator_create(actor=legal, name=name, kind=_term(kind)) for name, kind in PERPETRATORS]
    testimonies = []
    for i in range(10):
        person = people[i] if i < len(people) and i % 4 else None
        testimonies.append(services.testimony_record(
            actor=legal, person=person, source_label="" if person else "анонимный источник, родственник",
            language=rng.choice(["ru", "ru", "ce"]), transcript=TRANSCRIPTS[i % len(TRANSCRIPTS)],
            summary=SUMMARIES[i % len(SUMMARIES)], interviewer=legal,
            interviewed_on=_day(rng, date(2017, 4, 1), date(2019, 6, 1)), **CONSENTS[i % len(CONSENTS)],
        ))
    files = [
        services.file_register(actor=legal, description="Снимок (сгенерирован для демо)", ingested=ingest_chunks(
            organisation=org, name="снимок_травм.jpg", chunks=[make_jpeg(128, 96)])),
        services.file_register(actor=legal, description="Схема (сгенерирована для демо)", ingested=ingest_chunks(
            organisation=org, name="схема_места.png", chunks=[make_png(96, 64)])),
        services.file_register(actor=legal, description="Заявление (синтетический текст)", ingested=ingest_chunks(
            organisation=org, name="заявление.txt", chunks=[" ".join(TRANSCRIPTS).encode("utf-8")])),
    ]
    events = []
    for i in range(15):
        start, end = WAVES[i % 3]
        starts = _day(rng, start, end)
        event = services.violation_create(
            actor=legal, title=rng.choice(EVENT_TITLES), description=rng.choice(SUMMARIES),
            starts=starts, starts_precision="day" if i % 4 else "month",
            ends=starts + timedelta(days=rng.randint(0, 20)), place=rng.choice(places),
        )
        events.append(event)
        for _ in range(rng.randint(1, 3)):
            victim = rng.choice(people) if people and rng.random() < 0.7 else None
            act = services.act_add(
                actor=legal, event=event, act_type=_term(rng.choice(ACT_TYPES)), victim=victim,
                victim_label="" if victim else "мужчина, около 25 лет", description=rng.choice(ACT_NOTES),
                places=[rng.choice(places)], perpetrators=[(rng.choice(perpetrators), rng.choice(["direct", "ordered"]))],
            )
            for testimony in rng.sample(testimonies, rng.randint(1, 2)):
                services.source_add(actor=legal, event=event, act=act, testimony=testimony,
                                    reliability=rng.choice(["high", "medium", "low"]))
        if i < len(files):
            services.source_add(actor=legal, event=event, file=files[i], reliability="high")
    today = timezone.localdate()
    services.filing_create(
        actor=legal, body="echr", title="Жалоба в ЕСПЧ (демо)", final_decision_on=today - timedelta(days=100),
        events=events[:3], people=people[:2], next_step="подать формуляр жалобы",
    )
    complaint = services.filing_create(
        actor=legal, body="ic", status="lodged", title="Заявление в СК (демо)", lodged_on=date(2017, 5, 15),
        events=events[3:6],
    )
    services.filing_step_add(actor=legal, filing=complaint, on=date(2017, 9, 1), kind="response",
                             text="Отказ в возбуждении дела (демо).", next_deadline=today + timedelta(days=12),
                             next_step="обжаловать отказ")
    services.filing_create(actor=legal, body="osce", status="decided", title="Материалы для Московского механизма ОБСЕ",
                           lodged_on=date(2018, 10, 1), events=events[:8])
    # The waiting export takes documented events whose witnesses consent to the ECHR,
    # so approving it in the demo yields a bundle with content to verify.
    from corridor.evidence.selectors import permitted_acts

    allowed = permitted_acts([e.id for e in events[:len(files)]], "echr")
    chosen = [i for i, e in enumerate(events[:len(files)]) if e.acts.filter(id__in=allowed).exists()]
    chosen = chosen or [0]
    _pending_export(legal, [events[i] for i in chosen], [files[i] for i in chosen])
    ctx.advance("Evidence", 1, 1)


def _pending_export(legal, events, files) -> None:
    """One export waiting for approval; the demo recipient's key goes to var/."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    path = Path(settings.VAR_DIR) / "demo-bundle-identity.txt"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# Demo recipient of evidence bundles (synthetic data only)\n"
                     f"# public key: {identity.to_public()}\n{identity}\n")
    services.bundle_request(actor=legal, audience="echr", recipients=[str(identity.to_public())], events=events,
                            files=files, purpose="Демо: материалы к жалобе в ЕСПЧ")
