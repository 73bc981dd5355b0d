"""Safety check-ins and alerts.

A person in transit or in hiding agrees to check in every few hours (a call, a
message, a code word). When a due time passes with no check-in, the sweep raises
an alert that stays on the dashboard and in `corridor alerts` (cron) until a
person resolves it; a later check-in resolves it by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit.services import happened, record
from corridor.cases.events import CaseEvent
from corridor.cases.models import Alert, Case, CheckIn, Note
from corridor.cases.services._common import check_when, clean_text, user_or_none

# How late a check-in may be before it counts as missed: people in hiding cannot
# always answer on the minute, and false alarms wear out the duty phone.
GRACE = timedelta(minutes=30)
MAX_INTERVAL_HOURS = 24 * 7


def checkin_schedule(*, actor, case: Case, every_hours: int | None, first_due: datetime | None = None) -> Case:
    if not case.is_open:
        raise ValidationError(_("Check-ins can only be scheduled for an open case."))
    if every_hours is not None and not 1 <= int(every_hours) <= MAX_INTERVAL_HOURS:
        raise ValidationError({"every_hours": _("Choose between 1 hour and 7 days.")})
    now = timezone.now()
    if first_due is not None and first_due < now - GRACE:
        raise ValidationError({"first_due": _("The first check-in cannot be in the past.")})
    with transaction.atomic():
        if every_hours:
            case.checkin_every_hours = int(every_hours)
            case.next_checkin_due = first_due or now + timedelta(hours=int(every_hours))
        else:
            case.checkin_every_hours = None
            case.next_checkin_due = None
        case.save(update_fields=["checkin_every_hours", "next_checkin_due"])
        record(CaseEvent.CHECKIN_SCHEDULED, actor=actor, organisation=str(case.organisation_id), obj=case,
               every_hours=case.checkin_every_hours or 0)
    return case


def checkin_record(*, actor, case: Case, status: str = CheckIn.Status.OK, channel: str = CheckIn.Channel.MESSENGER,
                   note: str = "", at: datetime | None = None) -> CheckIn:
    if status not in CheckIn.Status.values:
        raise ValidationError({"status": _("Choose whether the person is safe.")})
    if channel not in CheckIn.Channel.values:
        raise ValidationError({"channel": _("Choose how the person checked in.")})
    when = check_when(at, not_before=case.opened)
    with transaction.atomic():
        checkin = CheckIn(case=case, due=case.next_checkin_due, at=when, status=status, channel=channel,
                          recorded_by=user_or_none(actor))
        checkin.note = clean_text(note)
        checkin.save(force_insert=True)
        late = bool(case.next_checkin_due and when > case.next_checkin_due + GRACE)
        if case.checkin_every_hours:
            case.next_checkin_due = max(when, timezone.now()) + timedelta(hours=case.checkin_every_hours)
            case.save(update_fields=["next_checkin_due"])
        # They are back in touch: a missed-check-in alert has done its job.
        Alert.objects.filter(case=case, kind=Alert.Kind.MISSED_CHECKIN, resolved__isnull=True).update(
            resolved=timezone.now(), resolved_by=user_or_none(actor))
        record(CaseEvent.CHECKIN_RECORDED, actor=actor, organisation=str(case.organisation_id), obj=case,
               status=status, late=late, happened=happened(when))
        if status == CheckIn.Status.DISTRESS:
            alert = Alert.objects.create(organisation_id=case.organisation_id, case=case, kind=Alert.Kind.DISTRESS,
                                         due=when)
            record(CaseEvent.ALERT_RAISED, actor=actor, organisation=str(case.organisation_id), obj=case,
                   kind=alert.kind)
    return checkin


def alerts_sweep(now: datetime | None = None, *, dry_run: bool = False) -> list[Case]:
    """Raise an alert for every open case whose check-in is overdue (periodic job).

    Idempotent: one alert per missed due time, however often it runs. Returns the
    cases that got a new alert (or would, with `dry_run`).
    """
    now = now or timezone.now()
    overdue = list(
        Case.objects.filter(next_checkin_due__lt=now - GRACE, closed__isnull=True)
        .exclude(Exists(Alert.objects.filter(case=OuterRef("pk"), kind=Alert.Kind.MISSED_CHECKIN,
                                             due=OuterRef("next_checkin_due"))))
        .only("id", "code", "organisation_id", "next_checkin_due")
    )
    if dry_run:
        return overdue
    raised = []
    for case in overdue:
        try:
            with transaction.atomic():
                Alert.objects.create(organisation_id=case.organisation_id, case=case,
                                     kind=Alert.Kind.MISSED_CHECKIN, due=case.next_checkin_due)
                record(CaseEvent.ALERT_RAISED, actor="system:scheduler", organisation=str(case.organisation_id),
                       obj=case, kind=Alert.Kind.MISSED_CHECKIN)
        except IntegrityError:
            continue  # another worker's sweep raised it first
        raised.append(case)
    if raised:
        from corridor.accounts.notify import alert_email

        alert_email()  # one notice per sweep, with nothing about which cases
    return raised


def alert_resolve(*, actor, alert: Alert, note: str = "") -> Alert:
    if alert.resolved:
        raise ValidationError(_("This alert was already resolved."))
    with transaction.atomic():
        alert.resolved = timezone.now()
        alert.resolved_by = user_or_none(actor)
        alert.save(update_fields=["resolved", "resolved_by"])
        note = clean_text(note)
        if note:
            entry = Note(case=alert.case, kind=Note.Kind.NOTE, actor=user_or_none(actor))
            entry.text = note
            entry.save(force_insert=True)
        record(CaseEvent.ALERT_RESOLVED, actor=actor, organisation=str(alert.organisation_id), obj=alert.case,
               kind=alert.kind)
    return alert
