"""The writes the pages allow, through a token: assignment, services, documents,
triage replies and vetting, opening a case from a contact, donations and
expenses. Each goes through the page's service (its audit entry, its refusals),
and each is tried as an attacker would: a read token, a token without the
permission, a token of the other organisation reaching for our records by id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases.events import CaseEvent
from corridor.funds.events import FundsEvent
from corridor.intake.events import IntakeEvent

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type=JSON)


# --- case assignment ---------------------------------------------------------------------
def test_a_coordinator_assigns_a_case_through_the_service(cast, cases, token_for, api_client):
    coordinator = api_client(token_for(cast.coordinator, write=True))
    url = f"/api/v1/cases/{cases.alice.code}/assign"
    response = _post(coordinator, url, {"worker": "bob"})
    assert response.status_code == 200, response.content
    assert response.json()["worker"] == "bob"
    cases.alice.refresh_from_db()
    assert cases.alice.worker == cast.bob
    assert AuditEntry.objects.filter(code=CaseEvent.CASE_ASSIGNED, object_id=cases.alice.audit_id).count() == 1
    # Bob now reads it, Alice no longer does.
    assert api_client(token_for(cast.bob)).get(f"/api/v1/cases/{cases.alice.code}").status_code == 200
    assert api_client(token_for(cast.alice)).get(f"/api/v1/cases/{cases.alice.code}").status_code == 403
    # A stale version, a worker of another organisation, an unknown one: 422, nothing changes.
    stale = _post(coordinator, url, {"worker": "alice", "expected_version": 0})
    assert stale.status_code == 422
    for name in ("charlie", "nobody-here", "fiona"):
        refused = _post(coordinator, url, {"worker": name})
        assert refused.status_code == 422 and "worker" in refused.json()["detail"], name
    cases.alice.refresh_from_db()
    assert cases.alice.worker == cast.bob
    assert _post(coordinator, url, {"worker": None}).json()["worker"] is None


def test_assignment_is_refused_without_the_permission_or_outside_the_organisation(cast, cases, token_for,
                                                                                 api_client):
    url = f"/api/v1/cases/{cases.alice.code}/assign"
    # A case worker's role has no assignment; a read token cannot write at all.
    assert _post(api_client(token_for(cast.alice, write=True)), url, {"worker": "alice"}).status_code == 404
    read = _post(api_client(token_for(cast.coordinator)), url, {"worker": "bob"})
    assert read.status_code == 403 and read.json()["detail"] == "read_only_token"
    # A coordinator's write token without the assign scope.
    narrow = api_client(token_for(cast.coordinator, scope=["case_view_all", "case_edit"], write=True))
    assert _post(narrow, url, {"worker": "bob"}).status_code == 404
    # The partner organisation's coordinator, by our case's code.
    assert _post(api_client(token_for(cast.partner_coordinator, write=True)), url,
                 {"worker": "pat"}).status_code == 404
    cases.alice.refresh_from_db()
    assert cases.alice.worker == cast.alice


# --- services and documents ----------------------------------------------------------------
def test_services_are_recorded_listed_and_updated(cast, cases, token_for, api_client):
    alice = api_client(token_for(cast.alice, write=True))
    today = timezone.localdate().isoformat()
    base = f"/api/v1/cases/{cases.alice.code}/services"
    response = _post(alice, base, {"kind": "medical", "started": today, "provider": "Clinic 3", "cost": "1500.50",
                                   "details": "dentist"})
    assert response.status_code == 201, response.content
    service = response.json()
    assert service["provider"] == "Clinic 3" and service["outcome"] == "ongoing"
    assert [s["id"] for s in alice.get(base).json()] == [service["id"]]
    updated = _post(alice, f"{base}/{service['id']}", {"outcome": "done", "ended": today, "cost": "1600"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["outcome"] == "done" and updated.json()["details"] == "dentist"
    assert AuditEntry.objects.filter(code__in=[CaseEvent.SERVICE_ADDED, CaseEvent.SERVICE_UPDATED]).count() == 2
    # The service's own checks: before the case began, an end before the start.
    long_ago = (timezone.localdate() - timedelta(days=400)).isoformat()
    assert "started" in _post(alice, base, {"kind": "legal", "started": long_ago}).json()["detail"]
    bad_end = _post(alice, f"{base}/{service['id']}", {"outcome": "done", "ended": long_ago})
    assert bad_end.status_code == 422
    # Bob's case and its service stay out of reach, by code and by id under Alice's case.
    bob = api_client(token_for(cast.bob, write=True))
    bobs = _post(bob, f"/api/v1/cases/{cases.bob.code}/services", {"kind": "travel", "started": today}).json()
    assert _post(alice, f"{base}/{bobs['id']}", {"outcome": "failed"}).status_code == 404
    assert alice.get(f"/api/v1/cases/{cases.bob.code}/services").status_code == 403  # break-glass first
    partner = api_client(token_for(cast.partner_coordinator, write=True))
    assert partner.get(base).status_code == 404
    assert _post(partner, f"{base}/{service['id']}", {"outcome": "failed"}).status_code == 404
    reader = api_client(token_for(cast.alice))
    assert _post(reader, base, {"kind": "medical", "started": today}).json()["detail"] == "read_only_token"


def test_documents_are_recorded_listed_and_updated(cast, cases, token_for, api_client):
    from corridor.cases.models import Document

    alice = api_client(token_for(cast.alice, write=True))
    base = f"/api/v1/cases/{cases.alice.code}/documents"
    response = _post(alice, base, {"kind": "international_passport", "status": "have", "number": "75 1234567",
                                   "expires": "2030-01-31"})
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["number"] == "75 1234567" and doc["usable"] is True
    # Stored encrypted, as the page stores it.
    assert b"1234567" not in bytes(Document.objects.values_list("number", flat=True).get(pk=doc["id"]))
    assert [d["id"] for d in alice.get(base).json()] == [doc["id"]]
    updated = _post(alice, f"{base}/{doc['id']}", {"status": "seized", "problems": "taken at the checkpoint"})
    assert updated.status_code == 200 and updated.json()["status"] == "seized"
    assert updated.json()["number"] == "75 1234567"  # null keeps the number
    assert AuditEntry.objects.filter(code__in=[CaseEvent.DOCUMENT_ADDED, CaseEvent.DOCUMENT_UPDATED]).count() == 2
    bad = _post(alice, base, {"kind": "other", "status": "have", "number": "№ 12/34"})
    assert bad.status_code == 422 and "number" in bad.json()["detail"]
    assert _post(alice, base, {"kind": "other", "status": "have", "issued": "2020-01-02",
                               "expires": "2019-01-01"}).status_code == 422
    assert _post(alice, base, {"kind": "passport-ish", "status": "have"}).status_code == 422
    # Someone else's document id under Alice's case, and the other organisation: 404.
    bob = api_client(token_for(cast.bob, write=True))
    bobs = _post(bob, f"/api/v1/cases/{cases.bob.code}/documents", {"kind": "other", "status": "lost"}).json()
    assert _post(alice, f"{base}/{bobs['id']}", {"status": "issued"}).status_code == 404
    charlie = api_client(token_for(cast.charlie, write=True))
    assert charlie.get(base).status_code == 404
    assert _post(charlie, f"{base}/{doc['id']}", {"status": "issued"}).status_code == 404


def test_break_glass_reads_services_but_never_writes_them(cast, cases, token_for, api_client):
    legal = api_client(token_for(cast.legal, write=True))
    base = f"/api/v1/cases/{cases.alice.code}/services"
    assert legal.get(base).json()["detail"] == "break_glass_required"
    assert _post(legal, f"/api/v1/cases/{cases.alice.code}/break-glass",
                 {"reason": "Preparing the ECHR application"}).status_code == 200
    assert legal.get(base).status_code == 200
    # The legal officer's role has no case edit: the write is refused like on the page.
    today = timezone.localdate().isoformat()
    assert _post(legal, base, {"kind": "legal", "started": today}).status_code == 404


# --- triage: vetting, replies, handled, opening a case -----------------------------------------------
@pytest.fixture
def web_contact(cast, monkeypatch):
    """A contact from the public form (so it has a receipt to reply to), opened."""
    from django.test import Client

    from corridor.intake import receipts
    from corridor.intake.models import Contact
    from corridor.intake.services import messages_open
    from corridor.intake.tests.conftest import receipt_from, submit

    monkeypatch.setattr(receipts, "TIME_COST", 1)
    monkeypatch.setattr(receipts, "MEMORY_KIB", 64)
    receipt_from(submit(Client(), what="Задержали брата, ищут меня", where="Грозный"))
    messages_open(actor=cast.operator, organisation=cast.org)
    return Contact.objects.select_related("data_key").get()


def test_an_operator_vets_replies_and_marks_handled(cast, web_contact, token_for, api_client):
    from corridor.intake.models import Message

    operator = api_client(token_for(cast.operator, write=True))
    base = f"/api/v1/intake/contacts/{web_contact.pk}"
    state = operator.get(f"{base}/vetting").json()
    assert state["checks"] == [] and state["needs_override"] is True
    response = _post(operator, f"{base}/vetting", {"item": "consistency", "outcome": "passed", "note": "same story"})
    assert response.status_code == 201, response.content
    assert [(c["item"], c["by"]) for c in response.json()["checks"]] == [("consistency", "otto")]
    assert operator.get(base).json()["status"] == "vetting"
    # A suspicion needs its reason, as on the page.
    refused = _post(operator, f"{base}/vetting", {"item": "provocateur", "outcome": "failed", "note": "odd"})
    assert refused.status_code == 422 and "note" in refused.json()["detail"]
    reply = _post(operator, f"{base}/reply", {"text": "Мы получили ваше сообщение. Ждите звонка."})
    assert reply.status_code == 201, reply.content
    out = Message.objects.get(direction="out")
    assert out.reply is not None and out.contact_id == web_contact.pk
    assert AuditEntry.objects.filter(code=IntakeEvent.REPLY_SENT).count() == 1
    assert _post(operator, f"{base}/reply", {"text": "   "}).status_code == 422
    assert "text" in _post(operator, f"{base}/reply", {"text": "bad \x07 bell"}).json()["detail"]
    web_contact.__class__.objects.filter(pk=web_contact.pk).update(awaiting_reply=True)
    handled = _post(operator, f"{base}/handled")
    assert handled.status_code == 200 and handled.json()["awaiting_reply"] is False
    assert AuditEntry.objects.filter(code=IntakeEvent.STATUS_CHANGED).exists()
    # A read token, a case worker, the other organisation: none of them reach it.
    read = api_client(token_for(cast.operator))
    for path in ("/reply", "/handled", "/vetting"):
        assert _post(read, base + path, {"text": "x"}).json()["detail"] == "read_only_token"
    for user in (cast.alice, cast.partner_coordinator):
        other = api_client(token_for(user, write=True))
        assert _post(other, f"{base}/reply", {"text": "hello"}).status_code == 404
        assert other.get(f"{base}/vetting").status_code == 404
    assert Message.objects.filter(direction="out").count() == 1


def test_a_recorded_call_has_no_receipt_to_reply_to(cast, token_for, api_client):
    from corridor.intake.services import contact_record

    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="Called from a kiosk")
    refused = _post(api_client(token_for(cast.operator, write=True)), f"/api/v1/intake/contacts/{contact.pk}/reply",
                    {"text": "hello"})
    assert refused.status_code == 422


def test_opening_a_case_from_a_contact_follows_vetting_and_the_decide_permission(cast, web_contact, token_for,
                                                                                api_client):
    from corridor.cases.models import Case

    url = f"/api/v1/intake/contacts/{web_contact.pk}/case"
    body = {"name": "Иса Тестов", "phone": "8 (928) 555-11-22", "worker": "alice"}
    # An operator may not decide; a read token may not write.
    assert _post(api_client(token_for(cast.operator, write=True)), url, body).status_code == 404
    assert _post(api_client(token_for(cast.coordinator)), url, body).json()["detail"] == "read_only_token"
    coordinator = api_client(token_for(cast.coordinator, write=True))
    # Nobody vetted it: a written override is needed.
    unvetted = _post(coordinator, url, body)
    assert unvetted.status_code == 422 and "override" in unvetted.json()["detail"]
    assert not Case.objects.filter(organisation=cast.org).exists()
    assert "phone" in _post(coordinator, url, {**body, "phone": "not a phone"}).json()["detail"]
    assert "worker" in _post(coordinator, url, {**body, "worker": "charlie"}).json()["detail"]
    response = _post(coordinator, url, {**body, "override": "Vouched for by our lawyer in person today"})
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    case = Case.objects.get(code=code, organisation=cast.org)
    assert case.worker == cast.alice and case.stage == "accepted" and case.person.display_name == "Иса Тестов"
    assert AuditEntry.objects.filter(code=IntakeEvent.CASE_OPENED_FROM_CONTACT).count() == 1
    # Alice reads her new case; a second attempt opens nothing more.
    assert api_client(token_for(cast.alice)).get(f"/api/v1/cases/{code}").json()["name"] == "Иса Тестов"
    assert _post(coordinator, url, {**body, "override": "Vouched for by our lawyer in person today"}
                 ).status_code == 422
    assert Case.objects.filter(organisation=cast.org).count() == 1
    # The partner organisation's coordinator cannot open a case for our contact.
    assert _post(api_client(token_for(cast.partner_coordinator, write=True)), url,
                 {**body, "override": "x" * 20}).status_code == 404


# --- funds ---------------------------------------------------------------------------------------
def test_a_finance_write_token_records_a_donation_and_reads_it_back(cast, token_for, api_client):
    from corridor.funds.models import Donation
    from corridor.funds.services import donor_create

    donor = donor_create(actor=cast.finance, organisation=cast.org, kind="individual", name="Secret Donor")
    finance = api_client(token_for(cast.finance, write=True))
    response = _post(finance, "/api/v1/funds/donations", {"date": "2017-05-02", "amount": "1 500,50",
                                                          "currency": "eur", "donor": str(donor.pk)})
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["amount_minor"] == 150050 and made["currency"] == "EUR" and made["source"] == "individual"
    assert "Secret Donor" not in response.content.decode()
    assert finance.get(f"/api/v1/funds/donations/{made['id']}").json() == made
    assert Donation.objects.get(pk=made["id"]).created_by == cast.finance
    assert AuditEntry.objects.filter(code=FundsEvent.DONATION_RECORDED).count() == 1
    # The service's refusals on their fields.
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    for body, field in (({"amount": "abc"}, "amount"), ({"amount": "-5"}, "amount"), ({"currency": "XXQ"}, "currency"),
                        ({"date": future}, "date"), ({"restriction": "yachts"}, "restriction")):
        refused = _post(finance, "/api/v1/funds/donations", {"date": "2017-05-02", "amount": "10", "currency": "EUR",
                                                             **body})
        assert refused.status_code == 422 and field in str(refused.json()["detail"]), (body, refused.content)
    assert Donation.objects.count() == 1


def test_funds_writes_are_refused_to_readers_other_roles_and_the_other_organisation(cast, token_for, api_client):
    from corridor.funds.models import Donation, Expense
    from corridor.funds.services import donor_create

    body = {"date": "2017-05-02", "amount": "10", "currency": "EUR"}
    read = _post(api_client(token_for(cast.finance)), "/api/v1/funds/donations", body)
    assert read.status_code == 403 and read.json()["detail"] == "read_only_token"
    # A coordinator reads funds but may not record them; an auditor neither.
    for user in (cast.coordinator, cast.auditor, cast.alice):
        client = api_client(token_for(user, write=True))
        assert _post(client, "/api/v1/funds/donations", body).status_code == 404
        assert _post(client, "/api/v1/funds/expenses", {**body, "category": "housing"}).status_code == 404
    # A finance write token of our organisation cannot use the partner's donor...
    partner_donor = donor_create(actor="system:test", organisation=cast.other_org, kind="individual", name="Theirs")
    finance = api_client(token_for(cast.finance, write=True))
    assert _post(finance, "/api/v1/funds/donations", {**body, "donor": str(partner_donor.pk)}).status_code == 404
    # ...and the partner's coordinator cannot read our donation by id.
    ours = _post(finance, "/api/v1/funds/donations", body).json()
    assert api_client(token_for(cast.partner_coordinator)).get(f"/api/v1/funds/donations/{ours['id']}").status_code == 404
    assert Donation.objects.count() == 1 and not Expense.objects.exists()


def test_an_expense_links_a_case_by_code_and_waits_for_approval_above_the_threshold(cast, cases, token_for,
                                                                                    api_client):
    from corridor.funds.models import Expense

    finance = api_client(token_for(cast.finance, write=True))
    body = {"date": "2017-05-02", "amount": "300", "currency": "USD", "category": "housing",
            "payee": "Landlord Ivanov", "case": cases.alice.code.lower()}
    response = _post(finance, "/api/v1/funds/expenses", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["case"] == cases.alice.code and made["status"] == "approved"
    assert "Ivanov" not in response.content.decode()
    assert Expense.objects.get(pk=made["id"]).payee == "Landlord Ivanov"
    big = _post(finance, "/api/v1/funds/expenses", {**body, "amount": "5000"}).json()
    assert big["status"] == "pending"
    assert finance.get(f"/api/v1/funds/expenses/{big['id']}").json()["status"] == "pending"
    assert AuditEntry.objects.filter(code=FundsEvent.EXPENSE_RECORDED).count() == 2
    # The other organisation's case code is not ours to spend on.
    unknown = _post(finance, "/api/v1/funds/expenses", {**body, "case": cases.charlie.code})
    assert unknown.status_code == 422 and "case" in unknown.json()["detail"]
    assert _post(finance, "/api/v1/funds/expenses", {**body, "category": "yachts"}).status_code == 422
    assert Expense.objects.count() == 2
