from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.evidence.statistics import public_tables
from corridor.evidence.views.common import page
from corridor.web.decorators import require_perm


@require_perm(Perm.STATISTICS)
def aggregate(request: HttpRequest) -> HttpResponse:
    """Publishable counts only: what a public report may print, nothing more."""
    result = public_tables(request.user.organisation, timezone.localdate())
    return page(request, "aggregate.html", result)
