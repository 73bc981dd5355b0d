"""The transparency report as PDF, typeset with typst.

Only the fonts bundled inside the typst package are used (Libertinus Serif and New
Computer Modern, both with full Cyrillic), with system fonts ignored: the PDF
looks the same on every server, embeds its fonts, and nothing is fetched at run
time. The template receives all text as JSON data, never as markup.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typst
from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from corridor.reports.presentation import present

TEMPLATE = Path(__file__).parent / "templates" / "reports" / "transparency.typ"


def _labels(view: dict, digest: str, published: str) -> dict:
    return {
        "subtitle": _("Financial report and programme figures for %(period)s, in %(currency)s")
        % {"period": view["period"], "currency": view["currency"]},
        "received": _("Received"),
        "spent": _("Spent"),
        "left_country": _("People who left the country"),
        "income_heading": _("Where the money came from"),
        "source": _("Source"),
        "amount": _("Amount"),
        "total": _("Total"),
        "organisations_heading": _("Organisations that raised money for us"),
        "individuals_heading": _("Donors who agreed to be named"),
        "private_donations": _("Private donations: %(n)s.") % {"n": view["private_donations"]},
        "spending_heading": _("How the money was spent"),
        "category": _("Category"),
        "months_heading": _("Month by month"),
        "month": _("Month"),
        "combined": _("Other, combined"),
        "amounts_in": _("Amounts in %(currency)s") % {"currency": view["currency"]},
        "combined_note": _("“Other, combined” joins categories with fewer than %(n)s payments in a month.")
        % {"n": view["min_payments"]},
        "programme_heading": _("Programme"),
        "indicator": _("People"),
        "overall": _("Since the programme began"),
        "violations_heading": _("Documented violations"),
        "violations_summary": (_("Events documented that began in this period: %(events)s; acts of violence "
                                 "and other violations in them: %(acts)s.")
                               % {"events": view["violations"]["events"], "acts": view["violations"]["acts"]}
                               if view.get("violations") else ""),
        "act_kind": _("Kind of act"),
        "acts": _("Acts"),
        "wave": _("Wave of persecution"),
        "events": _("Events"),
        "method_heading": _("How these figures protect people"),
        "method": view["method"],
        "campaigns_note": (_("Campaigns that use our name, and whether they are ours: %(url)s")
                           % {"url": f"{settings.CORRIDOR_PUBLIC_URL}/transparency/campaigns/"}
                           if settings.CORRIDOR_PUBLIC_URL else
                           _("Campaigns that use our name, and whether they are ours, are listed on the "
                             "“Campaigns” page of our transparency site.")),
        "disowned_heading": _("Not ours: do not give to these campaigns"),
        "published": published,
        "digest": _("Fingerprint of these figures (SHA-256): %(digest)s") % {"digest": digest},
    }


def render_pdf(snapshot: dict, lang: str, *, digest: str, published: datetime | None = None) -> bytes:
    view = present(snapshot, lang)
    published = published or datetime.now(UTC)
    with translation.override(lang):
        title = _("Transparency report %(period)s") % {"period": view["period"]}
        stamp = _("Published %(date)s") % {"date": date_format(published.date(), "DATE_FORMAT")}
        labels = _labels(view, digest, stamp)
    data = {k: v for k, v in view.items() if k != "charts"}
    for row in data["income"] + data["spending"]:
        row.pop("value", None)
    data.update(title=title, t=labels)
    inputs = {
        "data": json.dumps(data, ensure_ascii=False, default=str),
        **{f"chart_{name}": str(svg) for name, svg in view["charts"].items()},
    }
    return typst.compile(str(TEMPLATE), sys_inputs=inputs, ignore_system_fonts=True,
                         timestamp=int(published.timestamp()))
