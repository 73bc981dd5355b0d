"""Every write of the funds app: atomic, validated, audited in the same transaction."""

from corridor.funds.services.budgets import budget_create, budget_update
from corridor.funds.services.campaigns import campaign_create, campaign_update
from corridor.funds.services.common import NotAllowed, PeriodClosed, check_open, is_closed
from corridor.funds.services.donations import (
    donation_correct,
    donation_delete,
    donation_record,
    donation_update,
)
from corridor.funds.services.donors import (
    donor_create,
    donor_erase,
    donor_set_consent,
    donor_update,
)
from corridor.funds.services.expenses import (
    approval_reason,
    approval_threshold,
    expense_approve,
    expense_attach_receipt,
    expense_correct,
    expense_delete,
    expense_link,
    expense_record,
    expense_reject,
    expense_update,
    needs_second_approval,
    receipt_open,
)
from corridor.funds.services.exports import funds_export
from corridor.funds.services.periods import month_digest, period_close
from corridor.funds.services.rates import rate_delete, rate_record, rates_import

__all__ = [
    "NotAllowed", "PeriodClosed", "approval_reason", "approval_threshold", "budget_create", "budget_update", "campaign_create",
    "campaign_update", "check_open", "donation_correct", "donation_delete", "donation_record",
    "donation_update", "donor_create", "donor_erase", "donor_set_consent", "donor_update",
    "expense_approve", "expense_attach_receipt", "expense_correct", "expense_delete", "expense_link",
    "expense_record", "expense_reject", "expense_update", "funds_export", "is_closed", "month_digest", "needs_second_approval",
    "period_close", "rate_delete", "rate_record", "rates_import", "receipt_open",
]
