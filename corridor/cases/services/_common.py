"""Helpers shared by the cases services: errors, actors, optimistic locking."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User

# Clocks on staff phones drift; a few minutes in the future is not a typo.
CLOCK_SKEW = timedelta(minutes=10)


class StaleEdit(ValidationError):
    """Someone else changed the record after this form was loaded.

    Raised instead of overwriting their change; the view shows the form again
    with what this user typed, and the current version to submit against.
    """

    def __init__(self, current_version: int, message: str | None = None) -> None:
        super().__init__(message or _(
            "Someone else changed this case while you were editing it. Nothing was saved and "
            "nothing you typed is lost: check the case as it is now, then send your change again."
        ), code="stale")
        self.current_version = current_version


def user_or_none(actor) -> User | None:
    """Foreign keys name people; system actors ("system:demo") are only in the audit."""
    return actor if isinstance(actor, User) else None


def claim_version(model, obj, expected_version: int | None) -> None:
    """Bump `obj.version` if nobody changed it since `expected_version` was read.

    A conditional UPDATE is the lock: of two editors who loaded version 3, the first
    to save makes it 4 and the second's `WHERE version = 3` matches nothing.
    """
    expected = obj.version if expected_version is None else int(expected_version)
    updated = model.objects.filter(pk=obj.pk, version=expected).update(version=F("version") + 1)
    if not updated:
        current = model.objects.filter(pk=obj.pk).values_list("version", flat=True).first() or 0
        raise StaleEdit(current)
    obj.version = expected + 1


def when_label(moment: datetime) -> str:
    """A moment as the reader sees it on pages: local time and the zone's label."""
    from corridor.web.templatetags.corridor_time import when

    return when(moment)


def check_when(when: datetime | None, *, not_before: datetime | None = None, field: str = "at") -> datetime:
    """A moment of something that already happened: not in the future, not before
    the last recorded step."""
    now = timezone.now()
    when = when or now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + CLOCK_SKEW:
        raise ValidationError({field: _("This date is in the future.")})
    if not_before is not None and when < not_before:
        raise ValidationError({field: _("This date is before the previous step (%(date)s). Dates must be in order.")
                               % {"date": when_label(not_before)}})
    return when


def check_range(start: date | None, end: date | None, *, end_field: str,
                message: str | None = None) -> None:
    if start and end and end < start:
        raise ValidationError({end_field: message or _("The end date is before the start date.")})


def clean_text(value: str | None, *, limit: int = 20000) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError(_("This text is too long (at most %(n)d characters).") % {"n": limit})
    return text
