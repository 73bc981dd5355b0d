"""Fixtures for the cases tests: people and cases built through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.cases import services
from corridor.cases.models import Country, Document, Programme, Stage


@pytest.fixture
def make_case():
    """`make_case(org, worker=None, name=..., phone=..., stage=...)` → a Case opened
    days ago, moved along the journey to `stage` with the real services."""

    def make(org, *, worker=None, name="Иван Петров", phone="", stage=Stage.CONTACTED, actor="system:test",
             household=None, summary="what happened", days_ago: int = 60):
        person = services.person_create(actor=actor, organisation=org, household=household,
                                        identity={"name_cyrillic": name, "name_latin": "Ivan Petrov"},
                                        phone=phone, notes="secret-notes")
        case = services.case_open(actor=actor, person=person, summary=summary, worker=worker,
                                  opened=timezone.now() - timedelta(days=days_ago))
        advance(case, stage, actor=actor)
        return case

    return make


def advance(case, stage, *, actor="system:test"):
    """Walk a case forward along the journey, meeting each stage's requirements."""
    from corridor.cases.models import JOURNEY

    if stage == case.stage:
        return case
    path = JOURNEY[JOURNEY.index(case.stage) + 1: JOURNEY.index(stage) + 1]
    at = case.stage_since
    for step in path:
        at = at + timedelta(days=1)
        if step == Stage.LEAVING_REGION:
            services.checklist_set(actor=actor, case=case, key="route_agreed", done=True)
        if step == Stage.DEPARTED:
            _ready_to_depart(case, actor)
        if step == Stage.RESETTLED:
            app = case.applications.filter(programme=Programme.HUMANITARIAN_VISA).first()
            asylum = services.application_add(actor=actor, case=case, country=app.country, programme=Programme.ASYLUM,
                                              submitted=timezone.localdate() - timedelta(days=5))
            services.application_decide(actor=actor, application=asylum, decision="granted",
                                        decided=timezone.localdate())
        services.case_transition(actor=actor, case=case, to_stage=step, reason=f"moving to {step}",
                                 at=min(at, timezone.now()))
    return case


def _ready_to_depart(case, actor):
    services.document_add(actor=actor, person=case.person, kind=Document.Kind.INTERNATIONAL_PASSPORT,
                          status=Document.Status.ISSUED, number="75 1234567",
                          issued=timezone.localdate() - timedelta(days=30),
                          expires=timezone.localdate() + timedelta(days=3650))
    app = services.application_add(actor=actor, case=case, country=Country.objects.get(pk="DE"),
                                   programme=Programme.HUMANITARIAN_VISA,
                                   submitted=timezone.localdate() - timedelta(days=20))
    services.application_decide(actor=actor, application=app, decision="granted",
                                decided=timezone.localdate() - timedelta(days=2))


@pytest.fixture
def alice_case(cast, make_case):
    return make_case(cast.org, worker=cast.alice, phone="+7 928 123-45-67", stage=Stage.SHELTERED)


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
