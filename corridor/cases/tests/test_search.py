"""Search by code, stage, worker, country; exact phone and passport by blind index."""

from __future__ import annotations

import pytest

from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import Stage

pytestmark = pytest.mark.django_db


def _codes(response):
    return [row["code"] for row in response.context["rows"]]


@pytest.fixture
def several(cast, make_case):
    a = make_case(cast.org, worker=cast.alice, phone="+7 928 123-45-67", stage=Stage.SHELTERED)
    b = make_case(cast.org, worker=cast.bob, phone="+7 928 765-43-21", stage=Stage.VETTING)
    c = make_case(cast.org, worker=cast.alice, stage=Stage.VISA_ASYLUM)
    services.document_add(actor="system:test", person=c.person, kind="international_passport", status="issued",
                          number="75 1234567")
    services.identifier_add(actor="system:test", person=b.person, kind="handle", value="@Secret_Friend")
    return a, b, c


def test_a_phone_written_differently_is_found(cast, staff_client, several):
    a = several[0]
    r = staff_client(cast.coordinator).get("/staff/cases/", {"q": "8 (928) 123 45 67"})
    assert _codes(r) == [a.code]
    entry = AuditEntry.objects.filter(code=CaseEvent.CASE_SEARCHED_IDENTIFIER).last()
    assert "928" not in str(entry.data) and "phone" in entry.data["kinds"]


def test_a_passport_number_is_found(cast, staff_client, several):
    r = staff_client(cast.coordinator).get("/staff/cases/", {"q": "75-1234567"})
    assert _codes(r) == [several[2].code]


def test_a_handle_is_found(cast, staff_client, several):
    r = staff_client(cast.coordinator).get("/staff/cases/", {"q": "t.me/secret_friend"})
    assert _codes(r) == [several[1].code]


def test_a_case_worker_cannot_confirm_numbers_of_other_cases(cast, staff_client, several):
    assert _codes(staff_client(cast.alice).get("/staff/cases/", {"q": "+79287654321"})) == []
    assert _codes(staff_client(cast.bob).get("/staff/cases/", {"q": "+79287654321"})) == [several[1].code]
    assert _codes(staff_client(cast.charlie).get("/staff/cases/", {"q": "+79281234567"})) == []


def test_names_cannot_be_searched(cast, staff_client, several):
    r = staff_client(cast.coordinator).get("/staff/cases/", {"q": "Иван Петров"})
    assert _codes(r) == [] and "Names are encrypted" in r.content.decode()


def test_search_by_code_stage_worker_and_country(cast, staff_client, several):
    a, b, c = several
    coordinator = staff_client(cast.coordinator)
    assert _codes(coordinator.get("/staff/cases/", {"q": a.code.lower()})) == [a.code]
    assert _codes(coordinator.get("/staff/cases/", {"stage": Stage.VETTING})) == [b.code]
    assert set(_codes(coordinator.get("/staff/cases/", {"worker": str(cast.alice.pk)}))) == {a.code, c.code}
    services.application_add(actor="system:test", case=c, country=__import__(
        "corridor.cases.models", fromlist=["Country"]).Country.objects.get(pk="CA"), programme="asylum",
        submitted=c.opened.date())
    assert _codes(coordinator.get("/staff/cases/", {"country": "CA"})) == [c.code]
    assert set(_codes(coordinator.get("/staff/cases/", {"stage": "open"}))) == {a.code, b.code, c.code}


def test_a_case_worker_lists_only_assigned_cases(cast, staff_client, several):
    assert set(_codes(staff_client(cast.alice).get("/staff/cases/"))) == {several[0].code, several[2].code}
    # The worker filter is ignored for case workers: it cannot widen the list.
    assert set(_codes(staff_client(cast.alice).get("/staff/cases/", {"worker": str(cast.bob.pk)}))) == {
        several[0].code, several[2].code}


def test_htmx_gets_only_the_results(cast, staff_client, several):
    r = staff_client(cast.coordinator).get("/staff/cases/", {"stage": "open"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<table" in html and "<header" not in html
