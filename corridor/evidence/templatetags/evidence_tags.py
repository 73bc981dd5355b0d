from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def fuzzy_date(value, precision: str = "day") -> str:
    """A date shown only as precisely as it is known (HURIDOCS date precision)."""
    if not value or precision == "unknown":
        return _("date unknown")
    if precision == "year":
        return value.strftime("%Y")
    if precision == "month":
        return value.strftime("%Y-%m")
    return value.strftime("%Y-%m-%d")


@register.filter
def sources_class(count: int) -> str:
    return "src-none" if not count else ("src-one" if count == 1 else "src-many")


@register.filter
def can(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and user.can(perm))
