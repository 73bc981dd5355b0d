"""Funds: donations and expenses, as the finance pages list and record them.

Through a token these are amounts, dates, categories, campaigns and pseudonymous
case codes only. A write token with FUNDS_EDIT records donations (a donor by id,
or anonymous) and expenses (a payee, a description, a case by its code) through
the services the pages use (`donation_record`, `expense_record`: closed months,
the two-person threshold, audit), but no answer ever carries a donor's identity
or a payee. Approving an expense is the second person's act and stays in the pages.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from corridor.accounts.permissions import Perm
from corridor.api.schemas import ERRORS, PAGE_SIZE, links, page_slice
from corridor.funds import selectors, services
from corridor.funds.models import Category

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


def _donation(d) -> dict:
    return {"id": d.id, "date": d.date, "amount_minor": d.amount_minor, "currency": d.currency, "source": d.source,
            "campaign": d.campaign.name if d.campaign else None, "restriction": d.restriction}


def _expense(x) -> dict:
    return {"id": x.id, "date": x.date, "amount_minor": x.amount_minor, "currency": x.currency,
            "category": x.category, "status": x.status, "case": x.case.code if x.case else None}


@router.get("/donations", response={200: DonationPage, **ERRORS}, url_name="funds_donations",
            summary="Donations, newest first",
            openapi_extra=links(200, {"funds_donation": {"donation_id": "$response.body#/results/0/id"}}))
def donations(request, page: int = Query(1, ge=1, le=10**6)):
    rows = list(selectors.donations_for_user(request.auth)[page_slice(page)])
    more = len(rows) > PAGE_SIZE
    return {"page": page, "more": more, "results": [_donation(d) for d in rows[:PAGE_SIZE]]}


@router.get("/expenses", response={200: ExpensePage, **ERRORS}, url_name="funds_expenses",
            summary="Expenses, newest first",
            openapi_extra=links(200, {"funds_expense": {"expense_id": "$response.body#/results/0/id"}}))
def expenses(request, page: int = Query(1, ge=1, le=10**6), status: str = "", category: str = ""):
    rows = list(selectors.expenses_for_user(request.auth, status=status[:16], category=category[:16])
                [page_slice(page)])
    more = len(rows) > PAGE_SIZE
    return {"page": page, "more": more, "results": [_expense(x) for x in rows[:PAGE_SIZE]]}


@router.get("/donations/{donation_id}", response={200: DonationOut, **ERRORS}, url_name="funds_donation",
            summary="One donation")
def donation(request, donation_id: uuid.UUID):
    return _donation(selectors.get_donation_for_user(request.auth, donation_id))


@router.get("/expenses/{expense_id}", response={200: ExpenseOut, **ERRORS}, url_name="funds_expense",
            summary="One expense (its status says whether a second finance officer must approve it)")
def expense(request, expense_id: uuid.UUID):
    return _expense(selectors.get_expense_for_user(request.auth, expense_id))


# --- recording ----------------------------------------------------------------------------------
AMOUNT = "decimal in the currency's units, e.g. 1500.50 (a comma works too)"


class DonationIn(Schema):
    date: date
    amount: str = Field(..., max_length=40, description=AMOUNT)
    currency: str = Field(..., max_length=8, description="ISO 4217, e.g. RUB, EUR")
    donor: uuid.UUID | None = Field(None, description="a donor of the organisation; null: anonymous")
    campaign: uuid.UUID | None = None
    restriction: Category | None = Field(None, description="the purpose the donor restricted it to, if any")


class ExpenseIn(Schema):
    date: date
    amount: str = Field(..., max_length=40, description=AMOUNT)
    currency: str = Field(..., max_length=8)
    category: Category
    payee: str = Field("", max_length=300, description="encrypted; never shown through the API")
    description: str = Field("", max_length=4000, description="encrypted; never shown through the API")
    case: str | None = Field(None, max_length=16, description="the case's pseudonym, e.g. K-0413")


# A service's message names no field; its code says which one it is about.
_FIELD_OF = {"currency": "currency", "malformed": "amount", "zero": "amount", "negative": "amount",
             "too_large": "amount", "precision": "amount", "date": "date", "future": "date", "closed": "date",
             "restriction": "restriction", "category": "category"}


def _recording(run):
    try:
        return run()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        fields: dict[str, list[str]] = {}
        for error in exc.error_list:
            fields.setdefault(_FIELD_OF.get(error.code or "", "__all__"), []).extend(error.messages)
        raise ValidationError(fields) from None


def _require_edit(user) -> None:
    # As the pages' require_perm(FUNDS_EDIT): a 404 for a role or token without it.
    if not (user.can(Perm.FUNDS_VIEW) and user.can(Perm.FUNDS_EDIT)):
        raise Http404


@router.post("/donations", response={201: DonationOut, **ERRORS}, url_name="funds_donation_record",
             summary="Record a donation (write token with the funds permission)",
             openapi_extra=links(201, {"funds_donation": {"donation_id": "$response.body#/id"}}))
def donation_record(request, body: DonationIn):
    user = request.auth
    _require_edit(user)
    donor = selectors.get_donor_for_user(user, body.donor) if body.donor else None
    campaign = selectors.get_campaign_for_user(user, body.campaign) if body.campaign else None
    made = _recording(lambda: services.donation_record(
        actor=user, organisation=user.organisation, date=body.date, amount=body.amount, currency=body.currency,
        donor=donor, campaign=campaign, restriction=body.restriction or ""))
    return Status(201, _donation(made))


@router.post("/expenses", response={201: ExpenseOut, **ERRORS}, url_name="funds_expense_record",
             summary="Record an expense; above the threshold it waits for a second finance officer's approval",
             openapi_extra=links(201, {"funds_expense": {"expense_id": "$response.body#/id"}}))
def expense_record(request, body: ExpenseIn):
    user = request.auth
    _require_edit(user)
    case = None
    if body.case:
        case = selectors.case_for_expense(user, body.case)
        if case is None:
            raise ValidationError({"case": _("There is no case with this pseudonym in your organisation.")})
    made = _recording(lambda: services.expense_record(
        actor=user, organisation=user.organisation, date=body.date, amount=body.amount, currency=body.currency,
        category=body.category, payee=body.payee, description=body.description, case=case))
    return Status(201, _expense(made))
