"""Need-to-know: the one way views reach a case, and everything hanging off one.

A case worker sees the cases assigned to them; a coordinator sees the whole
organisation's; anyone else with `CASE_BREAK_GLASS` must write a reason first,
which is logged and shown to coordinators. Another organisation's case, a missing
case and a case the role may never open all look the same: 404.

A case locked by a duress sign-in (models/locks.py) opens for nobody: it leaves
every list, `access_via` is None, and `get_case_for_user` raises `CaseLocked` (a
403 page, `case_locked` in the API), except to the coerced account itself, which
gets the 404 its decoy workspace gives for every case.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.cases.models import (
    Alert,
    Application,
    BreakGlass,
    Case,
    CaseLock,
    Document,
    Embassy,
    ExportRequest,
    LockedCase,
    PersonIdentifier,
    Referral,
    Service,
)


class BreakGlassRequired(Exception):
    """The user may open this case only after giving a written reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CaseLocked(PermissionDenied):
    """The case is locked after a duress sign-in; two people must unlock it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def locked_expr():
    """True for a case some duress lock covers (an indexed EXISTS, no extra query)."""
    return Exists(LockedCase.objects.filter(case_id=OuterRef("pk")))


def is_locked(case: Case) -> bool:
    annotated = case.__dict__.get("locked")
    if annotated is not None:
        return bool(annotated)
    return LockedCase.objects.filter(case_id=case.pk).exists()


def _listed(user) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    base = Case.objects.filter(organisation_id=user.organisation_id)
    if user.can(Perm.CASE_VIEW_ALL):
        return base
    if user.can(Perm.CASE_VIEW_ASSIGNED):
        return base.filter(worker_id=user.pk)
    return Case.objects.none()


def visible_cases(user) -> QuerySet[Case]:
    """The cases a list may show this user (break-glass never lists anything, and
    a locked case is in nobody's list)."""
    return _listed(user).filter(~locked_expr())


def reachable_cases(user) -> QuerySet[Case]:
    """Every case this account could open now without a new reason: its lists, and
    the cases it holds an unexpired break-glass opening for. What a duress lock covers."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user.can(Perm.CASE_VIEW_ALL):
        return _listed(user)
    glass = BreakGlass.objects.filter(user_id=user.pk, expires__gt=timezone.now(), case__isnull=False)
    return Case.objects.filter(Q(pk__in=_listed(user).values("pk")) | Q(pk__in=glass.values("case_id")),
                               organisation_id=user.organisation_id)


def active_break_glass(user, case: Case) -> BreakGlass | None:
    return (BreakGlass.objects.filter(user=user, case=case, expires__gt=timezone.now())
            .only("id", "expires").order_by("-expires").first())


def access_via(user, case: Case) -> str | None:
    """How this user may open this case: "organisation", "assigned", "break_glass" or None."""
    if case.organisation_id != user.organisation_id or is_locked(case):
        return None
    if user.can(Perm.CASE_VIEW_ALL):
        return "organisation"
    if user.can(Perm.CASE_VIEW_ASSIGNED) and case.worker_id == user.pk:
        return "assigned"
    if user.can(Perm.CASE_BREAK_GLASS) and active_break_glass(user, case):
        return "break_glass"
    return None


def get_case_for_user(user, code: str, *, write: bool = False, reason: str | None = None,
                      audit: bool = True) -> Case:
    """The case `code` of the user's organisation, if this user may open it.

    Raises Http404 for missing and not-yours alike, and `BreakGlassRequired` when
    the user could open it with a written reason but gave none, and `CaseLocked`
    when a duress lock covers it (checked first: not even break-glass opens it). A `reason` opens it
    (recorded by `break_glass_open`). Every read is recorded as CASE_VIEWED;
    writes record their own events. `write=True` also needs `CASE_EDIT`.
    """
    from corridor.cases.services import break_glass_open, case_viewed

    if not getattr(user, "is_authenticated", False) or not code:
        raise Http404
    try:
        case = (Case.objects.select_related("person__data_key", "worker", "household")
                .annotate(locked=locked_expr())
                .get(organisation_id=user.organisation_id, code=str(code).upper()))
    except Case.DoesNotExist:
        raise Http404 from None
    if case.locked:
        refuse_locked(user, case.code)
    via = access_via(user, case)
    if via is None:
        if not user.can(Perm.CASE_BREAK_GLASS):
            raise Http404
        if not reason:
            raise BreakGlassRequired(case.code)
        break_glass_open(actor=user, case=case, reason=reason)
        via = "break_glass"
    if write and not user.can(Perm.CASE_EDIT):
        raise Http404
    if audit and not write:
        case_viewed(actor=user, case=case, via=via)
    case.access_via = via
    return case


def refuse_locked(user, code: str):
    """The coerced account must not learn its cases were locked: a plain 404."""
    from corridor.accounts.duress import is_restricted

    if is_restricted(user):
        raise Http404
    raise CaseLocked(code)


def refuse_if_person_locked(user, person_id) -> None:
    """For other apps' records about a person (a testimony): refused like the case
    when a duress lock covers a case of that person."""
    if not person_id:
        return
    code = (LockedCase.objects.filter(case__person_id=person_id)
            .values_list("case__code", flat=True).first())
    if code:
        refuse_locked(user, code)


# --- things that belong to a case: reached only through an accessible case ----------
def _get(qs: QuerySet, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_service(case: Case, pk) -> Service:
    obj = _get(Service.objects.filter(case=case), pk)
    obj.case = case
    return obj


def get_document(case: Case, pk) -> Document:
    obj = _get(Document.objects.filter(person_id=case.person_id), pk)
    obj.person = case.person
    return obj


def get_application(case: Case, pk) -> Application:
    obj = _get(Application.objects.filter(case=case).select_related("country"), pk)
    obj.case = case
    return obj


def get_identifier(case: Case, pk) -> PersonIdentifier:
    obj = _get(PersonIdentifier.objects.filter(person_id=case.person_id), pk)
    obj.person = case.person
    return obj


def get_alert_for_user(user, pk) -> Alert:
    """An open alert on a case this user may act on (assigned, or coordinator)."""
    alert = _get(Alert.objects.select_related("case"), pk)
    if access_via(user, alert.case) not in ("organisation", "assigned"):
        raise Http404
    return alert


def get_embassy_for_user(user, pk) -> Embassy:
    if not (user.can(Perm.CASE_VIEW_ASSIGNED) or user.can(Perm.CASE_VIEW_ALL)):
        raise Http404
    return _get(Embassy.objects.filter(organisation_id=user.organisation_id)
                .select_related("country", "data_key"), pk)


def get_export_for_user(user, pk) -> ExportRequest:
    if not user.can(Perm.CASE_EXPORT_APPROVE):
        raise Http404
    return _get(ExportRequest.objects.filter(organisation_id=user.organisation_id)
                .select_related("requested_by", "decided_by"), pk)


def get_referral_for_user(user, pk) -> Referral:
    """Coordinators of the sending or the receiving organisation only."""
    if not user.can(Perm.CASE_REFER):
        raise Http404
    referral = _get(Referral.objects.select_related("from_org", "to_org", "data_key", "created_by", "decided_by"), pk)
    if user.organisation_id not in (referral.from_org_id, referral.to_org_id):
        raise Http404
    return referral


def get_lock_for_user(user, pk) -> CaseLock:
    """A duress lock of the user's organisation, for those who may unlock cases."""
    if not user.can(Perm.CASE_UNLOCK):
        raise Http404
    return _get(CaseLock.objects.filter(organisation_id=user.organisation_id)
                .select_related("user", "requested_by", "unlocked_by"), pk)


def locks_for_user(user) -> list[CaseLock]:
    """The organisation's locks, the ones still in force first."""
    if not user.can(Perm.CASE_UNLOCK):
        return []
    qs = (CaseLock.objects.filter(organisation_id=user.organisation_id)
          .select_related("user", "requested_by", "unlocked_by"))
    active = list(qs.exclude(status=CaseLock.Status.UNLOCKED))
    return active + list(qs.filter(status=CaseLock.Status.UNLOCKED)[:20])
