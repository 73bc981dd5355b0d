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


def _vevents(response):
    assert response.status_code == 200, response.content
    cal = vobject.readOne(response.content.decode())
    return list(cal.vevent_list) if hasattr(cal, "vevent_list") else []


def test_every_scheduled_check_in_of_the_window_is_in_the_feed(cast, cases, token_for, client):
    from corridor.api.endpoints.calendar import CHECKIN_DAYS

    checkin_schedule(actor=cast.alice, case=cases.alice, every_hours=6)
    first = cases.alice.next_checkin_due
    (event,) = _vevents(client.get(f"/api/v1/calendar.ics?token={token_for(cast.alice)}&lang=en"))
    occurrences = list(event.getrruleset())
    assert occurrences[0] == first.replace(microsecond=0)
    assert all(b - a == timedelta(hours=6) for a, b in zip(occurrences, occurrences[1:], strict=False))
    # From the next one due to the end of the window, every one of them.
    assert len(occurrences) == CHECKIN_DAYS * 4
    assert occurrences[-1] <= timezone.now() + timedelta(days=CHECKIN_DAYS)
    assert str(event.summary.value) == f"Check-in due: {cases.alice.code}"


def test_a_closed_case_or_one_without_a_schedule_has_no_check_ins(cast, cases, token_for, client):
    from corridor.cases.models import Case

    checkin_schedule(actor=cast.alice, case=cases.alice, every_hours=24)
    Case.objects.filter(pk=cases.alice.pk).update(closed=timezone.now())
    assert _vevents(client.get(f"/api/v1/calendar.ics?token={token_for(cast.alice)}")) == []


def test_documents_that_run_out_appear_by_code_and_kind_not_number(cast, cases, token_for, client):
    from corridor.cases.services import document_add

    soon = timezone.localdate() + timedelta(days=40)
    document_add(actor=cast.alice, person=cases.alice.person, kind="international_passport", status="have",
                 number="751234567", expires=soon)
    document_add(actor=cast.alice, person=cases.alice.person, kind="internal_passport", status="seized",
                 expires=soon)
    document_add(actor=cast.bob, person=cases.bob.person, kind="other", status="have", expires=soon)
    response = client.get(f"/api/v1/calendar.ics?token={token_for(cast.alice)}&lang=en")
    events = _vevents(response)
    assert [str(e.summary.value) for e in events] == [f"Document expires: {cases.alice.code} (International passport)"]
    assert events[0].dtstart.value == soon
    body = response.content.decode()
    assert "751234567" not in body and "Алиса" not in body and cases.bob.code not in body


def test_a_filing_s_next_deadline_is_in_the_feed(cast, world, token_for, client):
    from corridor.evidence.services import filing_create

    soon = timezone.localdate() + timedelta(days=10)
    filing = filing_create(actor=cast.legal, body="un", title="Communication for Test One",
                           next_deadline=soon, people=[world.k1])
    events = _vevents(client.get(f"/api/v1/calendar.ics?token={token_for(cast.legal)}&lang=en"))
    titles = [str(e.summary.value) for e in events]
    assert any(t.startswith(f"Filing deadline: {filing.code}") for t in titles), titles
    assert "Test One" not in str(titles)
