"""Report fixtures: the 2017 books and a 2017 programme of synthetic cases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

# The funds app's fixtures (rates, a donor, an expense...) serve these tests too.
from corridor.funds.tests.conftest import donation, donor, expense, partner_finance, rates  # noqa: F401

# How many synthetic people reached each stage in 2017 (cumulative, like the
# organisation's own statements: "80+ contacted, 40+ left the region, 9 left Russia").
FUNNEL_2017 = [("contacted", 87), ("accepted", 61), ("sheltered", 46), ("departed", 12), ("resettled", 9)]


@pytest.fixture
def books_2017(org, cast):
    from corridor.funds.demo import scenario_2017

    scenario_2017(org, actor=cast.finance, approver=cast.finance2, rng=random.Random(2017))
    return org


def make_cases(org, funnel, *, year: int = 2017, prefix: str = "K"):
    """Cases whose stage changes happened during `year`, reaching the funnel's stages."""
    from corridor.cases.models import JOURNEY, Case, Person, StageChange
    from corridor.crypto.keys import new_data_keys
    from corridor.crypto.models import DataKey

    total = funnel[0][1]
    reach = {}
    for stage, n in funnel:
        for i in range(n):
            reach[i] = stage
    keys = new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=total)
    people, cases, changes = [], [], []
    rng = random.Random(year)
    for i in range(total):
        person = Person(organisation=org, code=f"{prefix}-{9000 + i}", data_key=keys[i])
        person.identity = {"name_cyrillic": f"Синтетический {i}"}
        people.append(person)
        opened = datetime(year, 3, 1, tzinfo=UTC) + timedelta(days=rng.randrange(200))
        case = Case(organisation=org, code=person.code, person=person, stage=reach[i], opened=opened)
        cases.append(case)
        at, previous = opened, ""
        for stage in JOURNEY[: JOURNEY.index(reach[i]) + 1]:
            change = StageChange(case=case, from_stage=previous, to_stage=stage, at=at)
            change.reason = ""
            changes.append(change)
            previous, at = stage, at + timedelta(days=rng.randint(0, 6))
    Person.objects.bulk_create(people)
    Case.objects.bulk_create(cases)
    StageChange.objects.bulk_create(changes)
    return cases


@pytest.fixture
def programme_2017(org):
    return make_cases(org, FUNNEL_2017)


@pytest.fixture
def report_day():
    """A day from which all of 2017 is publishable under the default policy."""
    return date(2018, 6, 1)
