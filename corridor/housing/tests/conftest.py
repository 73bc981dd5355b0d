from __future__ import annotations

import pytest

from corridor.housing import services


@pytest.fixture
def make_case():
    """`make_case(org, worker=..., stage=...)` → a case walked to `stage` by the real services."""
    from datetime import timedelta

    from django.utils import timezone

    from corridor.cases import services as cs
    from corridor.cases.models import Stage
    from corridor.cases.tests.conftest import advance as adv

    def make(org, *, worker=None, name="Иван Петров", stage=Stage.SHELTERED):
        person = cs.person_create(actor="system:test", organisation=org, identity={"name_cyrillic": name})
        case = cs.case_open(actor="system:test", person=person, worker=worker,
                            opened=timezone.now() - timedelta(days=60))
        adv(case, stage)
        return case

    return make


@pytest.fixture
def house(cast):
    return services.house_create(actor=cast.coordinator, organisation=cast.org, label="Берёза", capacity=2,
                                 address={"address": "ул. Секретная, 7, кв. 3", "city": "Ереван",
                                          "contact": "Ануш, +37400000000"})


@pytest.fixture
def other_house(cast):
    return services.house_create(actor=cast.coordinator, organisation=cast.org, label="Маяк", capacity=4,
                                 address={"address": "пр. Другой, 1", "city": "Тбилиси"})


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; Russian is checked on purpose in test_translations."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def staff_client(staff_client):
    """The shared signed-in client, in English unless `lang` says otherwise."""

    def make(user, lang: str = "en"):
        client = staff_client(user)
        session = client.session
        session["django_language"] = lang
        session.save()
        return client

    return make
