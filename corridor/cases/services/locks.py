"""Duress locks on cases: set by a duress sign-in, lifted by two different people.

`cases_lock_for_duress` runs inside the duress sign-in's transaction, so the lock,
its audit entry and the DURESS_SIGN_IN entry commit together or not at all. It is
one INSERT ... SELECT over `reachable_cases`, whatever the number of cases: a
coordinator reaching 100,000 cases costs one statement, well inside the sign-in
padding floor (bench/duress_lock.py), so the response time does not show it.

Unlocking: someone with `CASE_UNLOCK` asks, someone else approves or cancels. Each
step is a conditional UPDATE on the lock's status, so two approvals sent at once
unlock once and the second is told it was already done. The coerced account takes
no part in any step.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import UUIDField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import CaseLock, LockedCase


def cases_lock_for_duress(*, user) -> CaseLock | None:
    """Lock every case `user` could open now; None if it reaches none. Must run in
    the caller's transaction (the duress sign-in)."""
    from corridor.cases.selectors import reachable_cases

    lock = CaseLock.objects.create(organisation_id=user.organisation_id, user=user)
    source = (reachable_cases(user).order_by()
              .annotate(lock_ref=Value(lock.pk, output_field=UUIDField()))
              .values_list("lock_ref", "pk"))
    select_sql, params = source.query.sql_with_params()
    table = LockedCase._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(table)} ({quote('lock_id')}, {quote('case_id')}) {select_sql}", params)
        count = max(cursor.rowcount, 0)
    if not count:
        lock.delete()
        return None
    CaseLock.objects.filter(pk=lock.pk).update(cases=count)
    lock.cases = count
    record(CaseEvent.CASES_LOCKED_BY_DURESS, actor="system:duress", organisation=str(user.organisation_id),
           obj=lock, user=str(user.pk), cases=count)
    return lock


def active_lock_exists(user) -> bool:
    return CaseLock.objects.filter(user_id=user.pk).exclude(status=CaseLock.Status.UNLOCKED).exists()


def _check_actor(actor, lock: CaseLock) -> None:
    if not actor.can(Perm.CASE_UNLOCK) or actor.organisation_id != lock.organisation_id:
        raise ValidationError(_("You may not unlock cases."))
    if actor.pk == lock.user_id:
        raise ValidationError(_("The account that signed in under duress cannot take part in unlocking its cases."))


def case_unlock_request(*, actor, lock: CaseLock) -> None:
    _check_actor(actor, lock)
    with transaction.atomic():
        now = timezone.now()
        changed = (CaseLock.objects.filter(pk=lock.pk, status=CaseLock.Status.LOCKED)
                   .update(status=CaseLock.Status.REQUESTED, requested_by=actor, requested_at=now))
        if not changed:
            raise ValidationError(_("This lock is not waiting for an unlock request any more."))
        record(CaseEvent.CASE_UNLOCK_REQUESTED, actor=actor, organisation=str(lock.organisation_id), obj=lock,
               cases=lock.cases)


def case_unlock_approve(*, actor, lock: CaseLock) -> int:
    """Lift the lock; returns how many case rows were released."""
    _check_actor(actor, lock)
    with transaction.atomic():
        # One conditional UPDATE decides: a second approval, the asker approving
        # their own request, or an approval after a cancel all change nothing.
        changed = (CaseLock.objects.filter(pk=lock.pk, status=CaseLock.Status.REQUESTED)
                   .exclude(requested_by_id=actor.pk)
                   .update(status=CaseLock.Status.UNLOCKED, unlocked_by=actor, unlocked_at=timezone.now()))
        if not changed:
            current = CaseLock.objects.filter(pk=lock.pk).values_list("status", "requested_by_id").first()
            if current and current[0] == CaseLock.Status.REQUESTED and current[1] == actor.pk:
                raise ValidationError(_("Someone other than the person who asked must approve the unlock."))
            if current and current[0] == CaseLock.Status.UNLOCKED:
                raise ValidationError(_("These cases were already unlocked."))
            raise ValidationError(_("Nobody has asked to unlock these cases yet."))
        released, _detail = LockedCase.objects.filter(lock_id=lock.pk).delete()
        record(CaseEvent.CASES_UNLOCKED, actor=actor, organisation=str(lock.organisation_id), obj=lock,
               cases=lock.cases, requested_by=str(lock.requested_by_id or ""))
    return released


def case_unlock_cancel(*, actor, lock: CaseLock) -> None:
    """Refuse (or withdraw) an unlock request: the cases stay locked."""
    _check_actor(actor, lock)
    with transaction.atomic():
        changed = (CaseLock.objects.filter(pk=lock.pk, status=CaseLock.Status.REQUESTED)
                   .update(status=CaseLock.Status.LOCKED, requested_by=None, requested_at=None))
        if not changed:
            raise ValidationError(_("There is no unlock request to cancel."))
        record(CaseEvent.CASE_UNLOCK_CANCELLED, actor=actor, organisation=str(lock.organisation_id), obj=lock,
               requested_by=str(lock.requested_by_id or ""))
