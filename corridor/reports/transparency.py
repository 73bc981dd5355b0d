"""Compute the public transparency report: money in, money out, programme figures.

The result is a plain JSON-able dict (the snapshot a Publication stores): every
figure in it has already passed disclosure control, amounts are rounded to whole
units of the report currency, and the only names are those of donors who agreed
to be named. Nothing in it comes from an encrypted field.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from corridor.funds.budgeting import months_between
from corridor.funds.ledger import converted, donations_in, spending_in, whole
from corridor.funds.models import Category, Donation, Donor, Source
from corridor.funds.rates import RateBook
from corridor.reports.disclosure import (
    Cell,
    Policy,
    publication_cutoff,
    publish_count,
    publish_table,
)

SNAPSHOT_VERSION = 2  # 2: violation statistics
# A month's category is shown on its own only when it adds up at least this many
# payments; smaller ones are combined, so no single payment stands out.
MIN_PAYMENTS = 3

# Programme indicators, each counting a subset of the one before (so the published
# funnel is monotone): among the people we worked with in a period, how many had by
# its end reached this stage or a later one. "Left the region" counts arrival at a
# shelter (or any later stage), never people still on the road.
JOURNEY = ["contacted", "vetting", "accepted", "leaving_region", "sheltered", "documents", "visa_asylum",
           "departed", "resettled"]
INDICATORS = [
    ("contacted", "contacted"),
    ("assisted", "accepted"),
    ("left_region", "sheltered"),
    ("left_country", "departed"),
    ("asylum", "resettled"),
]


class ReportError(ValueError):
    """The report cannot be computed as asked (a translated message)."""


def _after(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _cell(cell_for) -> dict:
    """A published cell with its label in both languages."""
    labels = {}
    cell: Cell | None = None
    for lang in ("ru", "en"):
        with translation.override(lang):
            cell = cell_for()
            labels[lang] = cell.label
    assert cell is not None
    return {"value": cell.value, "suppressed": cell.suppressed, "label": labels}


def _money(amount: Decimal) -> str:
    return str(whole(amount))


def finance_figures(organisation, start: date, end: date, currency: str) -> dict:
    book = RateBook(organisation, currency)
    income = converted(donations_in(organisation, start, end), ["source"], book)
    by_source = income.by(0)
    spending = converted(spending_in(organisation, start, end), ["month", "category"], book)
    by_category = spending.by(1)

    months = []
    for month in months_between(start, end):
        shown: dict[str, str] = {}
        combined, combined_n = Decimal(0), 0
        for category in Category.values:
            group = spending.groups.get((month, category))
            if group is None or group.amount == 0:
                continue
            if group.count >= MIN_PAYMENTS:
                shown[category] = _money(group.amount)
            else:
                combined += group.amount
                combined_n += group.count
        total = sum((g.amount for (m, _c), g in spending.groups.items() if m == month), Decimal(0))
        months.append({"month": month.isoformat()[:7], "categories": shown,
                       "combined": _money(combined) if combined_n else None, "total": _money(total)})

    donations = donations_in(organisation, start, end)
    private = donations.filter(source__in=[Source.INDIVIDUAL, Source.ANONYMOUS]).count()
    # Named donors are few: test each for a donation in the period (donor_id index)
    # instead of joining every donation of the period to the donors.
    gave = Donation.objects.filter(donor=OuterRef("pk"), month__gte=start, month__lte=end)
    named = (Donor.objects.filter(organisation=organisation, consent=Donor.Consent.NAMED, erased__isnull=True)
             .exclude(public_name="").filter(Exists(gave)).values_list("kind", "public_name").distinct())
    organisations = sorted({name for kind, name in named if kind == Donor.Kind.ORGANISATION}, key=str.casefold)
    individuals = sorted({name for kind, name in named if kind == Donor.Kind.INDIVIDUAL}, key=str.casefold)
    return {
        "income": {
            "total": _money(income.total()),
            "by_source": [{"key": s, "amount": _money(by_source[s])} for s in Source.values if by_source.get(s)],
        },
        "donors": {"organisations": organisations, "individuals": individuals},
        "private_donations": private,
        "spending": {
            "total": _money(spending.total()),
            "by_category": [{"key": c, "amount": _money(by_category[c])}
                            for c in sorted(by_category, key=lambda c: -by_category[c]) if by_category[c]],
            "months": months,
            "min_payments": MIN_PAYMENTS,
        },
    }


def programme_counts(organisation, *, since: date | None, until: date) -> dict[str, int]:
    """How many people we worked with in [since, until) had reached each indicator's
    stage (or any later one) by `until`.

    "Worked with" is a case with any step of its journey in the period, or a contact
    received in it that never became a case and was not judged spam or a provocation
    (the skeleton rows intake keeps for this). Contacts linked as the same person count
    once, and not at all when one of them became a case (the case counts instead). A
    person who reached "departed" also left the region even if the shelter step was
    never recorded. One query per indicator, plus one for the contacts."""
    from corridor.cases.models import StageChange

    upto = _aware(until)
    steps = StageChange.objects.filter(case__organisation=organisation, at__lt=upto)
    active = steps.filter(to_stage__in=JOURNEY)
    if since is not None:
        active = active.filter(at__gte=_aware(since))
    cases = active.values("case")
    counts = {}
    for key, stage in INDICATORS:
        counts[key] = (steps.filter(case__in=cases, to_stage__in=JOURNEY[JOURNEY.index(stage):])
                       .values("case").distinct().count())
    counts["contacted"] += contacts_without_case(organisation, since=since, until=until)
    return counts


def contacts_without_case(organisation, *, since: date | None, until: date) -> int:
    """People who contacted us in [since, until) and never became a case: contacts
    that are neither spam nor a suspected provocation, counting a group of contacts
    linked as the same person once."""
    from corridor.intake.models import Contact, ContactLink, Status

    received = Contact.objects.filter(organisation=organisation, received__lt=_aware(until))
    if since is not None:
        received = received.filter(received__gte=_aware(since))
    counted = set(received.filter(case__isnull=True).exclude(status__in=[Status.SPAM, Status.PROVOCATION])
                  .values_list("id", flat=True))
    if not counted:
        return 0
    # Same-person links are few (staff make them by hand): group them in memory.
    links = list(ContactLink.objects.filter(relation=ContactLink.Relation.SAME_PERSON, a__organisation=organisation)
                 .values_list("a_id", "b_id"))
    parent: dict = {}

    def root(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for a, b in links:
        parent[root(a)] = root(b)
    linked = {x for pair in links for x in pair}
    with_case = set(Contact.objects.filter(pk__in=linked, case__isnull=False).values_list("id", flat=True))
    groups_with_case = {root(x) for x in with_case}
    groups = {root(x) for x in counted}
    return len(groups - groups_with_case)


def _aware(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def programme_figures(organisation, start: date, end: date, policy: Policy) -> dict:
    until = _after(end)
    period = programme_counts(organisation, since=start, until=until)
    overall = programme_counts(organisation, since=None, until=until)
    return {
        "period": [{"key": k, **_cell(lambda n=period[k]: publish_count(n, policy, floor=True))}
                   for k, _s in INDICATORS],
        "overall": [{"key": k, **_cell(lambda n=overall[k]: publish_count(n, policy, floor=True))}
                    for k, _s in INDICATORS],
    }


def _table(counts: dict, labels: dict, policy: Policy) -> list[dict]:
    """A published one-way table with its rows' labels in both languages."""
    cells = {}
    for lang in ("ru", "en"):
        with translation.override(lang):
            cells[lang] = publish_table(counts, policy)
    return [{"key": key, "name": labels[key], "value": cell.value, "suppressed": cell.suppressed,
             "label": {lang: cells[lang][key].label for lang in cells}} for key, cell in cells["en"].items()]


def violation_figures(organisation, start: date, end: date, policy: Policy) -> dict:
    """Documented violations whose events began in the period: events and acts in
    all, acts by type and events by wave of persecution, under the same disclosure
    control as the programme (rounded, small cells and their give-aways hidden).
    Places, dates finer than the period, victims and perpetrators are never
    published. Only the organisation's counts: no text from any record."""
    from django.db.models import Count

    from corridor.evidence.models import Act, ViolationEvent

    since, until = start, _after(end)
    events = ViolationEvent.objects.filter(organisation=organisation, starts__gte=since, starts__lt=until)
    acts = Act.objects.filter(event__in=events)
    by_type = {row["act_type__code"]: (row["n"], {"ru": row["act_type__label_ru"], "en": row["act_type__label_en"]})
               for row in acts.values("act_type__code", "act_type__label_ru", "act_type__label_en")
               .annotate(n=Count("id")).order_by("act_type__code")}
    by_wave = {f"wave-{i}": (row["n"], {"ru": row["wave__name_ru"], "en": row["wave__name_en"]})
               for i, row in enumerate(events.filter(wave__isnull=False)
                                       .values("wave", "wave__name_ru", "wave__name_en", "wave__starts")
                                       .annotate(n=Count("id")).order_by("wave__starts"))}
    n_events, n_acts = events.count(), acts.count()
    return {
        "events": _cell(lambda: publish_count(n_events, policy, floor=True)),
        "acts": _cell(lambda: publish_count(n_acts, policy, floor=True)),
        "by_type": _table({k: n for k, (n, _l) in by_type.items()}, {k: lab for k, (_n, lab) in by_type.items()},
                          policy),
        "by_wave": _table({k: n for k, (n, _l) in by_wave.items()}, {k: lab for k, (_n, lab) in by_wave.items()},
                          policy),
    }


def disowned_campaigns(organisation) -> list[dict]:
    """Campaigns that use our name but are not ours, as listed publicly when the
    report was published: a downloaded PDF must warn donors without a link."""
    from corridor.funds.models import Campaign

    return [{"name": c.name, "run_by": c.run_by}
            for c in Campaign.objects.filter(organisation=organisation, listed=True,
                                             status=Campaign.Status.DISOWNED).order_by("name")]


def build(organisation, *, start: date, end: date, currency: str, policy: Policy | None = None,
          today: date | None = None) -> dict:
    """The snapshot for months start..end (first days). Raises ReportError if the
    period is not yet publishable, and MissingRate if a conversion is impossible."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from corridor.reports.presentation import _month_year

    policy = policy or Policy()
    today = today or timezone.localdate()
    start, end = start.replace(day=1), end.replace(day=1)
    if end < start:
        raise ReportError(_("The last month cannot come before the first."))
    cutoff = publication_cutoff(today, policy)
    if _after(end) > cutoff:
        last = cutoff - timedelta(days=1)
        raise ReportError(
            ngettext("Figures are published only %(days)s day after a month ends. The latest month that can be "
                     "published now is %(month)s.",
                     "Figures are published only %(days)s days after a month ends. The latest month that can be "
                     "published now is %(month)s.", policy.delay_days)
            % {"days": policy.delay_days, "month": _month_year(last)})
    finance = finance_figures(organisation, start, end, currency)
    programme = programme_figures(organisation, start, end, policy)
    private = finance.pop("private_donations")
    finance["donors"]["private_donations"] = _cell(lambda: publish_count(private, policy, floor=True))
    return {
        "version": SNAPSHOT_VERSION,
        "organisation": organisation.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "currency": currency,
        "policy": asdict(policy),
        "prepared": today.isoformat(),
        **finance,
        "programme": programme,
        "violations": violation_figures(organisation, start, end, policy),
        "disowned_campaigns": disowned_campaigns(organisation),
    }
