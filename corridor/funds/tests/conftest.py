"""Funds fixtures: rates, a few entries, and a partner finance officer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest


@pytest.fixture
def partner_finance(other_org):
    from conftest import _user
    from corridor.accounts.permissions import Role

    return _user(other_org, "pfin", Role.FINANCE)


@pytest.fixture
def rates(org):
    """USD is the report currency; RUB and EUR rates from the start of 2017."""
    from corridor.funds.services import rate_record

    out = []
    for currency, rate in (("RUB", "0.0170"), ("EUR", "1.0600")):
        out.append(rate_record(actor="system:test", organisation=org, currency=currency, quote="USD",
                               date=date(2017, 1, 1), rate=Decimal(rate), source="test"))
    return out


@pytest.fixture
def donor(org):
    from corridor.funds.services import donor_create

    return donor_create(actor="system:test", organisation=org, kind="organisation", name="Rainbow Fund",
                        consent="named", public_name="Rainbow Fund")


@pytest.fixture
def expense(org, cast, rates):
    from corridor.funds.services import expense_record

    return expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 5), amount="12000",
                          currency="RUB", category="housing", payee="Landlord Ivanova", description="March rent")


@pytest.fixture
def donation(org, cast, donor):
    from corridor.funds.services import donation_record

    return donation_record(actor=cast.finance, organisation=org, date=date(2017, 3, 2), amount="5000",
                           currency="USD", donor=donor)
