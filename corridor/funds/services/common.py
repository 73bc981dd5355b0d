"""What every funds service shares: the closed-month rule and permission checks."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.funds.models import ClosedPeriod, month_of


class PeriodClosed(ValidationError):
    """The entry, or the date it would move to, belongs to a closed month."""


class NotAllowed(ValidationError):
    """The actor's role may not do this (views 404 first; services check again)."""


def require(actor, perm: Perm) -> None:
    # System actors (commands, demo) are strings; people are checked every time.
    if not isinstance(actor, str) and not actor.can(perm):
        raise NotAllowed(_("Your role may not do this."), code="forbidden")


def month_label(month: date) -> str:
    """A month inside a sentence ("декабрь 2026 г." in Russian, never capitalised)."""
    from corridor.web.templatetags.corridor_time import month_in_sentence

    return month_in_sentence(month)


def is_closed(organisation, day: date) -> bool:
    return ClosedPeriod.objects.filter(organisation=organisation, month=month_of(day)).exists()


def check_open(organisation, *days: date) -> None:
    for day in days:
        if day is not None and is_closed(organisation, day):
            raise PeriodClosed(
                _("%(month)s is closed: its entries cannot change. Record a correction in an open month "
                  "instead.") % {"month": month_label(month_of(day))},
                code="closed",
            )


def last_closed_month(organisation) -> date | None:
    return (ClosedPeriod.objects.filter(organisation=organisation)
            .order_by("-month").values_list("month", flat=True).first())


def check_rate_date_open(organisation, day: date) -> None:
    """A rate dated in or before the last closed month could change what a closed
    month converts to, so such rates are fixed."""
    last = last_closed_month(organisation)
    if last is not None and month_of(day) <= last:
        raise PeriodClosed(
            _("Rates up to the end of %(month)s are fixed because that month is closed.")
            % {"month": month_label(last)},
            code="closed",
        )


def check_same_org(organisation, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation.pk:
            raise ValidationError(_("This belongs to another organisation."), code="organisation")
