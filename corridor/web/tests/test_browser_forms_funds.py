"""Every funds form, submitted in Chromium by finance officers (two of them where
a second approval is needed), under the production headers and CSRF."""

from __future__ import annotations

import pytest
from django.utils import timezone

from corridor.funds.models import Budget, Campaign, Donation, Donor, ExchangeRate, Expense
from corridor.web.tests.forms_harness import submit, submits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("funds:donor_new", "funds:donor", "funds:donor_consent", "funds:campaign_new", "funds:campaign",
         "funds:donation_new", "funds:donation", "funds:donation_correct", "funds:donation_delete")
def test_a_finance_officer_records_donors_campaigns_and_donations(forms, cast):
    today = timezone.localdate().isoformat()
    page = forms(user=cast.finance)
    page.goto("/staff/funds/donors/new/")
    submit(page, selector="main form[method=post]", values={"kind": "individual", "name": "Мария Иванова",
                                                          "contact": "maria@example.org"})
    donor = Donor.objects.get()
    page.goto(f"/staff/funds/donors/{donor.pk}/")
    submit(page, selector="main form.card:not([action])", values={"notes": "ежемесячно"})
    submit(page, f"/staff/funds/donors/{donor.pk}/consent/", {"consent": "named", "public_name": "Мария И."})
    assert Donor.objects.get().consent == "named"

    page.goto("/staff/funds/campaigns/new/")
    submit(page, selector="main form[method=post]", values={"name": "Зимний сбор", "status": "official"})
    campaign = Campaign.objects.get()
    page.goto(f"/staff/funds/campaigns/{campaign.pk}/")
    submit(page, selector="main form[method=post]", values={"public_note": "на тёплую одежду"})
    assert Campaign.objects.get().public_note == "на тёплую одежду"

    for amount in ("5000", "700"):
        page.goto("/staff/funds/donations/new/")
        submit(page, selector="main form[method=post]", values={"date": today, "amount": amount, "currency": "RUB",
                                                              "donor": str(donor.pk), "campaign": str(campaign.pk)})
    second, first = Donation.objects.order_by("-amount_minor")
    page.goto(f"/staff/funds/donations/{first.pk}/")
    submit(page, selector="main form.card:not([action])", values={"amount": "750"})
    submit(page, f"/staff/funds/donations/{first.pk}/correct/", {"amount": "-50", "date": today})
    page.goto(f"/staff/funds/donations/{second.pk}/")
    submit(page, f"/staff/funds/donations/{second.pk}/delete/")
    assert not Donation.objects.filter(pk=second.pk).exists()
    assert Donation.objects.filter(corrects=first).exists()


@submits("funds:expense_new", "funds:expense", "funds:expense_receipt_upload", "funds:expense_link",
         "funds:expense_correct", "funds:expense_approve", "funds:expense_reject", "funds:expense_delete",
         "funds:rates", "funds:budget_new", "funds:budget", "funds:export")
def test_expenses_need_a_second_officer_above_the_threshold(forms, cast, tmp_path):
    from corridor.cases.services import case_open, person_create
    from corridor.evidence.samples import make_jpeg

    person = person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ислам"})
    case = case_open(actor="system:test", person=person, worker=cast.alice)
    today = timezone.localdate().isoformat()
    page = forms(user=cast.finance)
    for amount, payee in (("2500", "авиакомпания"), ("3000", "гостиница"), ("120", "аптека")):
        page.goto("/staff/funds/expenses/new/")
        submit(page, selector="main form[method=post]", values={"date": today, "amount": amount, "currency": "USD",
                                                              "category": "relocation", "payee": payee})
    big, bigger, small = (Expense.objects.get(amount_minor=a * 100, corrects=None) for a in (2500, 3000, 120))
    assert big.status == "pending" and small.status == "approved"
    page.goto(f"/staff/funds/expenses/{small.pk}/")
    submit(page, selector="main form.card:not([action])", values={"description": "лекарства"})
    receipt = tmp_path / "чек.jpg"
    receipt.write_bytes(make_jpeg())
    submit(page, f"/staff/funds/expenses/{small.pk}/receipt/upload/", {"receipt": str(receipt)})
    assert Expense.objects.get(pk=small.pk).receipt_blob
    submit(page, f"/staff/funds/expenses/{small.pk}/link/", {"case_code": case.code})
    submit(page, f"/staff/funds/expenses/{small.pk}/correct/", {"amount": "-20", "date": today})
    page.goto(f"/staff/funds/expenses/{bigger.pk}/")
    submit(page, f"/staff/funds/expenses/{bigger.pk}/delete/")

    second = forms(user=cast.finance2)
    second.goto(f"/staff/funds/expenses/{big.pk}/")
    submit(second, f"/staff/funds/expenses/{big.pk}/approve/")
    assert Expense.objects.get(pk=big.pk).status == "approved"
    small_again = Expense.objects.filter(status="pending").first()
    if small_again is None:
        page.goto("/staff/funds/expenses/new/")
        submit(page, selector="main form[method=post]", values={"date": today, "amount": "4000", "currency": "USD",
                                                              "category": "housing", "payee": "арендодатель"})
        small_again = Expense.objects.get(amount_minor=400000)
    second.goto(f"/staff/funds/expenses/{small_again.pk}/")
    submit(second, f"/staff/funds/expenses/{small_again.pk}/reject/")
    assert Expense.objects.get(pk=small_again.pk).status == "rejected"

    page.goto("/staff/funds/rates/")
    submit(page, selector="main form.card", values={"quote": "USD", "date": today, "rate": "0.011"})
    assert ExchangeRate.objects.exists()
    month = today[:7]
    page.goto("/staff/funds/budgets/new/")
    submit(page, selector="main form[method=post]", values={"category": "relocation", "start": month, "end": month,
                                                          "amount": "10000", "currency": "USD"})
    budget = Budget.objects.get()
    page.goto(f"/staff/funds/budgets/{budget.pk}/")
    submit(page, selector="main form.card", values={"amount": "12000"})
    page.goto("/staff/funds/export/")
    downloaded = submit(page, selector="main form[method=post]", values={"start": month, "end": month}, download=True)
    assert downloaded.suggested_filename.endswith(".csv")


@submits("funds:donor_erase", "funds:rate_delete")
def test_erasing_a_donor_and_deleting_a_rate_ask_first_in_the_browser(forms, cast):
    from datetime import date
    from decimal import Decimal

    from corridor.funds.services import donor_create, rate_record

    donor = donor_create(actor="system:test", organisation=cast.org, kind="individual", name="Анна Петрова")
    rate = rate_record(actor="system:test", organisation=cast.org, currency="EUR", quote="USD",
                       date=date(2017, 1, 1), rate=Decimal("1.06"), source="test")
    page = forms(user=cast.finance)
    page.goto(f"/staff/funds/donors/{donor.pk}/")
    submit(page, f"/staff/funds/donors/{donor.pk}/erase/")
    # The first post only asks, naming the consequence; nothing is erased yet.
    assert page.locator("#confirm").is_visible()
    assert Donor.objects.get(pk=donor.pk).data_key.wrapped is not None
    page.locator("#confirm form button").first.click()
    page.wait_for_load_state()
    assert Donor.objects.get(pk=donor.pk).data_key.wrapped is None
    page.goto("/staff/funds/rates/")
    submit(page, f"/staff/funds/rates/{rate.pk}/delete/")
    assert ExchangeRate.objects.filter(pk=rate.pk).exists()
    page.locator("#confirm form button").first.click()
    page.wait_for_load_state()
    assert not ExchangeRate.objects.filter(pk=rate.pk).exists()
