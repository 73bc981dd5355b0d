"""Panels the cases app adds to the staff dashboard (see `apps.CasesConfig`).

Each function returns the panel's context, or None to hide it for this user.
"""

from __future__ import annotations

from corridor.accounts.permissions import Perm
from corridor.cases.selectors.dashboard import (
    BoardFilters,
    attention,
    checkins_due,
    open_alerts,
    pipeline_from_totals,
)


def my_work(request) -> dict | None:
    """Alerts and check-ins due, for whoever holds cases."""
    user = request.user
    alerts, count = open_alerts(user, limit=8)
    return {"alerts": alerts, "alert_count": count, "due": checkins_due(user, limit=8),
            "coordinator": user.can(Perm.CASE_VIEW_ALL)}


def pipeline_panel(request) -> dict | None:
    user = request.user
    if not user.can(Perm.CASE_VIEW_ALL):
        return None
    pipe = pipeline_from_totals(user, BoardFilters(), ages=False)
    return {"funnel": pipe["funnel"], "total": pipe["total"], "attention": attention(user)}


def open_case(request) -> dict | None:
    """Roles that hold no cases (legal) open one by code, with a reason."""
    if request.user.can(Perm.CASE_VIEW_ASSIGNED):
        return None
    return {}


def locks_panel(request) -> dict | None:
    """Coordinators and administrators: cases a duress lock still holds."""
    from django.db.models import Sum

    from corridor.accounts.duress import is_decoy
    from corridor.cases.models import CaseLock

    if is_decoy(request):
        return None
    cases = (CaseLock.objects.filter(organisation_id=request.user.organisation_id)
             .exclude(status=CaseLock.Status.UNLOCKED).aggregate(n=Sum("cases"))["n"])
    return {"cases": cases} if cases else None
