"""The demo's 2017: a synthetic cohort shaped like the figures the Russian LGBT
Network published for that year ("80+ contacted, 40+ left the region, 9 left
Russia"), so the demo's 2017 transparency report shows what the product is for.

Everyone here is invented by Faker; the shape follows public statements only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from corridor.cases import demo_data as D
from corridor.cases.models import JOURNEY, Case, CodeCounter, Person, Stage, StageChange
from corridor.crypto import keys
from corridor.crypto.keys import blind_indexes, new_data_keys
from corridor.crypto.models import DataKey

# (furthest stage reached in 2017, how many people): 78 cases. Published with the
# default policy this reads "more than 80 contacted (with the contacts below), more
# than 60 assisted, more than 40 left the region, fewer than 10 left the country".
COHORT_2017 = [
    (Stage.RESETTLED, 3), (Stage.DEPARTED, 6), (Stage.VISA_ASYLUM, 12), (Stage.DOCUMENTS, 10),
    (Stage.SHELTERED, 14), (Stage.LEAVING_REGION, 6), (Stage.ACCEPTED, 10), (Stage.VETTING, 7),
    (Stage.DECLINED, 6), (Stage.CONTACTED, 4),
]
# Contacts that never became cases: four people we could not help further, one
# spam message and one suspected provocation (not counted as people).
CONTACTS_2017 = [("declined", 2), ("referred", 2), ("spam", 1), ("provocation", 1)]
LATER = {Stage.DEPARTED: [Stage.RESETTLED], Stage.VISA_ASYLUM: [Stage.DEPARTED, Stage.RESETTLED],
         Stage.RESETTLED: [], Stage.DECLINED: []}
SPRING = datetime(2017, 3, 29, tzinfo=UTC)  # the first reports of the purge


def populate(ctx) -> None:
    from corridor.cases.demo import latin

    if not ctx.organisations:
        return
    org = ctx.organisations[0]
    rng, fake = ctx.rng, ctx.fake_ru
    counter, _created = CodeCounter.objects.get_or_create(organisation=org, kind="person")
    total = sum(n for _s, n in COHORT_2017)
    data_keys = iter(new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=total))
    people, cases, changes, phones = [], [], [], []
    last = counter.last
    for stage, n in COHORT_2017:
        for _ in range(n):
            last += 1
            code = f"{org.code_prefix}-{last:04d}"
            opened = SPRING + timedelta(days=rng.randint(0, 150), hours=rng.randint(0, 23))
            male = rng.random() < 0.85
            name = fake.name_male() if male else fake.name_female()
            phone = ctx.phone()
            phones.append(phone)
            person = Person(organisation=org, code=code, data_key=next(data_keys), risk=rng.randint(2, 5),
                            created=opened)
            person.identity = {"name_cyrillic": name, "name_latin": latin(name), "languages": ["ru", "ce"],
                               "gender_identity": rng.choices(D.GENDERS, D.GENDER_WEIGHTS)[0]}
            person.phone = phone
            person.notes = ""
            people.append(person)
            in_2017 = JOURNEY[: JOURNEY.index(stage) + 1] if stage in JOURNEY else [*JOURNEY[:2], stage]
            # Everyone's story ended by 2019: resettled abroad, or the case closed.
            later = LATER.get(stage, [Stage.CLOSED])
            moments, at = [], opened
            for _step in in_2017:
                moments.append(at)
                at += timedelta(days=rng.randint(1, 12))
            at = datetime(2018, 1, 10, tzinfo=UTC) + timedelta(days=rng.randint(0, 300))
            for _step in later:
                moments.append(at)
                at += timedelta(days=rng.randint(30, 200))
            path, previous = in_2017 + later, ""
            for step, when in zip(path, moments, strict=True):
                change = StageChange(case=None, from_stage=previous, to_stage=step, at=when, recorded=when)
                change.reason = ""
                changes.append((code, change))
                previous = step
            case = Case(organisation=org, code=code, person=person, stage=path[-1], opened=opened,
                        stage_since=moments[-1], closed=moments[-1],
                        reached=max(JOURNEY.index(s) for s in path if s in JOURNEY))
            case.summary = ""
            case.travel_plan = ""
            cases.append(case)
    for person, index in zip(people, blind_indexes("phone", phones), strict=True):
        person.phone_index = index
    by_code = {c.code: c for c in cases}
    rows = []
    for code, change in changes:
        change.case = by_code[code]
        rows.append(change)
    keys.preload([p.data_key for p in people])
    Person.objects.bulk_create(people)
    Case.objects.bulk_create(cases)
    StageChange.objects.bulk_create(rows)
    counter.last = last
    counter.save(update_fields=["last"])
    _contacts(org, rng)
    ctx.advance("2017", 1, 1)


def _contacts(org, rng) -> None:
    """Skeleton contacts of 2017 that never became cases (their content long erased
    under retention: only channel, status and date remain, as for real ones)."""
    from corridor.intake.models import Channel, Contact

    rows = []
    for status, n in CONTACTS_2017:
        for _ in range(n):
            received = SPRING + timedelta(days=rng.randint(0, 200))
            rows.append(Contact(organisation=org, channel=rng.choice([Channel.PHONE, Channel.TELEGRAM]),
                                status=status, received=received, last_activity=received, erased=received
                                + timedelta(days=90)))
    Contact.objects.bulk_create(rows)
