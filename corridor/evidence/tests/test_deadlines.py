"""The ECHR time limit (four months since 1 February 2022) and the deadline views."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from corridor.evidence import selectors, services
from corridor.evidence.deadlines import add_months, echr_months, echr_time_limit, urgency


@pytest.mark.parametrize(("decision", "limit"), [
    (date(2023, 3, 1), date(2023, 7, 1)),
    (date(2023, 5, 3), date(2023, 9, 3)),
    (date(2023, 8, 31), date(2023, 12, 31)),
    (date(2023, 10, 31), date(2024, 2, 29)),  # no 31 February: the last day of the month, leap year
    (date(2022, 10, 31), date(2023, 2, 28)),
    (date(2023, 10, 30), date(2024, 2, 29)),
    (date(2023, 6, 30), date(2023, 10, 30)),
    (date(2023, 9, 15), date(2024, 1, 15)),  # across the year end
    (date(2024, 2, 29), date(2024, 6, 29)),
    (date(2022, 2, 1), date(2022, 6, 1)),  # the first day of the four-month rule
])
def test_four_months_from_the_final_decision(decision, limit):
    assert echr_months(decision) == 4
    assert echr_time_limit(decision) == limit


@pytest.mark.parametrize(("decision", "limit"), [
    (date(2022, 1, 31), date(2022, 7, 31)),  # before Protocol 15's rule applies: six months
    (date(2021, 8, 31), date(2022, 2, 28)),
    (date(2019, 1, 15), date(2019, 7, 15)),
])
def test_six_months_for_decisions_before_1_february_2022(decision, limit):
    assert echr_months(decision) == 6
    assert echr_time_limit(decision) == limit


def test_add_months_clamps_to_month_end():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 12, 15), 2) == date(2024, 2, 15)


@pytest.mark.parametrize(("days", "level"), [(-1, "expired"), (0, "urgent"), (7, "urgent"), (8, "soon"),
                                             (30, "soon"), (31, "ok")])
def test_warnings_before_the_limit(days, level):
    today = date(2024, 5, 1)
    assert urgency(today + timedelta(days=days), today) == level


@pytest.mark.django_db
def test_deadlines_list_echr_limits_until_lodged_and_next_deadlines(cast):
    today = timezone.localdate()
    decision = today - timedelta(days=100)
    echr = services.filing_create(actor=cast.legal, body="echr", title="Application", final_decision_on=decision)
    ic = services.filing_create(actor=cast.legal, body="ic", title="Complaint", next_deadline=today + timedelta(days=3),
                                next_step="appeal the refusal")
    services.filing_create(actor=cast.legal, body="un", title="Closed", status="closed",
                           next_deadline=today + timedelta(days=1))
    rows = selectors.deadlines_for(cast.legal, today)
    assert [(r["filing"].code, r["kind"]) for r in rows] == [(ic.code, "next"), (echr.code, "echr")]
    assert rows[0]["urgency"] == "urgent"
    assert rows[1]["date"] == echr_time_limit(decision)
    services.filing_step_add(actor=cast.legal, filing=echr, on=today, kind="submission", text="lodged")
    echr.refresh_from_db()
    assert echr.lodged_on == today and echr.status == "lodged"
    assert [r["filing"].code for r in selectors.deadlines_for(cast.legal, today)] == [ic.code]


@pytest.mark.django_db
def test_deadline_pages_and_dashboard_warn(cast, staff_client):
    today = timezone.localdate()
    filing = services.filing_create(actor=cast.legal, body="echr", title="Application to Strasbourg",
                                    final_decision_on=add_months(today, -4) + timedelta(days=5))
    client = staff_client(cast.legal)
    page = client.get("/staff/evidence/deadlines/").content.decode()
    assert filing.code in page and "urgency-urgent" in page
    detail = client.get(f"/staff/evidence/filings/{filing.pk}/").content.decode()
    assert "urgency-urgent" in detail
    dashboard = client.get("/staff/").content.decode()
    assert filing.code in dashboard
    assert filing.code not in staff_client(cast.alice).get("/staff/").content.decode()


@pytest.mark.django_db
def test_a_filing_shows_when_it_was_lodged_late(cast, staff_client):
    filing = services.filing_create(actor=cast.legal, body="echr", title="Late", final_decision_on=date(2023, 1, 10),
                                    lodged_on=date(2023, 6, 1))
    page = staff_client(cast.legal).get(f"/staff/evidence/filings/{filing.pk}/").content.decode()
    assert "10.05.2023" in page and "2023-05-10" not in page
    assert 'class="bad"' in page


@pytest.mark.django_db
def test_steps_move_the_next_deadline(cast):
    filing = services.filing_create(actor=cast.legal, body="prosecutor", title="Complaint")
    services.filing_step_add(actor=cast.legal, filing=filing, on=date(2024, 1, 5), kind="response",
                             text="refused to open a case", next_deadline=date(2024, 1, 15), next_step="appeal")
    filing.refresh_from_db()
    assert filing.next_deadline == date(2024, 1, 15) and filing.next_step == "appeal"
    with pytest.raises(services.EvidenceError):
        services.filing_step_add(actor=cast.legal, filing=filing, on=date(2024, 1, 6), kind="bogus")
