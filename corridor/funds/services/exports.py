"""CSV export: validated (every rate present) and audited before the first byte."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import chain

from django.db import transaction

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds import exports
from corridor.funds.events import FundsEvent
from corridor.funds.money import check_currency
from corridor.funds.services.common import require


def funds_export(*, actor, organisation, start: date, end: date, currency: str) -> Iterator[str]:
    """The CSV as text chunks. Raises MissingRate (nothing sent, nothing logged)
    when a transaction cannot be converted."""
    require(actor, Perm.FUNDS_VIEW)
    currency = check_currency(currency)
    body = exports.stream(organisation, start, end, currency)
    first = next(body)
    with transaction.atomic():
        record(FundsEvent.EXPORTED, actor=actor, organisation=organisation, object_type="funds.export",
               start=start.isoformat()[:7], end=end.isoformat()[:7], currency=currency)
    return chain([first], body)
