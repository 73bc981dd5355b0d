"""A finance officer reloading the expenses page (6,009 unwraps of 94 keys sealed
the whole installation before) costs the unwrap ceiling nothing."""

from __future__ import annotations

from datetime import date

from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.keyd.policy import UnwrapPolicy


def test_reloading_expenses_does_not_trip_the_ceiling(keyd_agent, cast, org, rates, staff_client):
    from corridor.funds.services import expense_record

    for i in range(30):
        expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 5), amount=str(100 + i),
                       currency="RUB", category="housing", payee=f"Landlord {i}", description="rent")
    saved = keyd_agent.agent.policy
    keyd_agent.agent.policy = policy = UnwrapPolicy(40)  # finance: warn above 20, suspend above 40
    try:
        c = staff_client(cast.finance)
        for _ in range(200):
            r = c.get("/staff/funds/expenses/")
            assert r.status_code == 200
        assert "Landlord 29" in r.content.decode()
        assert policy.check(cast.finance.keyd_principal, []).action == "ok"
        assert not AuditEntry.objects.filter(code=CoreEvent.UNWRAP_CEILING_SUSPENDED).exists()
        assert not keyd_agent.agent.sealed
    finally:
        keyd_agent.agent.policy = saved
