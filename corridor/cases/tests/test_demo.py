"""The demo data: every part of the journey is there, consistent, and the counters
let real work continue after it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.cases import demo as cases_demo
from corridor.cases.models import (
    JOURNEY,
    Alert,
    Application,
    Case,
    CheckIn,
    Document,
    Embassy,
    Household,
    Person,
    Service,
    Stage,
    StageChange,
)
from corridor.housing import demo as housing_demo
from corridor.housing.models import SafeHouse, Stay
from corridor.web.demo import DemoContext

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(cast):
    ctx = DemoContext(seed=3, cases=400)
    ctx.organisations = [cast.org, cast.other_org]
    ctx.staff = {"north": {Role.CASE_WORKER: [cast.alice, cast.bob]}, "partner": {Role.CASE_WORKER: [cast.charlie]}}
    cases_demo.populate(ctx)
    housing_demo.populate(ctx)
    return ctx


def test_the_demo_covers_the_journey(demo):
    from corridor.cases.demo_2017 import COHORT_2017

    assert Case.objects.count() == 400 + sum(n for _s, n in COHORT_2017) == Person.objects.count()
    assert set(Case.objects.values_list("stage", flat=True)) >= {Stage.CONTACTED, Stage.SHELTERED, Stage.RESETTLED}
    assert Household.objects.exists() and Document.objects.exists() and Service.objects.exists()
    assert Application.objects.filter(decision="granted").exists() and Application.objects.filter(decision="refused")
    assert Embassy.objects.count() == 20 and CheckIn.objects.exists()
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_CHECKIN).count() >= 2  # at least one per organisation
    assert SafeHouse.objects.count() == 9 and Stay.objects.filter(check_out__isnull=True).exists()


def test_demo_dates_are_in_order_and_in_the_past(demo):
    now = timezone.now()
    for case in Case.objects.all()[:200]:
        moments = list(StageChange.objects.filter(case=case).order_by("at").values_list("at", "to_stage"))
        assert moments[-1][1] == case.stage and case.stage_since <= now
        assert [m[0] for m in moments] == sorted(m[0] for m in moments)
        journey = [s for _at, s in moments if s in JOURNEY]
        assert case.reached == max(JOURNEY.index(s) for s in journey)
    for stay in Stay.objects.all():
        assert stay.check_out is None or stay.check_out >= stay.check_in


def test_houses_are_not_overfull(demo):
    for house in SafeHouse.objects.all():
        assert Stay.objects.filter(house=house, check_out__isnull=True).count() <= house.capacity


def test_demo_people_decrypt_and_codes_continue(demo, cast, make_case):
    person = Person.objects.select_related("data_key").filter(organisation=cast.org).first()
    assert person.identity["name_latin"] and person.phone.startswith("+79")
    last = max(int(c.split("-")[1]) for c in Person.objects.filter(organisation=cast.org).values_list("code", flat=True))
    assert make_case(cast.org).code == f"K-{last + 1:04d}"


def test_the_demo_2017_report_tells_the_story(demo, cast):
    import random
    from datetime import date

    from corridor.funds.demo import scenario_2017
    from corridor.reports.transparency import build

    # The funds part of `corridor demo` (the 2017 books beside the 2017 cohort).
    scenario_2017(cast.org, actor=cast.finance, approver=cast.finance2, rng=random.Random(3), cases=[])
    report = build(cast.org, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=date(2018, 6, 1))
    labels = {row["key"]: row["label"]["en"] for row in report["programme"]["period"]}
    assert labels == {"contacted": "more than 80", "assisted": "more than 60", "left_region": "more than 40",
                      "left_country": "fewer than 10", "asylum": "fewer than 10"}
    # Beside the people: the named organisations that paid, spending by category, and
    # a campaign that uses the organisation's name and is not its own.
    assert len(report["donors"]["organisations"]) >= 3
    assert len(report["spending"]["by_category"]) >= 4 and int(report["spending"]["total"]) > 0
    assert report["disowned_campaigns"] and report["disowned_campaigns"][0]["name"]
    # Every 2017 story has ended: nothing from then sits open on today's board.
    assert not Case.objects.filter(opened__year=2017, closed__isnull=True).exists()


def test_demo_rows_inserted_without_the_orm_compiler_read_back_as_bulk_create_would_store_them(cast):
    """`insert_rows` (the demo's fast insert) against `bulk_create` on twin rows:
    every column equal, ciphertext aside, and the ciphertext opens to the same
    values (sealed by the field with the row's own associated data)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection

    from corridor.crypto import keys
    from corridor.crypto.keys import new_data_keys
    from corridor.crypto.models import DataKey
    from corridor.web.demo import insert_rows

    dks = new_data_keys(scope=DataKey.Scope.PERSON, organisation=cast.org, count=2)
    now = timezone.now()
    twins = []
    for n, dk in enumerate(dks):
        person = Person(organisation=cast.org, code=f"K-9{n}00", data_key=dk, risk=3, created=now, wanted=True)
        person.identity = {"name_latin": "Ivan Ivanov", "languages": ["ru", "ce"]}
        person.phone = "+79001234567"
        person.notes = "заметка"
        case = Case(organisation=cast.org, code=person.code, person=person, stage=Stage.SHELTERED, worker=cast.alice,
                    opened=now - timedelta(days=3), stage_since=now, reached=3, checkin_every_hours=12)
        case.summary = "кратко"
        case.travel_plan = ""
        service = Service(case=case, kind="legal", started=now.date(), cost=Decimal("1500.50"), currency="RUB",
                          outcome="ongoing", created=now)
        service.provider = "Юрист"
        service.details = ""
        twins.append((person, case, service))
    keys.preload(dks)
    (p1, c1, s1), (p2, c2, s2) = twins
    Person.objects.bulk_create([p1])
    Case.objects.bulk_create([c1])
    Service.objects.bulk_create([s1])
    insert_rows(Person, [p2])
    insert_rows(Case, [c2])
    insert_rows(Service, [s2])
    assert not p2._state.adding

    def raw(model, pk):
        fields = model._meta.local_concrete_fields
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(f.column for f in fields)} FROM {model._meta.db_table} WHERE id = %s",
                           [pk if connection.features.has_native_uuid_field else pk.hex])
            return dict(zip([f.name for f in fields], cursor.fetchone(), strict=True))

    for model, first, second, differ in ((Person, p1, p2, {"id", "code", "data_key"}),
                                         (Case, c1, c2, {"id", "code", "person"}),
                                         (Service, s1, s2, {"id", "case"})):
        a, b = raw(model, first.pk), raw(model, second.pk)
        encrypted = {f.name for f in model._meta.local_concrete_fields if type(f).__name__ == "EncryptedField"}
        assert encrypted
        for name in a:
            if name in encrypted:
                assert (a[name] is None) == (b[name] is None)
                assert a[name] is None or bytes(a[name]) != bytes(b[name])  # fresh nonce and key
            elif name not in differ:
                assert a[name] == b[name], name
        reread = model.objects.get(pk=second.pk)
        for name in encrypted:
            assert getattr(reread, name) == getattr(model.objects.get(pk=first.pk), name), name
    assert Person.objects.get(pk=p2.pk).identity["languages"] == ["ru", "ce"]
    assert Service.objects.get(pk=s2.pk).cost == Decimal("1500.50")
