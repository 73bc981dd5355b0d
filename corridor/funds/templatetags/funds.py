from __future__ import annotations

from django import template

from corridor.funds.money import Money

register = template.Library()


@register.filter
def can(user, perm: str) -> bool:
    """`{% if request.user|can:"funds_edit" %}`: the permission matrix in templates."""
    return bool(user and user.is_authenticated and user.can(perm))


@register.filter
def ym(value) -> str:
    """A month as YYYY-MM, for links and forms."""
    return value.strftime("%Y-%m") if value else ""


@register.filter
def minor(value, currency: str) -> str:
    return str(Money.of_minor(value, currency))
