"""The country board: per country, applications, grants, refusals, average wait
and the last contact with its embassies. Counts only, from the running totals of
`corridor.cases.summaries`; nothing is decrypted."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Max

from corridor.cases.models import Application, Country, Embassy, Programme

Decision = Application.Decision


def country_board(user, *, programme: str = "") -> dict:
    from corridor.cases import summaries

    stats: dict[str, dict] = defaultdict(lambda: {"total": 0, "pending": 0, "granted": 0, "refused": 0,
                                                   "withdrawn": 0, "wait_sum": 0, "wait_n": 0})
    visa_granted: set[str] = set()
    # The running totals per country, programme and decision: the board reads a few
    # hundred rows however many applications there are.
    for country, prog, decision, n, wait_sum, wait_n in summaries.applications(
            user.organisation_id, programme=programme if programme in Programme.values else ""):
        row = stats[country]
        row["total"] += n
        row[decision] += n
        row["wait_sum"] += wait_sum
        row["wait_n"] += wait_n
        if decision == Decision.GRANTED and prog == Programme.HUMANITARIAN_VISA and n > 0:
            visa_granted.add(country)
    contacts = dict(Embassy.objects.filter(organisation_id=user.organisation_id).values("country_id")
                    .annotate(last=Max("last_contact")).values_list("country_id", "last"))
    countries = Country.objects.filter(pk__in=set(stats) | set(contacts)).by_name()
    rows = []
    for country in countries:
        row = stats.get(country.pk) or {"total": 0, "pending": 0, "granted": 0, "refused": 0, "withdrawn": 0,
                                        "wait_n": 0, "wait_sum": 0}
        decided = row["granted"] + row["refused"]
        rows.append({
            "country": country, **row,
            "rate": round(100 * row["granted"] / decided) if decided else None,
            "wait": round(row["wait_sum"] / row["wait_n"]) if row["wait_n"] else None,
            "last_contact": contacts.get(country.pk),
        })
    rows.sort(key=lambda r: (-r["granted"], -r["total"], r["country"].name))
    eu_total = Country.objects.filter(eu=True).count()
    eu_granting = Country.objects.filter(eu=True, pk__in=visa_granted).count()
    return {"rows": rows, "eu_total": eu_total, "eu_granting": eu_granting,
            "max_total": max((r["total"] for r in rows), default=0)}
