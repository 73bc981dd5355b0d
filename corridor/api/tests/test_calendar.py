"""The calendar feed: the owner's deadlines and check-ins, pseudonyms only, behind a
token (a read-only one when it rides in the URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject
from django.utils import timezone

from corridor.cases.services import checkin_schedule
from corridor.evidence.services import filing_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated(cast, cases, world):
    today = timezone.localdate()
    filing = filing_create(actor=cast.legal, body="echr", title="Application of Test One against Russia",
                           final_decision_on=today - timedelta(days=30), people=[world.k1])
    checkin_schedule(actor=cast.alice, case=cases.alice, every_hours=24)
    checkin_schedule(actor=cast.bob, case=cases.bob, every_hours=24)
    checkin_schedule(actor=cast.charlie, case=cases.charlie, every_hours=24)
    return filing


def _events(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    cal = vobject.readOne(response.content.decode())
    return [str(e.summary.value) for e in cal.vevent_list] if hasattr(cal, "vevent_list") else []


def test_a_legal_officer_gets_deadlines_by_code_without_titles_or_names(cast, dated, token_for, client):
    secret = token_for(cast.legal)
    titles = _events(client.get("/api/v1/calendar.ics?lang=en", headers={"Authorization": f"Bearer {secret}"}))
    assert titles == [f"ECHR time limit: {dated.code}"]
    body = client.get(f"/api/v1/calendar.ics?token={secret}").content.decode()
    assert "Test One" not in body and "Application" not in body and dated.code in body


def test_a_case_worker_gets_check_ins_of_her_cases_only(cast, cases, dated, token_for, client):
    secret = token_for(cast.alice)
    titles = _events(client.get(f"/api/v1/calendar.ics?token={secret}&lang=en"))
    assert titles == [f"Check-in due: {cases.alice.code}"]
    coordinator = _events(client.get(f"/api/v1/calendar.ics?token={token_for(cast.coordinator)}&lang=en"))
    assert sorted(coordinator) == sorted([f"Check-in due: {cases.alice.code}", f"Check-in due: {cases.bob.code}"])
    charlie = _events(client.get(f"/api/v1/calendar.ics?token={token_for(cast.charlie)}&lang=en"))
    assert charlie == [f"Check-in due: {cases.charlie.code}"]
    for text in ("Алиса", "Боб", "Чарли"):
        assert text not in str(coordinator) + str(charlie)


def test_a_write_token_in_the_url_or_a_wrong_one_is_refused(cast, dated, token_for, client):
    write = token_for(cast.alice, write=True)
    assert client.get(f"/api/v1/calendar.ics?token={write}").status_code == 401
    assert client.get("/api/v1/calendar.ics", headers={"Authorization": f"Bearer {write}"}).status_code == 200
    assert client.get("/api/v1/calendar.ics?token=crd_" + "x" * 43).status_code == 401
    assert client.get("/api/v1/calendar.ics").status_code == 401
    # Roles with nothing dated get a 404, not an empty calendar that confirms the account.
    assert client.get(f"/api/v1/calendar.ics?token={token_for(cast.finance)}").status_code == 404


def test_a_query_token_opens_only_the_feed(cast, cases, token_for, client):
    secret = token_for(cast.alice)
    assert client.get(f"/api/v1/cases?token={secret}").status_code == 401
    assert client.get(f"/api/v1/cases/{cases.alice.code}?token={secret}").status_code == 401
