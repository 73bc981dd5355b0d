"""Synthetic books for the demo: the 2017 scenario and the recent months.

In 2017 the organisation this project models published: about USD 170,000 from
organisations that raised money on its behalf, USD 26,000 in private donations,
about USD 70,000 spent on housing, medical and psychological help, relocation and
travel, and its own security. `scenario_2017` reproduces exactly those totals
with invented donors (every name here is made up), a disowned campaign, rates for
RUB and EUR, and all twelve months closed. Every entry goes through the services,
so the demo's audit log looks like a real one.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.funds import services
from corridor.funds.ledger import converted
from corridor.funds.models import Campaign, Category, Donation, Donor, Expense, month_of
from corridor.funds.rates import RateBook

ORGANISATION_DONORS = [
    # (name, consents to be named)
    ("Northern Lights Foundation", True),
    ("Fonds Passage Libre", True),
    ("Open Borders Trust", True),
    ("Stiftung Regenbogenbrücke", True),
    ("Harbour Relief Network", True),
    ("Quiet Help Foundation", False),
    ("Fundación Camino Seguro", False),
]
CAMPAIGNS = [
    ("Emergency evacuation fund", Campaign.Status.OFFICIAL, "", "", ""),
    ("Safe Passage appeal", Campaign.Status.PARTNER, "Harbour Relief Network",
     "https://example.org/safe-passage", ""),
    ("Help the men of the North Caucasus", Campaign.Status.UNVERIFIED, "unknown (crowdfunding page)",
     "https://crowd.example.net/help-men", "We have asked the organisers who they are and have no answer yet."),
    ("Save them now — send crypto", Campaign.Status.DISOWNED, "unknown", "https://save-them-now.example.com",
     "This campaign is not ours. We never ask for cryptocurrency or for payments to private cards."),
]
# Share of the year's spending by category (the 2017 statement's headings).
SPENDING = {
    Category.HOUSING: 30, Category.RELOCATION: 24, Category.MEDICAL: 12, Category.PSYCHOLOGICAL: 8,
    Category.DOCUMENTS: 7, Category.BASIC_NEEDS: 8, Category.CASH: 4, Category.SECURITY: 7,
}
PAYEES = {
    Category.HOUSING: ["Landlord, flat 3", "Hostel on the ring road", "Landlord, flat 7"],
    Category.RELOCATION: ["Rail tickets", "Airline tickets", "Driver (night route)"],
    Category.MEDICAL: ["Private clinic", "Pharmacy", "Dental surgery"],
    Category.PSYCHOLOGICAL: ["Psychologist, sessions", "Crisis counsellor"],
    Category.DOCUMENTS: ["Consular fee", "Passport office fee", "Translation bureau"],
    Category.BASIC_NEEDS: ["Supermarket", "Clothes", "Mobile phone and SIM"],
    Category.CASH: ["Cash support"],
    Category.SECURITY: ["Encrypted phones", "Security audit of the office"],
}


def _month_starts(first: date, last: date) -> list[date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _day(rng: random.Random, month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month + timedelta(days=rng.randrange((nxt - month).days))


def rate_rows(rng: random.Random, first: date, last: date) -> list[dict]:
    """Monthly RUB→USD and EUR→USD rates moving like 2017's (about 58 RUB and 1.13 USD per EUR)."""
    rows, rub, eur = [], Decimal("59.5"), Decimal("1.06")
    for month in _month_starts(first, last):
        rub = max(Decimal(50), min(Decimal(95), rub + Decimal(rng.randint(-150, 150)) / 100))
        eur = max(Decimal("1.00"), min(Decimal("1.25"), eur + Decimal(rng.randint(-2, 3)) / 100))
        rows.append({"currency": "RUB", "quote": "USD", "date": month,
                     "rate": (Decimal(1) / rub).quantize(Decimal("1e-8"))})
        rows.append({"currency": "EUR", "quote": "USD", "date": month, "rate": eur})
    return rows


def _in_currency(usd: Decimal, currency: str, book: RateBook, day: date) -> Decimal:
    digits = Decimal("1") if currency == "RUB" and usd > 50 else Decimal("0.01")
    return (usd / book.rate(currency, day)).quantize(digits, rounding=ROUND_HALF_UP)


def _converted_total(queryset, organisation) -> Decimal:
    return converted(queryset, [], RateBook(organisation, "USD")).total()


def scenario_2017(organisation, *, actor, approver, rng: random.Random, cases=(), year: int = 2017,
                  close: bool = True) -> None:
    """The year's books with exact totals: USD 170,000 / 26,000 / 70,000."""
    first, last = date(year, 1, 1), date(year, 12, 1)
    book_rows = rate_rows(rng, first, last)
    services.rates_import(actor="system:demo", organisation=organisation, rows=book_rows)
    book = RateBook(organisation, "USD")
    campaigns = [services.campaign_create(actor="system:demo", organisation=organisation, name=name, status=status,
                                          run_by=run_by, url=url, public_note=note, started=date(year, 4, 1))
                 for name, status, run_by, url, note in CAMPAIGNS]
    official, partner = campaigns[0], campaigns[1]
    orgs = [services.donor_create(actor="system:demo", organisation=organisation, kind=Donor.Kind.ORGANISATION,
                                  name=name, consent=Donor.Consent.NAMED if named else Donor.Consent.PRIVATE,
                                  public_name=name if named else "") for name, named in ORGANISATION_DONORS]
    people = []
    for i in range(40):
        named = i < 3
        name = f"Donor {i + 1:02d} (synthetic)"
        people.append(services.donor_create(
            actor="system:demo", organisation=organisation, kind=Donor.Kind.INDIVIDUAL, name=name,
            contact=f"donor{i + 1:02d}@example.org", consent=Donor.Consent.NAMED if named else Donor.Consent.PRIVATE,
            public_name=f"Friend of the programme no. {i + 1}" if named else ""))
    year_donations = Donation.objects.filter(organisation=organisation, month__gte=first, month__lte=last)

    # Organisations: a few large transfers from April, when the purge became known.
    for i, month in enumerate(_month_starts(date(year, 4, 1), date(year, 11, 1))):
        for donor in (orgs[(2 * i) % len(orgs)], orgs[(2 * i + 1) % len(orgs)]):
            usd = Decimal(rng.randint(60, 130) * 100)
            currency = rng.choice(["USD", "EUR"])
            day = _day(rng, month)
            services.donation_record(actor="system:demo", organisation=organisation, date=day,
                                     amount=_in_currency(usd, currency, book, day), currency=currency, donor=donor,
                                     campaign=partner if donor is orgs[4] else official)
    so_far = _converted_total(year_donations.filter(source="organisation"), organisation)
    services.donation_record(actor="system:demo", organisation=organisation, date=date(year, 12, 18),
                             amount=(Decimal(170_000) - so_far).quantize(Decimal("0.01")), currency="USD",
                             donor=orgs[0], campaign=official)

    # Private people: many small gifts, most in roubles.
    for month in _month_starts(date(year, 4, 1), last):
        for _ in range(rng.randint(25, 40)):
            usd = Decimal(rng.choice([10, 15, 20, 25, 30, 50, 50, 75, 100, 150]))
            currency = rng.choices(["RUB", "EUR", "USD"], [6, 3, 2])[0]
            day = _day(rng, month)
            services.donation_record(
                actor="system:demo", organisation=organisation, date=day,
                amount=_in_currency(usd, currency, book, day), currency=currency, donor=rng.choice(people),
                campaign=official if rng.random() < 0.7 else None,
                restriction=rng.choice(["", "", "", Category.MEDICAL, Category.RELOCATION]))
    so_far = _converted_total(year_donations.filter(source="individual"), organisation)
    remainder = (Decimal(26_000) - so_far).quantize(Decimal("0.01"))
    if remainder <= 0:  # pragma: no cover - the loop above stays well under 26,000
        raise RuntimeError("the private donations overshot the scenario's total")
    services.donation_record(actor="system:demo", organisation=organisation, date=date(year, 12, 27),
                             amount=remainder, currency="USD", donor=people[-1], campaign=official)

    # Spending: from April, growing as people are moved out; 68,000 at random, the rest exact.
    budget_usd = Decimal(68_000)
    months = _month_starts(date(year, 4, 1), last)
    weights = [1 + i for i in range(len(months))]
    cases = list(cases)
    for category, share in SPENDING.items():
        target = budget_usd * share / 100
        for month, w in zip(months, weights, strict=True):
            month_usd = target * w / sum(weights)
            n = max(1, int(month_usd // 200))
            for _ in range(n):
                usd = (month_usd / n * Decimal(rng.uniform(0.7, 1.3))).quantize(Decimal("0.01"))
                currency = "RUB" if rng.random() < 0.85 else "EUR"
                day = _day(rng, month)
                _expense(organisation, actor, approver, rng, category, day,
                         _in_currency(usd, currency, book, day), currency, cases)
    year_spending = Expense.objects.filter(organisation=organisation, month__gte=first, month__lte=last,
                                           status=Expense.Status.APPROVED)
    so_far = _converted_total(year_spending, organisation)
    _expense(organisation, actor, approver, rng, Category.RELOCATION, date(year, 12, 20),
             (Decimal(70_000) - so_far).quantize(Decimal("0.01")), "USD", cases)
    for month in _month_starts(first, last) if close else []:
        services.period_close(actor="system:demo", organisation=organisation, month=month,
                              today=date(year + 1, 1, 15))


def _expense(organisation, actor, approver, rng, category, day, amount, currency, cases) -> Expense:
    expense = services.expense_record(
        actor=actor, organisation=organisation, date=day, amount=amount, currency=currency, category=category,
        payee=rng.choice(PAYEES[category]), description="",
        case=rng.choice(cases) if cases and category != Category.SECURITY and rng.random() < 0.6 else None)
    if expense.status == Expense.Status.PENDING:
        services.expense_approve(actor=approver, expense=expense)
    return expense


def recent_months(organisation, *, actor, approver, rng: random.Random, cases=(), months: int = 15) -> None:
    """Ongoing books for the last `months` months (left open, for the staff demo)."""
    today = timezone.localdate()
    last = month_of(today)
    first = month_of(today - timedelta(days=31 * months))
    services.rates_import(actor="system:demo", organisation=organisation, rows=rate_rows(rng, first, last))
    book = RateBook(organisation, "USD")
    donors = list(Donor.objects.filter(organisation=organisation))
    official = Campaign.objects.filter(organisation=organisation, status=Campaign.Status.OFFICIAL).first()
    for month in _month_starts(first, last):
        for _ in range(rng.randint(15, 25)):
            day = min(_day(rng, month), today)
            currency = rng.choices(["RUB", "EUR", "USD"], [6, 3, 2])[0]
            services.donation_record(actor="system:demo", organisation=organisation, date=day,
                                     amount=_in_currency(Decimal(rng.choice([20, 50, 100, 250, 1500])), currency,
                                                         book, day),
                                     currency=currency, donor=rng.choice(donors) if donors else None,
                                     campaign=official)
        for category, share in SPENDING.items():
            for _ in range(max(1, share // 5)):
                day = min(_day(rng, month), today)
                usd = Decimal(rng.randint(40, 900))
                _expense(organisation, actor, approver, rng, category, day,
                         _in_currency(usd, "RUB", book, day), "RUB", cases)


def populate(ctx) -> None:
    from corridor.cases.models import Case

    for index, org in enumerate(ctx.organisations[:1]):
        finance = ctx.users(org, Role.FINANCE)
        if len(finance) < 2:
            continue
        actor, approver = finance[0], finance[1]
        cases = list(Case.objects.filter(organisation=org).only("id", "code", "organisation_id")[:200])
        rng = random.Random(ctx.seed * 31 + index)
        # Each part in one transaction: the services' own transactions become
        # savepoints, so the hundreds of entries (and their audit entries) cost
        # one synchronous commit instead of one each.
        with transaction.atomic():
            scenario_2017(org, actor=actor, approver=approver, rng=rng, cases=[])
        ctx.advance("Funds", 1, 3)
        with transaction.atomic():
            recent_months(org, actor=actor, approver=approver, rng=rng, cases=cases)
        ctx.advance("Funds", 2, 3)
        with transaction.atomic():
            _publish(org, ctx)
        ctx.advance("Funds", 3, 3)


def _publish(org, ctx) -> None:
    """Publish the 2017 report, then close the recent months that may be published
    and publish the latest twelve of them (with the demo's programme figures)."""
    from corridor.reports.disclosure import Policy, last_published_month
    from corridor.reports.services import publication_create

    publication_create(actor="system:demo", organisation=org, start=date(2017, 1, 1), end=date(2017, 12, 1),
                       currency="USD")
    last, _end = last_published_month(timezone.localdate(), Policy())
    used = sorted(set(Donation.objects.filter(organisation=org, month__gt=date(2017, 12, 1), month__lte=last)
                      .values_list("month", flat=True)))
    if not used:
        return
    for month in _month_starts(used[0], last):
        services.period_close(actor="system:demo", organisation=org, month=month)
    months = last.year * 12 + last.month - 1 - 11
    start = max(used[0], date(months // 12, months % 12 + 1, 1))
    publication_create(actor="system:demo", organisation=org, start=start, end=last, currency="USD")
