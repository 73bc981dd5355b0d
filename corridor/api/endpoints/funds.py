"""Funds: donations and expenses, as the finance pages list them.

Through a token these are amounts, dates, categories, campaigns and pseudonymous
case codes only: donor identities and payees need FUNDS_EDIT, which no token can
be given (corridor/api/scopes.py).
"""

from __future__ import annotations

import uuid
from datetime import date

from ninja import Query, Router, Schema

from corridor.api.schemas import ERRORS, PAGE_SIZE, page_slice
from corridor.funds import selectors

router = Router(tags=["funds"])


class DonationOut(Schema):
    id: uuid.UUID
    date: date
    amount_minor: int
    currency: str
    source: str
    campaign: str | None
    restriction: str


class ExpenseOut(Schema):
    id: uuid.UUID
    date: date
    amount_minor: int
    currency: str
    category: str
    status: str
    case: str | None


class DonationPage(Schema):
    page: int
    more: bool
    results: list[DonationOut]


class ExpensePage(Schema):
    page: int
    more: bool
    results: list[ExpenseOut]


@router.get("/donations", response={200: DonationPage, **ERRORS}, url_name="funds_donations",
            summary="Donations, newest first")
def donations(request, page: int = Query(1, ge=1, le=10**6)):
    rows = list(selectors.donations_for_user(request.auth)[page_slice(page)])
    more = len(rows) > PAGE_SIZE
    return {"page": page, "more": more, "results": [{
        "id": d.id, "date": d.date, "amount_minor": d.amount_minor, "currency": d.currency, "source": d.source,
        "campaign": d.campaign.name if d.campaign else None, "restriction": d.restriction,
    } for d in rows[:PAGE_SIZE]]}


@router.get("/expenses", response={200: ExpensePage, **ERRORS}, url_name="funds_expenses",
            summary="Expenses, newest first")
def expenses(request, page: int = Query(1, ge=1, le=10**6), status: str = "", category: str = ""):
    rows = list(selectors.expenses_for_user(request.auth, status=status[:16], category=category[:16])
                [page_slice(page)])
    more = len(rows) > PAGE_SIZE
    return {"page": page, "more": more, "results": [{
        "id": x.id, "date": x.date, "amount_minor": x.amount_minor, "currency": x.currency,
        "category": x.category, "status": x.status, "case": x.case.code if x.case else None,
    } for x in rows[:PAGE_SIZE]]}
