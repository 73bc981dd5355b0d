"""Turn a report snapshot into what a reader sees, in one language: headings'
data, formatted amounts, translated category names and the SVG charts. The HTML
page and the typst PDF both use this, so they always say the same thing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.funds.models import Category, Source
from corridor.funds.money import format_amount
from corridor.reports import charts


def indicator_labels() -> dict[str, str]:
    return {
        "contacted": _("People who contacted us"),
        "assisted": _("People we assisted"),
        "left_region": _("People who left the region"),
        "left_country": _("People who left the country"),
        "asylum": _("People granted asylum or resettled"),
    }


def _month(iso: str) -> date:
    return date.fromisoformat(iso + "-01" if len(iso) == 7 else iso)


def _month_short(month: date) -> str:
    # "янв 2017" / "Jan 2017": short enough for a twelve-column table.
    return f"{date_format(month, 'b').capitalize()} {month.year}"


def _month_header(month: date, with_year: bool) -> str:
    name = date_format(month, "b").capitalize()
    return f"{name} {month:%y}" if with_year else name


def _month_year(month: date) -> str:
    """"September 2025"; in Russian "сентябрь 2025 г.", since the label stands
    mid-sentence ("Отчёт за сентябрь")."""
    from corridor.web.templatetags.corridor_time import month_in_sentence

    return month_in_sentence(month)


def period_label(start: date, end: date) -> str:
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return str(start.year)
    if start == end:
        return _month_year(start)
    return f"{_month_year(start)} – {_month_year(end)}"


def present(snapshot: dict, lang: str) -> dict:
    with translation.override(lang):
        return _present(snapshot, lang)


def _present(s: dict, lang: str) -> dict:
    currency = s["currency"]

    def money(value: str | None) -> str:
        return "" if value is None else format_amount(Decimal(value), currency, decimals=0)

    def number(value: str | None) -> str:
        # Table cells carry no currency code: the caption says it once.
        return "" if value is None else number_format(Decimal(value), 0, use_l10n=True, force_grouping=True)

    categories = dict(Category.choices)
    sources = dict(Source.choices)
    start, end = _month(s["start"]), _month(s["end"])
    income = [{"label": str(sources[i["key"]]), "amount": money(i["amount"]), "value": Decimal(i["amount"])}
              for i in s["income"]["by_source"]]
    spending = [{"label": str(categories[c["key"]]), "amount": money(c["amount"]), "value": Decimal(c["amount"])}
                for c in s["spending"]["by_category"]]
    used = [c for c in Category.values if any(c in m["categories"] for m in s["spending"]["months"])]
    has_combined = any(m["combined"] for m in s["spending"]["months"])
    raw_months = s["spending"]["months"]
    several_years = len({m["month"][:4] for m in raw_months}) > 1
    months = [{
        "label": _month_short(_month(m["month"])),
        "header": _month_header(_month(m["month"]), several_years),
        "short": f"{_month(m['month']):%m.%y}",
        "total": number(m["total"]),
    } for m in raw_months]
    # The month table is categories × months: twelve narrow number columns fit a
    # page, where twelve category names side by side would not.
    month_rows = [{"label": str(categories[c]), "cells": [number(m["categories"].get(c)) or "—" for m in raw_months]}
                  for c in used]
    if has_combined:
        month_rows.append({"label": _("Other, combined"),
                           "cells": [number(m["combined"]) or "—" for m in raw_months]})
    labels = indicator_labels()

    def indicators(rows: list[dict]) -> list[dict]:
        return [{"label": labels[r["key"]], "text": r["label"][lang], "value": r["value"],
                 "suppressed": r["suppressed"]} for r in rows]

    violations = s.get("violations")  # reports published before version 2 have none
    if violations is not None:
        violations = {
            "events": violations["events"]["label"][lang],
            "acts": violations["acts"]["label"][lang],
            "by_type": [{"label": r["name"][lang], "text": r["label"][lang]} for r in violations["by_type"]],
            "by_wave": [{"label": r["name"][lang], "text": r["label"][lang]} for r in violations["by_wave"]],
        }
    programme_period = indicators(s["programme"]["period"])
    programme_overall = indicators(s["programme"]["overall"])
    period = period_label(start, end)
    view = {
        "lang": lang,
        "organisation": s["organisation"],
        "period": period,
        "currency": currency,
        "prepared": date_format(date.fromisoformat(s["prepared"]), "DATE_FORMAT"),
        "policy": s["policy"],
        "income_total": money(s["income"]["total"]),
        "income": income,
        "spending_total": money(s["spending"]["total"]),
        "spending": spending,
        "has_combined": has_combined,
        "months": months,
        "month_rows": month_rows,
        "min_payments": s["spending"]["min_payments"],
        "organisations": s["donors"]["organisations"],
        "individuals": s["donors"]["individuals"],
        "private_donations": s["donors"]["private_donations"]["label"][lang],
        "violations": violations,
        "disowned_campaigns": [c["name"] + (f" ({c['run_by']})" if c["run_by"] else "")
                               for c in s.get("disowned_campaigns", [])],
        "programme_period": programme_period,
        "programme_overall": programme_overall,
        "programme_rows": [{"label": p["label"], "period": p["text"], "overall": o["text"]}
                           for p, o in zip(programme_period, programme_overall, strict=True)],
        "method": method_notes(s["policy"], s["spending"]["min_payments"], currency),
        "headline_left_country": next(r["label"][lang] for r in s["programme"]["period"]
                                      if r["key"] == "left_country"),
    }
    view["charts"] = {
        "income": charts.hbar(
            [charts.Bar(i["label"], i["value"], i["amount"]) for i in income],
            title=_("Donations by source, %(period)s") % {"period": period},
            desc="; ".join(f"{i['label']}: {i['amount']}" for i in income) or _("No donations."),
            colour=charts.PALETTE[2]),
        "spending": charts.hbar(
            [charts.Bar(c["label"], c["value"], c["amount"]) for c in spending],
            title=_("Spending by category, %(period)s") % {"period": period},
            desc="; ".join(f"{c['label']}: {c['amount']}" for c in spending) or _("No spending."),
            colour=charts.PALETTE[0]),
        "months": charts.stacked(
            [m["short"] for m in months],
            [charts.Series(str(categories[c]),
                           [Decimal(m["categories"][c]) if c in m["categories"] else None
                            for m in s["spending"]["months"]]) for c in used]
            + ([charts.Series(_("Other, combined"), [Decimal(m["combined"]) if m["combined"] else None
                                                     for m in s["spending"]["months"]])] if has_combined else []),
            title=_("Spending month by month, %(currency)s") % {"currency": currency},
            desc="; ".join(f"{m['label']}: {m['total']} {currency}" for m in months), unit=currency),
        "programme": charts.hbar(
            [charts.Bar(r["label"], None if r["suppressed"] else r["value"], r["text"]) for r in programme_period],
            title=_("Programme, %(period)s") % {"period": period},
            desc="; ".join(f"{r['label']}: {r['text']}" for r in programme_period), colour=charts.PALETTE[6]),
    }
    return view


def method_notes(policy: dict, min_payments: int, currency: str) -> list[str]:
    """How the figures protect people, in plain words (page and PDF)."""
    return [
        ngettext("Figures are published only %(days)s day after the end of the last month they cover, and "
                 "only for whole months.",
                 "Figures are published only %(days)s days after the end of the last month they cover, and "
                 "only for whole months.", policy["delay_days"]) % {"days": policy["delay_days"]},
        _("Numbers of people are shown as lower bounds in steps of %(step)s (“more than 40”); a number "
          "below %(threshold)s is shown only as “fewer than %(threshold)s”.")
        % {"step": policy["rounding"], "threshold": policy["threshold"]},
        _("We never publish places, routes, countries of arrival or dates finer than a month, and no "
          "figure about a single person."),
        _("In the monthly table, a category with fewer than %(n)s payments in a month is shown only "
          "within “other, combined”.") % {"n": min_payments},
        _("Amounts are converted into %(currency)s at the exchange rate of each transaction's date and "
          "rounded to whole units.") % {"currency": currency},
        _("Private donors are named only if they asked to be: everyone else who gives privately is "
          "counted, never named. Organisations and people listed by name agreed to it, and only their "
          "names are shown."),
    ]
