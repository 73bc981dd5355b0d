"""`{{ moment|when }}`: a stored UTC moment in the reader's zone, with the zone's
label, so no page ever shows an unlabelled time. Loaded as a builtin (settings)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import dateformat, timezone

from corridor.accounts.timezones import zone_label

register = template.Library()

DEFAULT_FORMAT = "Y-m-d H:i"


@register.filter(expects_localtime=False, is_safe=False)
def when(value, fmt: str = DEFAULT_FORMAT) -> str:
    if not isinstance(value, datetime):
        return "" if value in (None, "") else str(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
    return f"{dateformat.format(local, fmt)} {zone_label(local)}"


@register.simple_tag
def current_zone_label() -> str:
    """The reader's zone now, for headings and form hints: "Europe/Berlin (CET)"."""
    local = timezone.localtime()
    return f"{timezone.get_current_timezone_name().replace('_', ' ')} ({zone_label(local)})"
