"""Reads for the cases app. Views reach cases only through `get_case_for_user`."""

from corridor.cases.selectors.access import (
    BreakGlassRequired,
    CaseLocked,
    access_via,
    get_alert_for_user,
    get_application,
    get_case_for_user,
    get_document,
    get_embassy_for_user,
    get_export_for_user,
    get_identifier,
    get_lock_for_user,
    get_referral_for_user,
    get_service,
    is_locked,
    locked_expr,
    locks_for_user,
    reachable_cases,
    refuse_if_person_locked,
    visible_cases,
)

__all__ = [
    "BreakGlassRequired", "CaseLocked", "access_via", "get_alert_for_user", "get_application", "get_case_for_user",
    "get_document", "get_embassy_for_user", "get_export_for_user", "get_identifier", "get_lock_for_user", "get_referral_for_user",
    "get_service", "is_locked", "locked_expr", "locks_for_user", "reachable_cases", "refuse_if_person_locked", "visible_cases",
]
