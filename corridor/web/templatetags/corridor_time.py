"""`{{ moment|when }}`: a stored UTC moment in the reader's zone, with the zone's
label, so no page ever shows an unlabelled time. Loaded as a builtin (settings).

The day is written the way the reader's language writes it (SHORT_DATE_FORMAT:
"02.12.2026" in Russian, "2 Dec 2026" in English), never as ISO "2026-12-02",
which is a machine format (exports, feeds, the API, form input values). A format
may start with a named Django format: `|when:"MONTH_DAY_FORMAT H:i"`.

A moment always names its day, so in Russian a month written out follows a number
and stands mid-sentence: «8 марта», in the genitive and in lower case, never
Django's nominative «8 Март» (its "F" and "M" are the capitalised forms for a
heading). `pattern` writes such a Russian format with "E" and "b" instead."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import dateformat, formats, timezone, translation

from corridor.accounts.timezones import zone_label

register = template.Library()

DEFAULT_FORMAT = "SHORT_DATE_FORMAT H:i"
NAMED = ("DATE_FORMAT", "SHORT_DATE_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT")


# Russian month letters after a day: "F" (Март) → "E" (марта), "M" (Мар) → "b" (мар).
_RU_AFTER_A_DAY = {"F": "E", "M": "b"}


def pattern(fmt: str) -> str:
    """`"SHORT_DATE_FORMAT H:i"` → `"d.m.Y H:i"` in Russian, `"j M Y H:i"` in English."""
    head, _, rest = fmt.partition(" ")
    if head in NAMED:
        fmt = f"{formats.get_format(head)} {rest}".strip()
    if (translation.get_language() or "").startswith("ru"):
        fmt = _lower_months(fmt)
    return fmt


def _lower_months(fmt: str) -> str:
    out, escaped = [], False
    for char in fmt:
        out.append(char if escaped else _RU_AFTER_A_DAY.get(char, char))
        escaped = char == "\\" and not escaped
    return "".join(out)


@register.filter(expects_localtime=False, is_safe=False)
def when(value, fmt: str = DEFAULT_FORMAT) -> str:
    if not isinstance(value, datetime):
        return "" if value in (None, "") else str(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
    return f"{dateformat.format(local, pattern(fmt))} {zone_label(local)}"


@register.simple_tag
def current_zone_label() -> str:
    """The reader's zone now, for headings and form hints: "Europe/Berlin (CET)"."""
    local = timezone.localtime()
    return f"{timezone.get_current_timezone_name().replace('_', ' ')} ({zone_label(local)})"


@register.filter(is_safe=False)
def day(value) -> str:
    """A day kept as ISO text (inside a signed package, a JSON record) shown as the
    reader's language writes it: `{{ consent.given_on|day }}`."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT") if isinstance(value, date) else ""


def month_in_sentence(value) -> str:
    """A month and year standing inside a sentence: "December 2026"; in Russian the
    lower-case form with «г.» ("декабрь 2026 г."), which reads right after «за» and
    in a bracketed range, where Django's «Декабрь 2026» is capitalised mid-sentence."""
    from django.utils.translation import get_language

    if not isinstance(value, date):
        return ""
    if (get_language() or "").startswith("ru"):
        return f"{formats.date_format(value, 'F').lower()} {value.year} г."
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


@register.filter(name="month", is_safe=False)
def month_filter(value) -> str:
    """`{{ panel.month|month }}`: see `month_in_sentence`."""
    return month_in_sentence(value)
