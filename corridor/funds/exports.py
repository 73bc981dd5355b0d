"""CSV exports with HXL hashtags (https://hxlstandard.org) for accountants and partners.

The second row carries the hashtags, so HXL tools read the columns whatever the
header language. Exports carry no payee, no description, no case code and only
the public names of donors who agreed to be named: an export leaves the server
and must be safe to e-mail.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date

from django.utils.translation import gettext as _

from corridor.funds.ledger import cents
from corridor.funds.models import Campaign, Category, Donation, Donor, Expense, Source
from corridor.funds.money import from_minor
from corridor.funds.rates import RateBook


class _Echo:
    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    # A cell starting with = + - @ is a formula in spreadsheets (CSV injection).
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def columns(currency: str) -> list[tuple[str, str]]:
    c = currency.lower()
    return [
        (_("Entry"), "#meta +id"),
        (_("Type"), "#meta +type"),
        (_("Date"), "#date"),
        (_("Amount"), "#value"),
        (_("Currency"), "#currency"),
        (_("Amount in %(currency)s") % {"currency": currency}, f"#value +converted +{c}"),
        (_("Category or purpose"), "#sector"),
        (_("Campaign"), "#activity +campaign"),
        (_("Source"), "#org +funder +type"),
        (_("Donor (named with consent)"), "#org +funder +name"),
        (_("Status"), "#status"),
        (_("Corrects entry"), "#meta +corrects"),
    ]


def rows(organisation, start: date, end: date, currency: str) -> Iterator[list[str]]:
    """Header, hashtags, then donations and expenses of months start..end by date.
    Raises MissingRate before the first row if any conversion is impossible."""
    book = RateBook(organisation, currency)
    categories = dict(Category.choices)
    sources = dict(Source.choices)
    campaigns = dict(Campaign.objects.filter(organisation=organisation).values_list("id", "name"))
    named = dict(Donor.objects.filter(organisation=organisation, consent=Donor.Consent.NAMED)
                 .values_list("id", "public_name"))
    donations = list(Donation.objects.filter(organisation=organisation, month__gte=start, month__lte=end)
                     .order_by("date", "created").values_list(
                         "id", "date", "amount_minor", "currency", "restriction", "campaign_id", "source",
                         "donor_id", "corrects_id"))
    expenses = list(Expense.objects.filter(organisation=organisation, month__gte=start, month__lte=end)
                    .order_by("date", "created").values_list(
                        "id", "date", "amount_minor", "currency", "category", "status", "corrects_id"))
    # Convert everything first, so a missing rate fails before any byte is sent.
    out = []
    for pk, day, minor, cur, restriction, campaign, source, donor, corrects in donations:
        amount = from_minor(minor, cur)
        out.append((day, [
            str(pk), _("donation"), day.isoformat(), str(amount), cur, str(cents(book.convert(amount, cur, day))),
            _text(str(categories.get(restriction, ""))), _text(campaigns.get(campaign, "")),
            str(sources.get(source, source)), _text(named.get(donor, "")), "", str(corrects or ""),
        ]))
    statuses = dict(Expense.Status.choices)
    for pk, day, minor, cur, category, status, corrects in expenses:
        amount = from_minor(minor, cur)
        out.append((day, [
            str(pk), _("expense"), day.isoformat(), str(amount), cur, str(cents(book.convert(amount, cur, day))),
            _text(str(categories.get(category, category))), "", "", "", str(statuses.get(status, status)),
            str(corrects or ""),
        ]))
    out.sort(key=lambda item: item[0])
    header = columns(currency)
    yield [name for name, _tag in header]
    yield [tag for _name, tag in header]
    for _day, row in out:
        yield row


def stream(organisation, start: date, end: date, currency: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    data = rows(organisation, start, end, currency)
    first = next(data)  # raises MissingRate now, before a response starts
    yield "\ufeff"  # so spreadsheet programs read UTF-8 Cyrillic correctly
    yield writer.writerow(first)
    for row in data:
        yield writer.writerow(row)
