"""Expenses: the two-person rule, encrypted payee and receipt, case links."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.audit.models import AuditEntry
from corridor.crypto import context
from corridor.funds import receipts
from corridor.funds.events import FundsEvent
from corridor.funds.models import Expense
from corridor.funds.services import (
    NotAllowed,
    expense_approve,
    expense_attach_receipt,
    expense_link,
    expense_record,
    expense_reject,
    needs_second_approval,
    receipt_open,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _big(org, cast, **kwargs):
    return expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 10), amount="90000",
                          currency="RUB", category="relocation", **kwargs)


def test_below_the_threshold_an_expense_is_approved_at_once(expense):
    assert expense.status == Expense.Status.APPROVED  # 12,000 RUB = 204 USD


def test_above_the_threshold_a_second_finance_officer_must_approve(org, cast, rates):
    expense = _big(org, cast)  # 90,000 RUB = 1,530 USD
    assert expense.status == Expense.Status.PENDING
    with pytest.raises(NotAllowed):
        expense_approve(actor=cast.finance, expense=expense)
    for who in (cast.coordinator, cast.auditor, cast.admin):
        with pytest.raises(ValidationError):
            expense_approve(actor=who, expense=expense)
    expense = expense_approve(actor=cast.finance2, expense=expense)
    assert expense.status == Expense.Status.APPROVED and expense.decided_by == cast.finance2
    entry = AuditEntry.objects.get(code=FundsEvent.EXPENSE_APPROVED)
    assert entry.actor == cast.finance2.principal
    with pytest.raises(ValidationError):
        expense_approve(actor=cast.finance2, expense=expense)


def test_a_finance_officer_of_another_organisation_cannot_approve(org, cast, rates, partner_finance):
    expense = _big(org, cast)
    with pytest.raises(NotAllowed):
        expense_approve(actor=partner_finance, expense=expense)


def test_a_rejected_expense_is_not_spending(org, cast, rates):
    expense = expense_reject(actor=cast.finance2, expense=_big(org, cast))
    assert expense.status == Expense.Status.REJECTED


def test_without_a_rate_the_threshold_errs_on_the_side_of_a_second_approval(org):
    assert needs_second_approval(org, 10, "GEL", date(2017, 1, 1))


def test_the_payee_is_encrypted(org, cast, expense):
    raw = Expense.objects.filter(pk=expense.pk).values_list("payee", "description").get()
    assert all(b"Landlord" not in bytes(v) and b"rent" not in bytes(v) for v in raw)
    context.cache_clear()
    assert Expense.objects.get(pk=expense.pk).payee == "Landlord Ivanova"


def test_a_receipt_is_encrypted_on_disk_and_reading_it_is_audited(org, cast, expense, settings):
    expense_attach_receipt(actor=cast.finance, expense=expense,
                           upload=SimpleUploadedFile("квитанция.pdf", PDF + b"Landlord Ivanova"))
    blobs = list((settings.CORRIDOR_BLOB_DIR / "funds").rglob("*"))
    stored = [p for p in blobs if p.is_file()]
    assert len(stored) == 1 and b"Landlord" not in stored[0].read_bytes() and b"%PDF" not in stored[0].read_bytes()
    content, content_type, name = receipt_open(actor=cast.finance, expense=Expense.objects.get(pk=expense.pk))
    assert content.startswith(PDF) and content_type == "application/pdf" and name == "квитанция.pdf"
    assert AuditEntry.objects.filter(code=FundsEvent.RECEIPT_DOWNLOADED).count() == 1


def test_a_receipt_moved_to_another_expense_does_not_decrypt(org, cast, expense, rates):
    other = expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 11), amount="100",
                           currency="RUB", category="medical")
    expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile("r.pdf", PDF))
    other.receipt_blob, other.receipt_type = expense.receipt_blob, expense.receipt_type
    from corridor.crypto.errors import DecryptionError

    with pytest.raises(DecryptionError):
        receipts.load(other)


@pytest.mark.parametrize("content,name", [
    (b"MZ\x90\x00 an executable", "receipt.pdf"),
    (b"<html><script>alert(1)</script>", "receipt.jpg"),
    (b"", "empty.pdf"),
])
def test_a_receipt_is_sniffed_not_trusted_by_name(org, cast, expense, content, name):
    with pytest.raises(ValidationError):
        expense_attach_receipt(actor=cast.finance, expense=expense, upload=SimpleUploadedFile(name, content))


def test_an_oversized_receipt_is_refused_while_reading(org, cast, expense, monkeypatch, settings):
    monkeypatch.setattr(receipts, "MAX_RECEIPT_BYTES", 1024)
    with pytest.raises(ValidationError) as exc:
        expense_attach_receipt(actor=cast.finance, expense=expense,
                               upload=SimpleUploadedFile("big.pdf", PDF + b"x" * 4096))
    assert exc.value.code == "too_large"
    assert not (settings.CORRIDOR_BLOB_DIR / "funds").exists() or not any(
        p.is_file() for p in (settings.CORRIDOR_BLOB_DIR / "funds").rglob("*"))


def test_an_expense_links_to_a_case_of_the_same_organisation_only(org, other_org, cast, expense):
    from corridor.reports.tests.conftest import make_cases

    ours = make_cases(org, [("contacted", 1)])[0]
    theirs = make_cases(other_org, [("contacted", 1)], prefix="P")[0]
    expense_link(actor=cast.finance, expense=expense, case=ours)
    assert Expense.objects.get(pk=expense.pk).case == ours
    with pytest.raises(ValidationError):
        expense_link(actor=cast.finance, expense=expense, case=theirs)
    assert AuditEntry.objects.get(code=FundsEvent.EXPENSE_LINKED).data["case"] == ours.code


@pytest.mark.parametrize("field,value", [("category", "gifts"), ("currency", "ZZZ"), ("amount", "-1")])
def test_bad_expenses_are_refused(org, cast, rates, field, value):
    kwargs = {"date": date(2017, 3, 1), "amount": "10", "currency": "RUB", "category": "housing"}
    kwargs[field] = value
    with pytest.raises(ValidationError):
        expense_record(actor=cast.finance, organisation=org, **kwargs)
    assert not Expense.objects.exists()


def test_a_future_date_is_refused(org, cast):
    with pytest.raises(ValidationError):
        expense_record(actor=cast.finance, organisation=org, date=date(2999, 1, 1), amount="10", currency="RUB",
                       category="housing")
