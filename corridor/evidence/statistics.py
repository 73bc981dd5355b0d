"""Counts of violation events for the public report, under disclosure control.

Only acts whose testimonies consent to anonymised public use count (see
`consent`); only events dated before the publication cut-off count (whole months,
`delay_days` ago); and every figure goes through `corridor.reports.disclosure`
(small-cell suppression with secondary suppression, rounding).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.utils.translation import gettext as _

from corridor.crypto.keys import preload
from corridor.evidence import selectors
from corridor.evidence.consent import PUBLIC
from corridor.evidence.models import Act, DatePrecision, ViolationEvent
from corridor.reports.disclosure import Policy, publication_cutoff, publish_table, publish_total

DIMENSIONS = ("type", "place", "wave", "month")


def raw_counts(organisation, today: date, policy: Policy) -> tuple[dict[str, Counter], date]:
    """Exact counts per dimension (never shown: only `public_tables` leaves here)."""
    cutoff = publication_cutoff(today, policy)
    events = list(
        ViolationEvent.objects.filter(organisation=organisation, starts__isnull=False, starts__lt=cutoff)
        .select_related("wave", "place__data_key")
    )
    ids = [e.id for e in events]
    allowed = selectors.permitted_acts(ids, PUBLIC)
    types_by_event: dict = {}
    for act in Act.objects.filter(id__in=allowed).select_related("act_type"):
        types_by_event.setdefault(act.event_id, set()).add(act.act_type.label)
    counted = [e for e in events if e.id in types_by_event]
    preload([e.place.data_key for e in counted if e.place])
    counts = {d: Counter() for d in DIMENSIONS}
    for event in counted:
        for label in types_by_event[event.id]:
            counts["type"][label] += 1
        counts["place"][str(event.place.name) if event.place else _("place not recorded")] += 1
        counts["wave"][str(event.wave) if event.wave else _("outside the waves")] += 1
        if event.starts_precision in (DatePrecision.DAY, DatePrecision.MONTH):
            counts["month"][event.starts.strftime("%Y-%m")] += 1
    counts["total"] = Counter({"all": len(counted)})
    return counts, cutoff


def public_tables(organisation, today: date, policy: Policy | None = None) -> dict:
    policy = policy or Policy()
    counts, cutoff = raw_counts(organisation, today, policy)
    tables = {}
    for dimension in DIMENSIONS:
        ordered = dict(sorted(counts[dimension].items()))
        tables[dimension] = {
            "cells": publish_table(ordered, policy) if ordered else {},
            "total": publish_total(ordered, policy) if ordered else None,
        }
    return {"tables": tables, "cutoff": cutoff, "policy": policy}
