"""Programme statistics count every person once, at the right stage, and the
published funnel never widens further down (after rounding and suppression)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.reports.disclosure import Policy, publish_count
from corridor.reports.tests.conftest import make_cases
from corridor.reports.transparency import INDICATORS, JOURNEY, programme_counts

pytestmark = pytest.mark.django_db

YEAR = (date(2017, 1, 1), date(2018, 1, 1))


def _contact(org, *, status="new", day=10, month=5, year=2017):
    from corridor.intake.models import Channel, Contact

    return Contact.objects.create(organisation=org, channel=Channel.PHONE, status=status,
                                  received=datetime(year, month, day, tzinfo=UTC))


def test_contacts_that_never_became_cases_are_counted_but_not_spam_or_provocations(org):
    from corridor.intake.models import ContactLink, Status

    make_cases(org, [("contacted", 3), ("accepted", 2)])
    for _ in range(5):
        _contact(org)
    _contact(org, status=Status.DECLINED)
    _contact(org, status=Status.SPAM)
    _contact(org, status=Status.PROVOCATION)
    _contact(org, year=2016)  # outside the period
    # The same person wrote twice: once.
    first, again = _contact(org), _contact(org, day=11)
    ContactLink.objects.create(a=first, b=again, relation=ContactLink.Relation.SAME_PERSON)
    # A contact that is the same person as one who became a case: the case counts.
    became = _contact(org, status=Status.ACCEPTED)
    from corridor.cases.models import Case

    became.case = Case.objects.first()
    became.save()
    also = _contact(org)
    ContactLink.objects.create(a=became, b=also, relation=ContactLink.Relation.SAME_PERSON)
    counts = programme_counts(org, since=YEAR[0], until=YEAR[1])
    assert counts["contacted"] == 3 + 5 + 1 + 1
    assert counts["assisted"] == 2


def test_left_the_region_means_arrived_not_on_the_road(org):
    make_cases(org, [("contacted", 6), ("accepted", 5), ("leaving_region", 4), ("sheltered", 2), ("departed", 1)])
    counts = programme_counts(org, since=YEAR[0], until=YEAR[1])
    assert counts == {"contacted": 6, "assisted": 5, "left_region": 2, "left_country": 1, "asylum": 0}


def test_a_person_who_reached_a_stage_before_the_period_still_counts_among_those_we_worked_with(org):
    from corridor.cases.models import StageChange

    (case,) = make_cases(org, [("contacted", 1), ("accepted", 1), ("sheltered", 1)], year=2016)
    # Sheltered in 2016, left the country in 2017: in 2017 they are one of the people we
    # worked with, who had left the region and then the country.
    StageChange.objects.create(case=case, from_stage="sheltered", to_stage="departed",
                               at=datetime(2017, 4, 1, tzinfo=UTC))
    counts = programme_counts(org, since=YEAR[0], until=YEAR[1])
    assert counts == {"contacted": 1, "assisted": 1, "left_region": 1, "left_country": 1, "asylum": 0}


def _published_order(cells) -> list[int]:
    # A suppressed cell ("fewer than 10") ranks below every published one.
    return [-1 if c.value is None else c.value for c in cells]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(journeys=st.lists(st.tuples(st.integers(0, len(JOURNEY) - 1), st.integers(0, 23), st.integers(0, 8)),
                         min_size=0, max_size=40),
       contacts=st.lists(st.integers(0, 23), max_size=15),
       first=st.integers(0, 20), length=st.integers(1, 12),
       policy=st.sampled_from([Policy(), Policy(threshold=3, rounding=2), Policy(threshold=10, rounding=10)]))
def test_the_published_funnel_is_monotone(org, journeys, contacts, first, length, policy):
    """Cases start in any month of 2016–2017 and take up to eight months per step:
    whatever period is asked for, no indicator is published larger than the one above."""
    from corridor.cases.models import Case, Person, StageChange
    from corridor.crypto.keys import new_data_keys
    from corridor.crypto.models import DataKey
    from corridor.intake.models import Contact

    StageChange.objects.all().delete()
    Case.objects.all().delete()
    Person.objects.all().delete()
    Contact.objects.all().delete()
    start = datetime(2016, 1, 1, tzinfo=UTC)
    keys = new_data_keys(scope=DataKey.Scope.PERSON, organisation=org, count=len(journeys)) if journeys else []
    for i, (reach, month, pace) in enumerate(journeys):
        person = Person.objects.create(organisation=org, code=f"K-{i:04}", data_key=keys[i])
        case = Case.objects.create(organisation=org, code=person.code, person=person, stage=JOURNEY[reach],
                                   opened=start + timedelta(days=30 * month))
        at, previous = case.opened, ""
        for stage in JOURNEY[: reach + 1]:
            change = StageChange(case=case, from_stage=previous, to_stage=stage, at=at)
            change.reason = ""
            change.save()
            previous, at = stage, at + timedelta(days=30 * pace)
    for month in contacts:
        _contact(org, month=month % 12 + 1, year=2016 + month // 12)
    since = date(2016 + first // 12, first % 12 + 1, 1)
    end_month = first + length
    until = date(2016 + end_month // 12, end_month % 12 + 1, 1)
    counts = programme_counts(org, since=since, until=until)
    raw = [counts[k] for k, _ in INDICATORS]
    assert raw == sorted(raw, reverse=True)
    published = _published_order([publish_count(n, policy, floor=True) for n in raw])
    assert published == sorted(published, reverse=True)
