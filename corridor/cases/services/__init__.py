"""Writes for the cases app. Each service is atomic and records its audit entry in
the same transaction; user-correctable problems raise `ValidationError` with a
translated message (`StaleEdit` when someone else saved first)."""

from corridor.cases.services._common import StaleEdit
from corridor.cases.services.access import (
    break_glass_open,
    break_glass_seen,
    export_decide,
    export_request,
    export_take,
)
from corridor.cases.services.cases import (
    case_assign,
    case_open,
    case_transition,
    case_update,
    case_viewed,
    checklist_set,
    note_add,
)
from corridor.cases.services.destinations import (
    application_add,
    application_decide,
    embassy_contact_record,
    embassy_create,
    embassy_update,
)
from corridor.cases.services.people import (
    household_add_member,
    household_create,
    identifier_add,
    identifier_remove,
    next_code,
    person_create,
    person_erase,
    person_set_wanted,
    person_update,
    relative_add,
)
from corridor.cases.services.referrals import (
    referral_accept,
    referral_create,
    referral_decline,
    referral_withdraw,
)
from corridor.cases.services.safety import (
    alert_resolve,
    alerts_sweep,
    checkin_record,
    checkin_schedule,
)
from corridor.cases.services.support import (
    document_add,
    document_update,
    service_add,
    service_update,
)

__all__ = [
    "StaleEdit", "alert_resolve", "alerts_sweep", "application_add", "application_decide", "break_glass_open",
    "break_glass_seen", "case_assign", "case_open", "case_transition", "case_update", "case_viewed",
    "checkin_record", "checkin_schedule", "checklist_set", "document_add", "document_update",
    "embassy_contact_record", "embassy_create", "embassy_update", "export_decide", "export_request",
    "export_take", "household_add_member", "household_create", "identifier_add", "identifier_remove",
    "next_code", "note_add", "person_create", "person_erase", "person_set_wanted", "person_update",
    "referral_accept", "referral_create", "referral_decline", "referral_withdraw", "relative_add",
    "service_add", "service_update",
]
