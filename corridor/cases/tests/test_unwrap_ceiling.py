"""Reading is not exfiltration: reloading and paging the case list never trips the
unwrap ceiling; opening far more distinct people than any page needs suspends that
one account (its sessions end, it sees why), and nobody else."""

from __future__ import annotations

import pytest

from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.keyd.policy import UnwrapPolicy


@pytest.fixture
def small_agent(keyd_agent):
    """The shared agent with a small base ceiling (the same keys, so the data opens)."""
    saved = keyd_agent.agent.policy

    def make(limit):
        keyd_agent.agent.policy = UnwrapPolicy(limit)
        return keyd_agent

    yield make
    keyd_agent.agent.policy = saved


@pytest.fixture
def seventy_cases(cast, make_case):
    return [make_case(cast.org, name=f"Человек {i}") for i in range(70)]


def test_reloading_and_paging_the_whole_case_list_does_not_trip_the_ceiling(
        cast, seventy_cases, staff_client, small_agent, caplog):
    kd = small_agent(60)  # coordinator: warn above 60 distinct keys, suspend above 120
    c = staff_client(cast.coordinator)
    for _ in range(200):
        assert c.get("/staff/cases/").status_code == 200
    assert not AuditEntry.objects.filter(code__in=[CoreEvent.UNWRAP_CEILING_WARNED,
                                                   CoreEvent.UNWRAP_CEILING_SUSPENDED]).exists()
    for _ in range(20):  # page through everything, again and again
        r = c.get("/staff/cases/")
        assert r.status_code == 200 and r.context["page"].has_next
        r = c.get(f"/staff/cases/?after={r.context['page'].next_cursor}")  # the Next link
        assert r.status_code == 200 and not r.context["page"].has_next
    assert "Человек 69" in r.content.decode() or "Человек 0" in r.content.decode()
    # 70 distinct people: over the warning mark, so administrators hear of it once
    warned = AuditEntry.objects.filter(code=CoreEvent.UNWRAP_CEILING_WARNED)
    assert warned.count() == 1 and warned.get().object_id == str(cast.coordinator.pk)
    assert [r.getMessage() for r in caplog.records if r.name == "corridor.ceiling"] == [
        f"unwrap ceiling warning: user:{cast.coordinator.pk} is opening unusually many distinct keys"]
    assert not kd.agent.sealed
    cast.coordinator.refresh_from_db()
    assert cast.coordinator.is_active


def test_pulling_many_distinct_people_suspends_only_that_account(
        cast, seventy_cases, staff_client, small_agent):
    kd = small_agent(20)  # coordinator: suspended above 40 distinct keys
    c = staff_client(cast.coordinator)
    r = c.get("/staff/cases/")  # one page of 50 people
    assert r.status_code == 403
    assert "Your account was suspended" in r.content.decode()
    cast.coordinator.refresh_from_db()
    assert not cast.coordinator.is_active
    assert c.get("/staff/cases/").status_code == 302  # signed out
    entry = AuditEntry.objects.get(code=CoreEvent.UNWRAP_CEILING_SUSPENDED)
    assert entry.object_id == str(cast.coordinator.pk)
    assert not kd.agent.sealed
    # a colleague in the same organisation reading a little, and the partner
    # organisation's coordinator, carry on
    assert staff_client(cast.alice).get("/staff/cases/").status_code == 200
    assert staff_client(cast.partner_coordinator).get("/staff/cases/").status_code == 200
