from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.evidence import selectors
from corridor.evidence.models import BundleStatus
from corridor.evidence.views.common import page
from corridor.web.decorators import require_perm


@require_perm(Perm.EVIDENCE_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    counts = {
        "testimonies": selectors.testimonies_for(user).count(),
        "events": selectors.events_for(user).count(),
        "files": selectors.files_for(user).count(),
        "filings": selectors.filings_for(user).count(),
        "pending": selectors.bundles_for(user).filter(status=BundleStatus.PENDING).count(),
    }
    deadlines = selectors.deadlines_for(user, timezone.localdate(), horizon_days=60)[:6]
    return page(request, "index.html", {"counts": counts, "deadlines": deadlines})
