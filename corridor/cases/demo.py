"""Synthetic people and cases for the demo, spread over every stage like a real
programme's funnel (many contacts, fewer evacuations, fewer still resettled)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.cases.models import EXITS, JOURNEY, Case, Person, Stage, StageChange
from corridor.crypto.keys import blind_indexes, new_data_keys
from corridor.crypto.models import DataKey

STAGE_WEIGHTS = {
    Stage.CONTACTED: 14, Stage.VETTING: 9, Stage.ACCEPTED: 7, Stage.LEAVING_REGION: 6, Stage.SHELTERED: 10,
    Stage.DOCUMENTS: 8, Stage.VISA_ASYLUM: 8, Stage.DEPARTED: 5, Stage.RESETTLED: 15,
    Stage.DECLINED: 5, Stage.LOST_CONTACT: 4, Stage.DETAINED: 2, Stage.RETURNED: 3, Stage.DECEASED: 1, Stage.CLOSED: 3,
}
GENDERS = ["man", "woman", "trans woman", "trans man", "non-binary"]
GENDER_WEIGHTS = [70, 12, 8, 5, 5]
BATCH = 1000

_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
})


def latin(name: str) -> str:
    return " ".join(part.lower().translate(_TRANSLIT).capitalize() for part in name.split())


def populate(ctx) -> None:
    orgs = ctx.organisations
    stages = list(STAGE_WEIGHTS)
    weights = list(STAGE_WEIGHTS.values())
    total = ctx.cases
    now = timezone.now()
    counters = {org.pk: 0 for org in orgs}
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        # Four in five cases belong to the first organisation.
        batch_org = [orgs[0] if ctx.rng.random() < 0.8 or len(orgs) == 1 else orgs[1] for _ in range(size)]
        with transaction.atomic():
            _create_batch(ctx, batch_org, stages, weights, counters, now)
        done += size
        ctx.advance("People and cases", done, total)
    ctx.shared["people_created"] = total


def _create_batch(ctx, batch_org, stages, weights, counters, now) -> None:
    rng = ctx.rng
    keys_by_org: dict = {}
    for org in {o.pk: o for o in batch_org}.values():
        n = sum(1 for o in batch_org if o.pk == org.pk)
        keys_by_org[org.pk] = iter(new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=n))
    people, cases, changes, phones = [], [], [], []
    for org in batch_org:
        counters[org.pk] += 1
        code = f"{org.code_prefix}-{counters[org.pk]:04d}"
        fake = ctx.fake_ru
        male = rng.random() < 0.75
        name = fake.name_male() if male else fake.name_female()
        phone = ctx.phone()
        phones.append(phone)
        person = Person(organisation=org, code=code, data_key=next(keys_by_org[org.pk]), risk=rng.randint(1, 5))
        person.identity = {
            "name_cyrillic": name, "name_latin": latin(name),
            "aliases": [fake.first_name_male() if male else fake.first_name_female()],
            "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=60).isoformat(),
            "gender_identity": rng.choices(GENDERS, GENDER_WEIGHTS)[0],
            "languages": ["ru", "ce"] if rng.random() < 0.7 else ["ru"],
            "health": fake.sentence(nb_words=6) if rng.random() < 0.3 else "",
        }
        person.phone = phone
        person.notes = ctx.fake_ru.paragraph(nb_sentences=2)
        people.append(person)
        stage = rng.choices(stages, weights)[0]
        opened = now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
        workers = ctx.users(org, Role.CASE_WORKER)
        case = Case(organisation=org, code=code, person=person, stage=stage,
                    worker=rng.choice(workers) if workers and stage != Stage.CONTACTED else None, opened=opened)
        case.summary = ctx.fake_ru.sentence(nb_words=10)
        path = _path_to(stage, rng)
        at = opened
        previous = ""
        for step in path:
            change = StageChange(case=case, from_stage=previous, to_stage=step, at=at)
            change.reason = ""
            changes.append(change)
            previous = step
            at = at + timedelta(days=rng.randint(1, 40))
        case.stage_since = changes[-1].at
        if stage in EXITS or stage == Stage.RESETTLED:
            case.closed = case.stage_since
        cases.append(case)
    indexes = blind_indexes("phone", phones)
    for person, index in zip(people, indexes, strict=True):
        person.phone_index = index
    Person.objects.bulk_create(people)
    Case.objects.bulk_create(cases)
    StageChange.objects.bulk_create(changes)


def _path_to(stage: str, rng) -> list[str]:
    if stage in JOURNEY:
        return JOURNEY[: JOURNEY.index(stage) + 1]
    stop = rng.randint(1, len(JOURNEY) - 2) if stage != Stage.DECLINED else 2
    return [*JOURNEY[:stop], stage]
