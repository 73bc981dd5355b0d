"""The staff pages speak Russian all the way through: a worker reading them in
Russian never meets an ISO date ("2026-12-02" is a machine format, for exports,
feeds, the API and form input values) nor an English sentence of the interface.

The pages are every staff page without a parameter in the URL patterns (so a new
page is checked without anyone listing it) and the main detail pages, each read
by every role that can open it, over the demo data of all apps."""

from __future__ import annotations

import html
import re

import polib
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from corridor.accounts.permissions import Role
from corridor.web.demo import DEMO_ORDER, DemoContext

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ISO_DAY = re.compile(r"(?<![\d-])(19|20)\d\d-[01]\d-[0-3]\d(?![\d-])")
# Machine text shown on purpose: codes, hashes, keys, audit data (class "mono"),
# <code>/<pre> blocks, what scripts and styles hold, and text marked as English on
# purpose (a vocabulary term shown in both languages carries lang="en").
MACHINE = re.compile(r"<(script|style|code|pre|textarea)\b.*?</\1>"
                     r"|<(td|span|dd|p|div|li)\b[^>]*class=\"[^\"]*\bmono\b[^\"]*\"[^>]*>.*?</\2>"
                     r"|<(td|span|dd|p|div|li)\b[^>]*lang=\"en\"[^>]*>.*?</\3>", re.S)
TAG = re.compile(r"<[^>]+>")
# Pages that are files or feeds, not pages a person reads.
NOT_PAGES = re.compile(r"(\.csv|\.ics|\.pdf|/download|/export/|/api/|/static/|/media/|/logout)")


def visible_text(page: str) -> str:
    """What a person reads: no tags, no attribute values (a <time datetime> or an
    <input type=date value> is ISO for the machine), no machine text."""
    page = page.split("<body", 1)[-1]
    return html.unescape(TAG.sub(" ", MACHINE.sub(" ", page)))


def _english_interface() -> set[str]:
    """Every English sentence of the interface whose Russian differs: seeing one on
    a Russian page means a string was not translated."""
    from pathlib import Path

    apps = Path(__file__).resolve().parents[2]
    out: set[str] = set()
    for ru_path in apps.glob("*/locale/ru/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(ru_path)):
            text = re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>", "\0", entry.msgid)
            for part in text.split("\0"):
                part = part.strip(" .,:;·…()—–")
                # Whole phrases only (three words and more): a lone word like
                # "Telegram" or "PDF" is the same in both languages.
                if len(part.split()) >= 3 and part not in (entry.msgstr or ""):
                    out.add(part)
    return out


def _static_staff_urls() -> list[str]:
    urls: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and "<" not in route and "(?P" not in route:
                urls.append("/" + (prefix + route).lstrip("^").rstrip("$").replace("\\", ""))

    walk(get_resolver().url_patterns, "")
    return sorted({u for u in urls if u.startswith("/staff/") and not NOT_PAGES.search(u)})


@pytest.fixture
def demo_world(cast):
    ctx = DemoContext(seed=12, cases=24)
    ctx.organisations = [cast.org, cast.other_org]
    ctx.staff = {
        "north": {Role.CASE_WORKER: [cast.alice, cast.bob], Role.COORDINATOR: [cast.coordinator, cast.coordinator2],
                  Role.OPERATOR: [cast.operator], Role.LEGAL: [cast.legal], Role.FINANCE: [cast.finance, cast.finance2],
                  Role.ADMIN: [cast.admin], Role.AUDITOR: [cast.auditor]},
        "partner": {Role.CASE_WORKER: [cast.charlie], Role.COORDINATOR: [cast.partner_coordinator]},
    }
    import importlib

    for app in DEMO_ORDER:
        importlib.import_module(f"corridor.{app}.demo").populate(ctx)
    return ctx


def _detail_urls(cast) -> list[str]:
    from corridor.cases.models import Case
    from corridor.funds.models import Donation, Expense
    from corridor.housing.models import SafeHouse
    from corridor.intake.models import Contact

    urls = []
    case = Case.objects.filter(person__organisation=cast.org, worker=cast.alice).order_by("-reached").first()
    if case:
        urls.append(f"/staff/cases/{case.code}/")
    # A contact still in triage: its page offers the case picker ("opened …").
    contact = (Contact.objects.filter(organisation=cast.org, case__isnull=True, data_key__isnull=False)
               .order_by("-received").first())
    if contact:
        urls.append(f"/staff/intake/{contact.pk}/")
    house = SafeHouse.objects.filter(organisation=cast.org).first()
    if house:
        urls.append(f"/staff/housing/{house.pk}/")
    donation = Donation.objects.filter(organisation=cast.org).first()
    expense = Expense.objects.filter(organisation=cast.org).first()
    urls += [f"/staff/funds/donations/{donation.pk}/"] if donation else []
    urls += [f"/staff/funds/expenses/{expense.pk}/"] if expense else []
    from corridor.evidence.models import EvidenceFile, Filing, Testimony, ViolationEvent

    for model, path in ((ViolationEvent, "events"), (EvidenceFile, "files"), (Filing, "filings"),
                        (Testimony, "testimonies")):
        obj = model.objects.filter(organisation=cast.org).first()
        if obj:
            urls.append(f"/staff/evidence/{path}/{obj.pk}/")
    return urls


def test_no_russian_staff_page_shows_an_iso_date_or_english_interface(demo_world, cast, staff_client):
    english = _english_interface()
    assert len(english) > 500
    urls = _static_staff_urls() + _detail_urls(cast)
    assert len(urls) > 40
    readers = [cast.coordinator, cast.alice, cast.operator, cast.legal, cast.finance, cast.admin, cast.auditor]
    problems: list[str] = []
    seen_pages = 0
    for user in readers:
        client = staff_client(user)  # no language chosen: staff pages are in Russian
        for url in urls:
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            seen_pages += 1
            text = visible_text(response.content.decode())
            for m in ISO_DAY.finditer(text):
                problems.append(f"{user.role} {url}: ISO date “{text[max(0, m.start() - 40):m.end() + 10].strip()}”")
            flat = " ".join(text.split())
            for phrase in english:
                if phrase in flat:
                    problems.append(f"{user.role} {url}: English “{phrase}”")
    assert seen_pages > 60
    assert not problems, "\n".join(sorted(set(problems))[:60])


def test_the_check_sees_what_a_reader_sees():
    """The page check itself: ISO in the text is caught, ISO for the machine is not."""
    page = ('<body><p>Открыто: 2026-12-02</p><input type="date" value="2026-12-02">'
            '<time datetime="2026-12-02T10:00">02.12.2026 13:00 MSK</time><td class="mono">month=2026-09-01</td>'
            '<td lang="en">Unofficial detention site</td><script>var d="2026-12-02"</script></body>')
    text = visible_text(page)
    assert [m.group(0) for m in ISO_DAY.finditer(text)] == ["2026-12-02"]
    assert "Unofficial" not in text and "02.12.2026 13:00 MSK" in text
    assert "Open the case without vetting: why" in _english_interface()
