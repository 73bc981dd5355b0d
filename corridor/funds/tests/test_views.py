"""Every funds and reports staff page, tried with the whole cast; and the main
flows through the real views."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corridor.funds.models import Budget, ClosedPeriod, Donation, Expense
from corridor.funds.services import budget_create, campaign_create

pytestmark = pytest.mark.django_db

CAST = ["alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor", "charlie"]
VIEWERS = {"coordinator", "finance", "auditor"}  # FUNDS_VIEW
EDITORS = {"finance"}  # FUNDS_EDIT
STATISTICS = {"coordinator", "legal", "finance", "auditor"}


@pytest.fixture
def objects(org, cast, expense, donation, donor):
    campaign = campaign_create(actor=cast.finance, organisation=org, name="Appeal", status="official")
    budget = budget_create(actor=cast.finance, organisation=org, category="housing", start=date(2017, 1, 1),
                           end=date(2017, 12, 1), amount="5000", currency="USD")
    return {"expense": expense, "donation": donation, "donor": donor, "campaign": campaign, "budget": budget}


def _pages(objects):
    o = objects
    view = [
        reverse("funds:index"), reverse("funds:months"), reverse("funds:export"), reverse("funds:campaigns"),
        reverse("funds:campaign", args=[o["campaign"].pk]), reverse("funds:donations"),
        reverse("funds:donations") + "?month=2017-03", reverse("funds:donation", args=[o["donation"].pk]),
        reverse("funds:expenses") + "?status=pending&category=housing",
        reverse("funds:expense", args=[o["expense"].pk]), reverse("funds:rates"), reverse("funds:budgets"),
        reverse("funds:budget", args=[o["budget"].pk]),
    ]
    edit = [
        reverse("funds:donors"), reverse("funds:donor_new"), reverse("funds:donor", args=[o["donor"].pk]),
        reverse("funds:campaign_new"), reverse("funds:donation_new"), reverse("funds:expense_new"),
        reverse("funds:budget_new"),
    ]
    stats = [reverse("reports:index"),
             reverse("reports:preview") + "?start=2017-01&end=2017-03&currency=USD"]
    return view, edit, stats


@pytest.mark.parametrize("who", CAST)
def test_every_staff_page_answers_200_or_404_by_role(cast, staff_client, objects, who):
    client = staff_client(getattr(cast, who))
    view, edit, stats = _pages(objects)
    for url in view:
        assert client.get(url).status_code == (200 if who in VIEWERS else 404), url
    for url in edit:
        assert client.get(url).status_code == (200 if who in EDITORS else 404), url
    for url in stats:
        assert client.get(url).status_code == (200 if who in STATISTICS else 404), url


def test_a_finance_officer_of_another_organisation_gets_404_on_our_objects(staff_client, objects, partner_finance):
    client = staff_client(partner_finance)
    for name, key in (("funds:expense", "expense"), ("funds:donation", "donation"), ("funds:donor", "donor"),
                      ("funds:campaign", "campaign"), ("funds:budget", "budget")):
        assert client.get(reverse(name, args=[objects[key].pk])).status_code == 404
        assert client.post(reverse(name, args=[objects[key].pk]), {}).status_code == 404
    assert client.post(reverse("funds:expense_approve", args=[objects["expense"].pk])).status_code == 404
    assert client.get(reverse("funds:expense_receipt", args=[objects["expense"].pk])).status_code == 404
    assert "Landlord" not in client.get(reverse("funds:expenses")).content.decode()


def test_viewers_who_do_not_record_see_no_payee_or_donor_name(cast, staff_client, objects):
    html = staff_client(cast.coordinator).get(reverse("funds:expense", args=[objects["expense"].pk])).content
    assert b"Landlord" not in html
    html = staff_client(cast.auditor).get(reverse("funds:donations")).content.decode()
    assert "Rainbow Fund" not in html
    html = staff_client(cast.finance).get(reverse("funds:expenses")).content.decode()
    assert "Landlord Ivanova" in html


def test_read_only_roles_cannot_post(cast, staff_client, objects):
    client = staff_client(cast.coordinator)
    url = reverse("funds:donation", args=[objects["donation"].pk])
    assert client.post(url, {"date": "2017-03-02", "amount": "1", "currency": "USD"}).status_code == 404
    assert client.post(reverse("funds:month_close", args=["2017-03"])).status_code == 404
    assert client.post(reverse("funds:expense_approve", args=[objects["expense"].pk])).status_code == 404
    assert Donation.objects.get().amount_minor == 500_000


def test_recording_a_donation_with_a_bad_amount_shows_a_translated_error(cast, staff_client, donor):
    client = staff_client(cast.finance)
    response = client.post(reverse("funds:donation_new") + "?lang=ru", {
        "date": "2017-03-05", "amount": "-100", "currency": "USD", "donor": str(donor.pk)})
    assert response.status_code == 200
    assert "не может быть отрицательной" in response.content.decode()
    response = client.post(reverse("funds:donation_new"), {
        "date": "2017-03-05", "amount": "1 500,50", "currency": "RUB", "donor": str(donor.pk)})
    assert response.status_code == 302
    assert Donation.objects.get().amount_minor == 150_050


def test_an_expense_with_a_receipt_through_the_form_then_a_second_approval(cast, staff_client, org, rates):
    from corridor.reports.tests.conftest import make_cases

    case = make_cases(org, [("contacted", 1)])[0]
    response = staff_client(cast.finance).post(reverse("funds:expense_new"), {
        "date": "2017-03-05", "amount": "2000", "currency": "USD", "category": "relocation",
        "payee": "Carrier", "case_code": case.code.lower(),
        "receipt": SimpleUploadedFile("ticket.pdf", b"%PDF-1.4 ticket"),
    })
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.status == Expense.Status.PENDING and expense.case == case and expense.receipt_size
    approve = reverse("funds:expense_approve", args=[expense.pk])
    staff_client(cast.finance).post(approve)
    assert Expense.objects.get().status == Expense.Status.PENDING
    assert staff_client(cast.finance2).post(approve).status_code == 302
    assert Expense.objects.get().status == Expense.Status.APPROVED
    download = staff_client(cast.finance2).get(reverse("funds:expense_receipt", args=[expense.pk]))
    assert download.content == b"%PDF-1.4 ticket"
    assert download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]


def test_an_unknown_case_code_is_a_form_error(cast, staff_client, rates):
    response = staff_client(cast.finance).post(reverse("funds:expense_new") + "?lang=en", {
        "date": "2017-03-05", "amount": "20", "currency": "USD", "category": "medical", "case_code": "K-9999"})
    assert response.status_code == 200 and "no case with this pseudonym" in response.content.decode()
    assert not Expense.objects.exists()


def test_closing_a_month_from_the_months_page(cast, staff_client, expense):
    client = staff_client(cast.finance)
    asked = client.post(reverse("funds:month_close", args=["2017-03"]) + "?lang=en")
    # Irreversible: first a page that names the consequence, nothing closed yet.
    assert asked.status_code == 200 and "freezes its entries" in asked.content.decode()
    assert 'name="confirmed" value="1"' in asked.content.decode()
    assert not ClosedPeriod.objects.exists()
    response = client.post(reverse("funds:month_close", args=["2017-03"]), {"confirmed": "1"})
    assert response.status_code == 302
    assert ClosedPeriod.objects.filter(month=date(2017, 3, 1)).exists()
    response = client.post(reverse("funds:expense", args=[expense.pk]) + "?lang=en", {
        "date": "2017-03-05", "amount": "1", "currency": "RUB", "category": "housing"})
    assert response.status_code == 200 and "is closed" in response.content.decode()
    assert client.post(reverse("funds:month_close", args=["2017-99"])).status_code == 404


def test_the_export_downloads_a_csv(cast, staff_client, expense, donation):
    response = staff_client(cast.auditor).post(reverse("funds:export"), {
        "start": "2017-01", "end": "2017-12", "currency": "USD"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "#value +converted +usd" in body


def test_a_rate_form_error_is_shown(cast, staff_client):
    response = staff_client(cast.finance).post(reverse("funds:rates") + "?lang=en", {
        "currency": "RUB", "quote": "USD", "date": "2017-01-01", "rate": "-1"})
    assert response.status_code == 200 and "positive number" in response.content.decode()


def test_the_budget_page_draws_the_burndown(cast, staff_client, objects):
    html = staff_client(cast.coordinator).get(reverse("funds:budget", args=[objects["budget"].pk])).content
    assert b"<svg" in html and b"polyline" in html
    assert Budget.objects.count() == 1


def test_list_pages_use_a_bounded_number_of_queries(cast, staff_client, org, rates, django_assert_max_num_queries):
    from corridor.funds.services import expense_record

    for i in range(30):
        expense_record(actor=cast.finance, organisation=org, date=date(2017, 3, 1 + i % 28), amount="10",
                       currency="RUB", category="housing", payee=f"payee {i}")
    client = staff_client(cast.finance)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("funds:expenses")).status_code == 200


@pytest.mark.parametrize("who", ["finance", "coordinator", "legal", "alice"])
def test_the_dashboard_shows_the_funds_and_transparency_panels_by_role(cast, staff_client, objects, who):
    html = staff_client(getattr(cast, who)).get("/staff/?lang=en").content.decode()
    assert (reverse("funds:index") in html) == (who in VIEWERS)
    assert (reverse("reports:index") in html) == (who in STATISTICS)


def test_a_small_expense_with_no_rate_says_the_rate_is_missing_not_that_it_is_large(cast, staff_client, rates):
    response = staff_client(cast.finance).post(reverse("funds:expense_new") + "?lang=en", {
        "date": "2017-03-05", "amount": "50", "currency": "GEL", "category": "medical"}, follow=True)
    page = response.content.decode()
    assert Expense.objects.get().status == Expense.Status.PENDING
    assert "There is no exchange rate from GEL to USD" in page
    assert "Above 1000 USD" not in page
