"""The public list of campaigns that use the organisations' names, so donors can
check a campaign before they give. No sign-in, no cookies, no JavaScript."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from corridor.funds.models import Campaign

ORDER = [Campaign.Status.OFFICIAL, Campaign.Status.PARTNER, Campaign.Status.UNVERIFIED, Campaign.Status.DISOWNED]


@login_not_required
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    qs = Campaign.objects.filter(listed=True).select_related("organisation")
    if query:
        from django.db.models import Q

        qs = qs.filter(Q(name__icontains=query) | Q(url__icontains=query) | Q(run_by__icontains=query))
    rows = sorted(qs, key=lambda c: (c.organisation.name, ORDER.index(c.status), c.name.casefold()))
    groups = [(org, list(items)) for org, items in groupby(rows, key=lambda c: c.organisation)]
    return render(request, "funds/public/campaigns.html", {"groups": groups, "query": query})
