from __future__ import annotations

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def fuzzy_date(value, precision: str = "day") -> str:
    """A date shown only as precisely as it is known (HURIDOCS date precision), the
    way the reader's language writes it: «март 2017», "March 2017", «15.03.2017»."""
    if not value or precision == "unknown":
        return _("date unknown")
    if precision == "year":
        return date_format(value, "Y")
    if precision == "month":
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "SHORT_DATE_FORMAT")


@register.filter
def sources_class(count: int) -> str:
    return "src-none" if not count else ("src-one" if count == 1 else "src-many")


@register.filter
def can(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.can(perm))
