"""The permission matrix: the one place that says which role may do what.

Views and services ask `has_perm(user, Perm.X)`; nothing else grants access. An
administrator manages accounts and keys but has no permission that reveals case
content: reading a person, contact, testimony or donor always needs a content role.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Hotline operator")
    CASE_WORKER = "case_worker", _("Case worker")
    COORDINATOR = "coordinator", _("Coordinator")
    LEGAL = "legal", _("Legal officer")
    FINANCE = "finance", _("Finance officer")
    ADMIN = "admin", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


class Perm(StrEnum):
    # accounts / keys
    MANAGE_USERS = "manage_users"
    SEAL = "seal"
    VIEW_AUDIT = "view_audit"
    # intake and triage
    INTAKE_RECORD = "intake_record"
    TRIAGE = "triage"
    TRIAGE_DECIDE = "triage_decide"
    # exposure
    EXPOSURE_IMPORT = "exposure_import"
    # cases: assigned cases only for case workers; the whole organisation for coordinators
    CASE_VIEW_ASSIGNED = "case_view_assigned"
    CASE_VIEW_ALL = "case_view_all"
    CASE_EDIT = "case_edit"
    CASE_ASSIGN = "case_assign"
    CASE_BREAK_GLASS = "case_break_glass"
    CASE_EXPORT_APPROVE = "case_export_approve"
    CASE_REFER = "case_refer"
    # Lift a duress lock on cases (two different people: one asks, another approves).
    CASE_UNLOCK = "case_unlock"
    # housing
    HOUSING_VIEW = "housing_view"
    HOUSING_ADDRESSES = "housing_addresses"
    HOUSING_MANAGE = "housing_manage"
    # evidence and legal
    EVIDENCE_VIEW = "evidence_view"
    EVIDENCE_EDIT = "evidence_edit"
    EVIDENCE_EXPORT = "evidence_export"
    EVIDENCE_APPROVE_EXPORT = "evidence_approve_export"
    # funds
    FUNDS_VIEW = "funds_view"
    FUNDS_EDIT = "funds_edit"
    FUNDS_APPROVE = "funds_approve"
    FUNDS_CLOSE_PERIOD = "funds_close_period"
    # dashboards and aggregate statistics (no personal data)
    DASHBOARD = "dashboard"
    STATISTICS = "statistics"


P = Perm
MATRIX: dict[str, frozenset[Perm]] = {
    Role.OPERATOR: frozenset({P.INTAKE_RECORD, P.TRIAGE, P.EXPOSURE_IMPORT, P.DASHBOARD}),
    Role.CASE_WORKER: frozenset(
        {
            P.INTAKE_RECORD, P.CASE_VIEW_ASSIGNED, P.CASE_EDIT, P.CASE_BREAK_GLASS,
            P.HOUSING_VIEW, P.DASHBOARD,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            P.INTAKE_RECORD, P.TRIAGE, P.TRIAGE_DECIDE, P.EXPOSURE_IMPORT,
            P.CASE_VIEW_ASSIGNED, P.CASE_VIEW_ALL, P.CASE_EDIT, P.CASE_ASSIGN,
            P.CASE_EXPORT_APPROVE, P.CASE_REFER, P.CASE_UNLOCK, P.HOUSING_VIEW, P.HOUSING_ADDRESSES,
            P.HOUSING_MANAGE, P.EVIDENCE_APPROVE_EXPORT, P.FUNDS_VIEW, P.DASHBOARD, P.STATISTICS,
        }
    ),
    Role.LEGAL: frozenset(
        {
            P.EVIDENCE_VIEW, P.EVIDENCE_EDIT, P.EVIDENCE_EXPORT, P.EVIDENCE_APPROVE_EXPORT,
            P.CASE_BREAK_GLASS, P.DASHBOARD, P.STATISTICS,
        }
    ),
    Role.FINANCE: frozenset(
        {P.FUNDS_VIEW, P.FUNDS_EDIT, P.FUNDS_APPROVE, P.FUNDS_CLOSE_PERIOD, P.DASHBOARD, P.STATISTICS}
    ),
    Role.ADMIN: frozenset({P.MANAGE_USERS, P.SEAL, P.VIEW_AUDIT, P.CASE_UNLOCK, P.DASHBOARD}),
    Role.AUDITOR: frozenset({P.VIEW_AUDIT, P.FUNDS_VIEW, P.DASHBOARD, P.STATISTICS}),
}


def perms_for(role: str) -> frozenset[Perm]:
    return MATRIX.get(role, frozenset())


def has_perm(user, perm: Perm) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    # A request made with a personal API token carries the token's scope: the role's
    # permissions narrowed to what the token was given (corridor/api/scopes.py), so
    # every access function and service refuses the rest without knowing about tokens.
    scope = getattr(user, "token_scope", None)
    if scope is not None and perm not in scope:
        return False
    return perm in perms_for(user.role)
