"""Writes of the intake app, one module per side: the anonymous public
(`public`), triage staff (`triage`), and scheduled work (`housekeeping`)."""

from corridor.intake.services.accept import contact_open_case, vetting_state  # noqa: F401
from corridor.intake.services.housekeeping import (  # noqa: F401
    cleanup_temporaries,
    contacts_erase_expired,
    receipts_expire,
)
from corridor.intake.services.public import (  # noqa: F401
    Duplicate,
    ReceiptRefused,
    follow_up_create,
    receipt_verify,
    submission_create,
)
from corridor.intake.services.triage import (  # noqa: F401
    attachment_read,
    attachment_strip,
    contact_add_identifier,
    contact_add_to_case,
    contact_check_provocateurs,
    contact_record,
    contact_set_flags,
    contact_set_notes,
    contact_set_status,
    contacts_link,
    messages_open,
    reply_send,
    vetting_record,
)
