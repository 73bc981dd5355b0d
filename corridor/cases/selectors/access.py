"""Need-to-know: the one way views reach a case, and everything hanging off one.

A case worker sees the cases assigned to them; a coordinator sees the whole
organisation's; anyone else with `CASE_BREAK_GLASS` must write a reason first,
which is logged and shown to coordinators. Another organisation's case, a missing
case and a case the role may never open all look the same: 404.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.cases.models import (
    Alert,
    Application,
    BreakGlass,
    Case,
    Document,
    Embassy,
    ExportRequest,
    PersonIdentifier,
    Referral,
    Service,
)


class BreakGlassRequired(Exception):
    """The user may open this case only after giving a written reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def visible_cases(user) -> QuerySet[Case]:
    """The cases a list may show this user (break-glass never lists anything)."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    base = Case.objects.filter(organisation_id=user.organisation_id)
    if user.can(Perm.CASE_VIEW_ALL):
        return base
    if user.can(Perm.CASE_VIEW_ASSIGNED):
        return base.filter(worker_id=user.pk)
    return Case.objects.none()


def active_break_glass(user, case: Case) -> BreakGlass | None:
    return (BreakGlass.objects.filter(user=user, case=case, expires__gt=timezone.now())
            .only("id", "expires").order_by("-expires").first())


def access_via(user, case: Case) -> str | None:
    """How this user may open this case: "organisation", "assigned", "break_glass" or None."""
    if case.organisation_id != user.organisation_id:
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
    the user could open it with a written reason but gave none. A `reason` opens it
    (recorded by `break_glass_open`). Every read is recorded as CASE_VIEWED;
    writes record their own events. `write=True` also needs `CASE_EDIT`.
    """
    from corridor.cases.services import break_glass_open, case_viewed

    if not getattr(user, "is_authenticated", False) or not code:
        raise Http404
    try:
        case = (Case.objects.select_related("person__data_key", "worker", "household")
                .get(organisation_id=user.organisation_id, code=str(code).upper()))
    except Case.DoesNotExist:
        raise Http404 from None
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
