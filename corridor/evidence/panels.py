"""Dashboard panels: deadlines for legal officers, exports waiting for approval."""

from __future__ import annotations

from django.utils import timezone

from corridor.evidence import selectors
from corridor.evidence.models import BundleStatus


def deadlines(request) -> dict:
    rows = selectors.deadlines_for(request.user, timezone.localdate(), horizon_days=60)
    return {"rows": rows[:8], "more": max(0, len(rows) - 8)}


def exports(request) -> dict | None:
    pending = selectors.bundles_for(request.user).filter(status=BundleStatus.PENDING).exclude(
        requested_by=request.user
    )
    return {"pending": list(pending[:8]), "count": pending.count()}
