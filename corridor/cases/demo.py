"""Synthetic people and cases for the demo, spread over every stage like a real
programme's funnel (many contacts, fewer evacuations, fewer still resettled),
with households, documents, services, applications across countries, embassies,
check-ins (some missed) and notes.

Built in batches: plaintext first, then one agent round trip for the batch's
keys, then `bulk_create` (keys are preloaded right before each insert, because
the per-request key cache only lives half a second).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.cases import demo_data as D
from corridor.cases.models import (
    EXITS,
    JOURNEY,
    Application,
    Case,
    CheckIn,
    CodeCounter,
    Document,
    Embassy,
    Household,
    Note,
    Person,
    Programme,
    Service,
    Stage,
    StageChange,
)
from corridor.cases.models.people import HouseholdRole
from corridor.crypto import keys
from corridor.crypto.keys import blind_indexes, new_data_keys
from corridor.crypto.models import DataKey
from corridor.web.demo import insert_rows

BATCH = 1000

_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
})


def latin(name: str) -> str:
    return " ".join(part.lower().translate(_TRANSLIT).capitalize() for part in name.split())


class _State:
    """Counters and lookups shared across batches."""

    def __init__(self, ctx) -> None:
        self.now = timezone.now()
        self.counters = {org.pk: 0 for org in ctx.organisations}
        self.households = {org.pk: 0 for org in ctx.organisations}
        self.countries = [c for c, _w, _g in D.COUNTRIES]
        self.country_weights = [w for _c, w, _g in D.COUNTRIES]
        self.grant = {c: g for c, _w, g in D.COUNTRIES}
        self.overdue_done: set = set()
        self.sheltered: list[tuple] = []


def populate(ctx) -> None:
    state = _State(ctx)
    stages = list(D.STAGE_WEIGHTS)
    weights = list(D.STAGE_WEIGHTS.values())
    total = ctx.cases
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        with transaction.atomic():
            _create_batch(ctx, state, size, stages, weights)
        done += size
        ctx.advance("People and cases", done, total)
    with transaction.atomic():
        for org in ctx.organisations:
            CodeCounter.objects.update_or_create(organisation=org, kind="person",
                                                 defaults={"last": state.counters[org.pk]})
            CodeCounter.objects.update_or_create(organisation=org, kind="household",
                                                 defaults={"last": state.households[org.pk]})
        _embassies(ctx, state)
    if total:
        from corridor.cases import demo_2017

        with transaction.atomic():
            demo_2017.populate(ctx)
        from corridor.cases.services import alerts_sweep

        alerts_sweep(state.now)
    # The batches are bulk inserts, past the services that keep the running totals:
    # count them once at the end (what `corridor cases-recount` does).
    from corridor.cases import summaries

    ctx.advance("Case totals", 0, 1)
    summaries.repair(actor="system:demo")
    ctx.advance("Case totals", 1, 1)
    ctx.shared["people_created"] = total
    # For the housing demo: people who are (or were) in safe houses now.
    ctx.shared["sheltered"] = state.sheltered


def _timeline(rng, opened, now, steps: int) -> list:
    """`steps` moments between opening and now, in order (the first is the opening)."""
    span = (now - opened).total_seconds()
    points = sorted(rng.random() for _ in range(steps - 1))
    return [opened] + [opened + timedelta(seconds=span * p * 0.98) for p in points]


def _path_to(stage: str, rng) -> list[str]:
    if stage in JOURNEY:
        return JOURNEY[: JOURNEY.index(stage) + 1]
    if stage == Stage.DECLINED:
        return [*JOURNEY[:2], stage]
    if stage == Stage.RETURNED:
        return [*JOURNEY[: rng.randint(4, 7)], stage]
    return [*JOURNEY[: rng.randint(1, len(JOURNEY) - 2)], stage]


def _create_batch(ctx, state, size, stages, weights) -> None:
    rng, fake, now = ctx.rng, ctx.fake_ru, state.now
    orgs = ctx.organisations
    plans = []  # one dict per person, households share stage, opening and worker
    while len(plans) < size:
        org = orgs[0] if rng.random() < 0.8 or len(orgs) == 1 else orgs[1]
        stage = rng.choices(stages, weights)[0]
        opened = now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
        workers = ctx.users(org, Role.CASE_WORKER)
        worker = rng.choice(workers) if workers and stage != Stage.CONTACTED else None
        members = 1
        if stage not in (Stage.CONTACTED, Stage.DECLINED) and rng.random() < 0.12:
            members = min(rng.choice([2, 2, 3, 4]), size - len(plans))
        household = None
        if members > 1:
            state.households[org.pk] += 1
            household = Household(organisation=org, code=f"{org.code_prefix}H-{state.households[org.pk]:04d}",
                                  created=opened)
        path = _path_to(stage, rng)
        moments = _timeline(rng, opened, now, len(path))
        for i in range(members):
            role = "" if household is None else (HouseholdRole.HEAD if i == 0 else
                                                 rng.choice([HouseholdRole.PARTNER, HouseholdRole.CHILD,
                                                             HouseholdRole.CHILD, HouseholdRole.PARENT]))
            plans.append({"org": org, "stage": stage, "path": path, "moments": moments, "opened": opened,
                          "worker": worker, "household": household, "role": role})
    households = {id(p["household"]): p["household"] for p in plans if p["household"] is not None}
    Household.objects.bulk_create(households.values())

    keys_by_org = {}
    for org in {p["org"].pk: p["org"] for p in plans}.values():
        n = sum(1 for p in plans if p["org"].pk == org.pk)
        keys_by_org[org.pk] = iter(new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=n))
    people, cases, changes, phones = [], [], [], []
    docs, services, apps, notes, checkins = [], [], [], [], []
    passport_numbers = []
    for plan in plans:
        org = plan["org"]
        state.counters[org.pk] += 1
        code = f"{org.code_prefix}-{state.counters[org.pk]:04d}"
        male = rng.random() < 0.75
        name = fake.name_male() if male else fake.name_female()
        phone = ctx.phone()
        phones.append(phone)
        person = Person(organisation=org, code=code, data_key=next(keys_by_org[org.pk]), risk=rng.randint(1, 5),
                        household=plan["household"], household_role=plan["role"], created=plan["opened"])
        person.identity = {
            "name_cyrillic": name, "name_latin": latin(name),
            "aliases": [fake.first_name_male() if male else fake.first_name_female()],
            "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=60).isoformat(),
            "gender_identity": rng.choices(D.GENDERS, D.GENDER_WEIGHTS)[0],
            "languages": ["ru", "ce"] if rng.random() < 0.7 else ["ru"],
            "health": rng.choice(D.NOTES[:2]) if rng.random() < 0.3 else "",
        }
        person.phone = phone
        person.notes = rng.choice(D.NOTES)
        person.wanted = rng.random() < 0.03
        person.wanted_note = rng.choice(D.WANTED) if person.wanted else ""
        people.append(person)
        stage, path, moments = plan["stage"], plan["path"], plan["moments"]
        case = Case(organisation=org, code=code, person=person, stage=stage, worker=plan["worker"],
                    opened=plan["opened"], household=plan["household"])
        case.summary = rng.choice(D.SUMMARIES)
        case.travel_plan = ""
        previous = ""
        for step, at in zip(path, moments, strict=True):
            change = StageChange(case=case, from_stage=previous, to_stage=step, at=at, recorded=at)
            change.reason = rng.choice(D.REASONS.get(step, [""])) if previous else ""
            changes.append(change)
            previous = step
        case.stage_since = moments[-1]
        case.reached = max(JOURNEY.index(s) for s in path if s in JOURNEY)
        if stage in EXITS or stage == Stage.RESETTLED:
            case.closed = case.stage_since
        at_stage = dict(zip(path, moments, strict=True))
        _records(ctx, state, case, person, at_stage, docs, services, apps, notes, checkins, passport_numbers)
        cases.append(case)
    for person, index in zip(people, blind_indexes("phone", phones), strict=True):
        person.phone_index = index
    for doc, index in zip([d for d in docs if d.number], blind_indexes("passport", passport_numbers), strict=True):
        doc.number_index = index
    for model, rows in ((Person, people), (Case, cases), (StageChange, changes), (Document, docs),
                        (Service, services), (Application, apps), (Note, notes), (CheckIn, checkins)):
        _insert(model, rows)


def _insert(model, rows: list, chunk: int = 300) -> None:
    """Insert in chunks, unwrapping each chunk's keys just before: fields are
    encrypted during the insert, and the key cache lives only half a second."""
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        keys.preload([row.data_key for row in part])
        insert_rows(model, part)


def _records(ctx, state, case, person, at_stage, docs, services, apps, notes, checkins, numbers) -> None:
    rng, now = ctx.rng, state.now
    reached = case.reached
    if reached >= JOURNEY.index(Stage.SHELTERED):
        since = at_stage[Stage.SHELTERED]
        for kind in rng.sample(list(D.PROVIDERS), rng.randint(1, 3)):
            start = (since + timedelta(days=rng.randint(0, 20))).date()
            start = min(start, now.date())
            ended = start + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.7 else None
            s = Service(case=case, kind=kind, started=start, ended=ended if ended and ended <= now.date() else None,
                        cost=Decimal(rng.randint(*D.COSTS[kind])), currency="RUB",
                        outcome="done" if ended else "ongoing", created=since)
            s.provider = rng.choice(D.PROVIDERS[kind])
            s.details = ""
            services.append(s)
        if case.stage in (Stage.SHELTERED, Stage.DOCUMENTS, Stage.VISA_ASYLUM, Stage.LEAVING_REGION):
            state.sheltered.append((person.pk, case.organisation_id, since.date()))
    if reached >= JOURNEY.index(Stage.DOCUMENTS):
        status = rng.choice(["have", "have", "lost", "seized"])
        doc = Document(person=person, kind=Document.Kind.INTERNAL_PASSPORT, status=status,
                       updated=at_stage[Stage.DOCUMENTS])
        doc.number = f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}"
        numbers.append(doc.number)
        doc.problems = "Изъят при задержании." if status == "seized" else ""
        docs.append(doc)
    if reached >= JOURNEY.index(Stage.VISA_ASYLUM):
        issued = at_stage.get(Stage.VISA_ASYLUM, now).date()
        ready = reached >= JOURNEY.index(Stage.DEPARTED) or rng.random() < 0.5
        doc = Document(person=person, kind=Document.Kind.INTERNATIONAL_PASSPORT,
                       status="issued" if ready else "in_progress", issued=issued if ready else None,
                       expires=issued + timedelta(days=3650) if ready else None, updated=at_stage[Stage.VISA_ASYLUM])
        doc.number = f"{rng.randint(70, 79)} {rng.randint(1000000, 9999999)}" if ready else ""
        if ready:
            numbers.append(doc.number)
        doc.problems = ""
        docs.append(doc)
        _applications(ctx, state, case, at_stage, apps)
    if case.stage in (Stage.LEAVING_REGION, Stage.SHELTERED) or (case.stage == Stage.DOCUMENTS and rng.random() < .3):
        case.checkin_every_hours = rng.choice([6, 12, 24])
        org = case.organisation_id
        overdue = org not in state.overdue_done or rng.random() < 0.01
        if overdue:
            state.overdue_done.add(org)
            case.next_checkin_due = now - timedelta(hours=rng.randint(2, 30))
        else:
            case.next_checkin_due = now + timedelta(hours=rng.randint(1, case.checkin_every_hours))
        last = case.next_checkin_due - timedelta(hours=case.checkin_every_hours)
        for k in range(2):
            ci = CheckIn(case=case, at=last - timedelta(hours=k * case.checkin_every_hours), status="ok",
                         channel=rng.choice(["call", "messenger", "code_word"]))
            ci.note = ""
            checkins.append(ci)
    if rng.random() < 0.3:
        note = Note(case=case, kind=rng.choice(["note", "call", "message"]),
                    at=case.stage_since + (now - case.stage_since) * rng.random())
        note.text = rng.choice(D.NOTES)
        notes.append(note)


def _applications(ctx, state, case, at_stage, apps) -> None:
    rng, today = ctx.rng, state.now.date()
    submitted = at_stage[Stage.VISA_ASYLUM].date()
    departed = at_stage.get(Stage.DEPARTED)
    resettled = at_stage.get(Stage.RESETTLED)
    # Sometimes an earlier refusal elsewhere.
    if rng.random() < 0.35:
        country = rng.choices(state.countries, state.country_weights)[0]
        decided = min(today, submitted + timedelta(days=rng.randint(15, 90)))
        apps.append(_app(case, country, Programme.HUMANITARIAN_VISA, submitted, "refused", decided))
    country = rng.choices(state.countries, state.country_weights)[0]
    if departed:
        # Entry was granted before departure.
        decided = max(submitted, departed.date() - timedelta(days=rng.randint(1, 10)))
        apps.append(_app(case, country, Programme.HUMANITARIAN_VISA, submitted, "granted", decided))
        if resettled:
            apps.append(_app(case, country, Programme.ASYLUM, departed.date(), "granted", resettled.date()))
        elif rng.random() < 0.7:
            apps.append(_app(case, country, Programme.ASYLUM, departed.date(), "pending", None))
    elif case.stage == Stage.VISA_ASYLUM:
        if rng.random() < 0.3 and (today - submitted).days > 20:
            granted = rng.random() < state.grant[country]
            apps.append(_app(case, country, Programme.HUMANITARIAN_VISA, submitted,
                             "granted" if granted else "refused",
                             min(today, submitted + timedelta(days=rng.randint(20, 120)))))
        else:
            programme = rng.choice([Programme.HUMANITARIAN_VISA] * 6 + [Programme.RESETTLEMENT,
                                                                      Programme.FAMILY_REUNION])
            apps.append(_app(case, country, programme, submitted, "pending", None))


def _app(case, country, programme, submitted, decision, decided) -> Application:
    app = Application(case=case, country_id=country, programme=programme, submitted=submitted, decision=decision,
                      decided=decided)
    app.notes = ""
    return app


def _embassies(ctx, state) -> None:
    rng = ctx.rng
    for org in ctx.organisations:
        chosen = [c for c, _w, _g in D.COUNTRIES[:10]]
        dks = new_data_keys(scope=DataKey.Scope.OTHER, organisation=org, count=len(chosen))
        rows = []
        for country, dk in zip(chosen, dks, strict=True):
            e = Embassy(organisation=org, country_id=country, city="Москва", data_key=dk,
                        last_contact=(state.now - timedelta(days=rng.randint(0, 60))).date())
            e.contacts = f"{ctx.fake_ru.name()}, {ctx.fake_ru.job()}, {ctx.phone()}"
            rows.append(e)
        Embassy.objects.bulk_create(rows)
