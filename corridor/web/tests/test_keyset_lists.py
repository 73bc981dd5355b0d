"""Keyset pages outside cases: the audit log, evidence testimonies and the funds
rates. Walking the Next links visits every row the reader may see exactly once,
in the list's order; Previous goes back to the same rows; a deep page runs the
same statements as the first (no OFFSET, no COUNT); filters survive the links;
a forged or foreign cursor gives a first page, never another organisation's rows."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="\?([^"]*?)(after|before)=([A-Za-z0-9_-]+)"')


def _links(html: str) -> dict[str, str]:
    return {m.group(2): m.group(3) for m in LINK.finditer(html.replace("&amp;", "&"))}


def _walk(client, url, params, rows_of):
    """Every page through the Next links; returns the pages' rows and each page's SQL."""
    pages, sqls, cursor = [], [], None
    client.get(url, params)  # the session's own first-request work, outside the comparison
    while True:
        query = dict(params, **({"after": cursor} if cursor else {}))
        with CaptureQueriesContext(connection) as queries:
            r = client.get(url, query)
        assert r.status_code == 200
        page = r.context["page"]
        pages.append(rows_of(page))
        sqls.append([q["sql"] for q in queries.captured_queries])
        if not page.has_next:
            return pages, sqls, r
        assert _links(r.content.decode())["after"] == page.next_cursor
        cursor = page.next_cursor


def _check_walk(pages, sqls, expected, size):
    seen = [row for page in pages for row in page]
    assert seen == expected  # every row once, in the list's order
    assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
    first, deep = sqls[0], sqls[-1]
    assert len(first) == len(deep)  # the deep page costs what the first costs
    for sql in first + deep:
        assert " OFFSET " not in sql.upper() and "COUNT(" not in sql.upper(), sql


def test_the_audit_log_pages_by_keyset(cast, staff_client):
    from corridor.audit.events import CoreEvent
    from corridor.audit.models import AuditEntry
    from corridor.audit.services import record

    for n in range(120):
        with transaction.atomic():
            record(CoreEvent.DEMO_LOADED, actor="system:test", organisation=str(cast.org.pk), n=n)
            record(CoreEvent.DEMO_LOADED, actor="system:test", organisation=str(cast.other_org.pk), n=n)
    client = staff_client(cast.auditor)
    mine = list(AuditEntry.objects.exclude(organisation=str(cast.other_org.pk)).order_by("-seq")
                .values_list("seq", flat=True))
    pages, sqls, _last = _walk(client, "/staff/audit/", {}, lambda page: [e.seq for e in page])
    _check_walk(pages, sqls, mine, 50)
    assert len(pages) >= 3

    # Back from the second page: the first page again, with no Previous link.
    r1 = client.get("/staff/audit/")
    r2 = client.get("/staff/audit/", {"after": r1.context["page"].next_cursor})
    back = client.get("/staff/audit/", {"before": r2.context["page"].previous_cursor})
    assert [e.seq for e in back.context["page"]] == [e.seq for e in r1.context["page"]]
    assert not back.context["page"].has_previous and "before" not in _links(back.content.decode())

    # A filter survives the links.
    code = int(CoreEvent.DEMO_LOADED)
    r = client.get("/staff/audit/", {"code": code})
    assert f"code={code}&after=" in r.content.decode().replace("&amp;", "&")

    # Forged cursors: junk, wrong shape, naive time, an invalid number → the first page.
    junk = ["%%%", "bm90IGpzb24", base64.urlsafe_b64encode(b'{"a":1}').decode(),
            base64.urlsafe_b64encode(json.dumps(["x"]).encode()).decode(),
            base64.urlsafe_b64encode(json.dumps([True]).encode()).decode()]
    for token in junk:
        for param in ("after", "before"):
            r = client.get("/staff/audit/", {param: token})
            assert r.status_code == 200
            assert [e.seq for e in r.context["page"]] == mine[:50]

    # A cursor pointing into the other organisation's entries still shows only ours.
    theirs = AuditEntry.objects.filter(organisation=str(cast.other_org.pk)).order_by("-seq")[10]
    token = base64.urlsafe_b64encode(json.dumps([theirs.seq]).encode()).decode().rstrip("=")
    r = client.get("/staff/audit/", {"after": token})
    assert {e.organisation for e in r.context["page"]} <= {str(cast.org.pk), ""}
    assert [e.seq for e in r.context["page"]] == [s for s in mine if s < theirs.seq][:50]


def test_testimonies_page_by_keyset_with_ties_on_the_interview_date(cast, staff_client):
    from corridor.evidence import services
    from corridor.evidence.models import Testimony

    legal = cast.legal
    start = date(2017, 5, 1)
    for n in range(115):  # three interviews a day: the date alone is no total order
        services.testimony_record(actor=legal, source_label=f"witness {n}", language="ru", transcript="…",
                                  interviewer=legal, interviewed_on=start + timedelta(days=n // 3))
    client = staff_client(legal)
    expected = list(Testimony.objects.filter(organisation=cast.org).order_by("-interviewed_on", "-created", "-id")
                    .values_list("pk", flat=True))
    pages, sqls, last = _walk(client, "/staff/evidence/testimonies/", {}, lambda page: [t.pk for t in page])
    _check_walk(pages, sqls, expected, 50)
    back = client.get("/staff/evidence/testimonies/", {"before": last.context["page"].previous_cursor})
    assert [t.pk for t in back.context["page"]] == pages[-2]


def test_rates_page_by_keyset_in_mixed_directions(cast, staff_client):
    from corridor.funds.models import ExchangeRate
    from corridor.funds.services import rate_record

    for n in range(70):  # newest date first, then currency and quote ascending
        for currency in ("EUR", "RUB", "GEL"):
            rate_record(actor=cast.finance, organisation=cast.org, currency=currency, quote="USD",
                        date=date(2016, 1, 1) + timedelta(days=n), rate=Decimal("1.5") + n)
    client = staff_client(cast.finance)
    expected = list(ExchangeRate.objects.filter(organisation=cast.org).order_by("-date", "currency", "quote", "id")
                    .values_list("pk", flat=True))
    pages, sqls, last = _walk(client, "/staff/funds/rates/", {}, lambda page: [r.pk for r in page])
    _check_walk(pages, sqls, expected, 100)
    assert len(pages) == 3


def test_violation_events_page_by_keyset_with_undated_events_last(cast, staff_client):
    """The start date is nullable: undated events come after every dated one, in
    both directions and on both databases, and a cursor on an undated event works."""
    from corridor.evidence import services
    from corridor.evidence.models import ViolationEvent

    legal = cast.legal
    start = date(2018, 3, 1)
    for n in range(110):  # two events a day, and every fifth with no known date
        services.violation_create(actor=legal, title=f"event {n}",
                                  starts=None if n % 5 == 0 else start + timedelta(days=n // 2))
    client = staff_client(legal)
    mine = ViolationEvent.objects.filter(organisation=cast.org)
    dated = list(mine.filter(starts__isnull=False).order_by("-starts", "-created", "-id").values_list("pk", flat=True))
    undated = list(mine.filter(starts__isnull=True).order_by("-created", "-id").values_list("pk", flat=True))
    expected = dated + undated
    assert len(undated) == 22 and len(expected) == 110
    pages, sqls, last = _walk(client, "/staff/evidence/events/", {}, lambda page: [e.pk for e in page])
    _check_walk(pages, sqls, expected, 50)
    assert len(pages) == 3
    # The page's statements do not grow with the rows shown (keys preloaded, sources
    # counted in one query): a full page runs as many as the short last one.
    assert len(sqls[0]) == len(sqls[1]) == len(sqls[2])
    # The second page starts among the dated and ends among the undated events:
    # both kinds of cursor lead back to the same rows.
    assert pages[1][0] in dated and pages[1][-1] in undated
    back = client.get("/staff/evidence/events/", {"before": last.context["page"].previous_cursor})
    assert [e.pk for e in back.context["page"]] == pages[-2]
    second = client.get("/staff/evidence/events/", {"after": _links(back.content.decode())["after"]})
    assert [e.pk for e in second.context["page"]] == pages[-1]
    # A cursor naming an undated event, forged by hand, continues among the undated.
    row = mine.get(pk=undated[5])
    token = base64.urlsafe_b64encode(json.dumps([None, row.created.isoformat(), str(row.pk)]).encode()).decode()
    r = client.get("/staff/evidence/events/", {"after": token.rstrip("=")})
    assert [e.pk for e in r.context["page"]] == undated[6:]
    r = client.get("/staff/evidence/events/", {"before": token.rstrip("=")})
    assert [e.pk for e in r.context["page"]] == expected[:len(dated) + 5][-50:]
