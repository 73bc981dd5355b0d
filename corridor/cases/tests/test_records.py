"""Services, documents, applications, notes and checklists from the case page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.cases import services
from corridor.cases.models import Application, ChecklistTick, Country, Document, Service, Stage

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def case(cast, make_case):
    return make_case(cast.org, worker=cast.alice, stage=Stage.SHELTERED)


def test_a_service_is_dated_within_the_case(cast, staff_client, case):
    for started in (TODAY() + timedelta(days=2), timezone.localtime(case.opened).date() - timedelta(days=1)):
        r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/services/", {
            "kind": "medical", "started": str(started), "outcome": "done", "currency": "RUB"})
        assert r.status_code == 400
    assert not Service.objects.exists()


def test_a_service_records_provider_dates_cost_and_outcome(cast, staff_client, case):
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/services/", {
        "kind": "medical", "provider": "Dr. Secret clinic", "started": str(TODAY() - timedelta(days=20)),
        "ended": str(TODAY() - timedelta(days=10)),
        "cost": "1500.50", "currency": "rub", "outcome": "done", "details": "stitches"})
    assert r.status_code == 302
    service = Service.objects.select_related("case__person__data_key").get()
    assert service.provider == "Dr. Secret clinic" and service.cost == 1500.50 and service.currency == "RUB"
    assert b"Secret" not in bytes(Service.objects.values_list("provider", flat=True).get())


def test_a_service_ending_before_it_started_is_refused(cast, staff_client, case):
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/services/", {
        "kind": "legal", "started": "2026-02-10", "ended": "2026-02-01", "outcome": "done", "currency": "RUB"})
    assert r.status_code == 400 and "before the start date" in r.content.decode()
    assert not Service.objects.exists()


def test_updating_a_service(cast, staff_client, case):
    s = services.service_add(actor=cast.alice, case=case, kind="cash", started=TODAY() - timedelta(days=3))
    client = staff_client(cast.alice)
    r = client.post(f"/staff/cases/{case.code}/services/{s.pk}/", {"ended": TODAY().isoformat(), "outcome": "done",
                                                                 "cost": "5000", "details": ""})
    assert r.status_code == 302 and Service.objects.get().outcome == "done"
    r = client.post(f"/staff/cases/{case.code}/services/{s.pk}/", {
        "ended": (TODAY() - timedelta(days=10)).isoformat(), "outcome": "done"})
    assert r.status_code == 400


def test_documents_with_status_expiry_and_problems(cast, staff_client, case):
    client = staff_client(cast.alice)
    r = client.post(f"/staff/cases/{case.code}/documents/", {
        "kind": "internal_passport", "status": "seized", "number": "96 12 345678", "problems": "taken at the post"})
    assert r.status_code == 302
    doc = Document.objects.get()
    r = client.post(f"/staff/cases/{case.code}/documents/{doc.pk}/", {
        "status": "issued", "number": "96 12 345678", "issued": "2026-01-10", "expires": "2025-01-10"})
    assert r.status_code == 400 and "expires before it was issued" in r.content.decode()
    page = client.get(f"/staff/cases/{case.code}/").content.decode()
    assert "Seized by police" in page and "taken at the post" in page


def test_the_wanted_flag(cast, staff_client, case):
    client = staff_client(cast.alice)
    client.post(f"/staff/cases/{case.code}/wanted/", {"wanted": "on", "note": "federal list, 'terrorism'"})
    page = client.get(f"/staff/cases/{case.code}/").content.decode()
    assert "On a wanted list" in page and "federal list" in page
    assert "wanted" in client.get("/staff/cases/").content.decode()


def test_applications_and_decisions_in_order(cast, staff_client, case):
    client = staff_client(cast.alice)
    r = client.post(f"/staff/cases/{case.code}/applications/", {
        "country": "FR", "programme": "humanitarian_visa", "submitted": (TODAY() - timedelta(days=30)).isoformat()})
    assert r.status_code == 302
    app = Application.objects.get()
    r = client.post(f"/staff/cases/{case.code}/applications/{app.pk}/", {
        "decision": "granted", "decided": (TODAY() - timedelta(days=40)).isoformat()})
    assert r.status_code == 400 and "before the application was submitted" in r.content.decode()
    r = client.post(f"/staff/cases/{case.code}/applications/{app.pk}/", {"decision": "granted"})
    assert r.status_code == 400
    r = client.post(f"/staff/cases/{case.code}/applications/{app.pk}/", {"decision": "granted",
                                                                        "decided": TODAY().isoformat()})
    assert r.status_code == 302 and Application.objects.get().decision == "granted"


def test_an_embassy_of_another_organisation_cannot_be_used(cast, case):
    foreign = services.embassy_create(actor=cast.partner_coordinator, organisation=cast.other_org,
                                      country=Country.objects.get(pk="DE"), city="Berlin")
    with pytest.raises(ValidationError):
        services.application_add(actor=cast.alice, case=case, country=Country.objects.get(pk="DE"),
                                 programme="asylum", submitted=TODAY(), embassy=foreign)


def test_notes_and_checklists(cast, staff_client, case):
    client = staff_client(cast.alice)
    client.post(f"/staff/cases/{case.code}/notes/", {"kind": "call", "text": "She is safe, called at 2 a.m."})
    client.post(f"/staff/cases/{case.code}/checklist/", {"key": "medical_check", "done": "1"})
    assert ChecklistTick.objects.filter(case=case, key="medical_check").exists()
    assert client.post(f"/staff/cases/{case.code}/checklist/", {"key": "nonsense", "done": "1"}).status_code == 400
    page = client.get(f"/staff/cases/{case.code}/").content.decode()
    assert "called at 2 a.m." in page
    client.post(f"/staff/cases/{case.code}/checklist/", {"key": "medical_check", "done": "0"})
    assert not ChecklistTick.objects.filter(key="medical_check").exists()


def test_an_empty_note_is_refused(cast, staff_client, case):
    assert staff_client(cast.alice).post(f"/staff/cases/{case.code}/notes/", {"kind": "note", "text": ""}).status_code == 400


def test_the_timeline_holds_everything(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.RESETTLED)
    services.note_add(actor=cast.alice, case=case, kind="move", text="moved to the second flat")
    kinds = {i["kind"] for i in staff_client(cast.alice).get(f"/staff/cases/{case.code}/").context["timeline"]}
    assert kinds >= {"stage", "note", "application", "decision", "document"}


def test_new_case_page(cast, staff_client):
    client = staff_client(cast.alice)
    r = client.post("/staff/cases/new/", {"name_cyrillic": "Тимур", "phone": "+79281230000", "risk": 4,
                                          "summary": "detained twice"})
    assert r.status_code == 302
    from corridor.cases.models import Case

    case = Case.objects.get()
    assert case.worker == cast.alice and case.stage == Stage.CONTACTED
    assert client.post("/staff/cases/new/", {"risk": 3}).status_code == 200  # needs a name


def test_embassies_and_the_country_board(cast, staff_client, make_case):
    client = staff_client(cast.coordinator)
    r = client.post("/staff/cases/embassies/new/", {"country": "LT", "city": "Москва", "contacts": "консул Ж., +7"})
    assert r.status_code == 302
    embassy = __import__("corridor.cases.models", fromlist=["Embassy"]).Embassy.objects.get()
    assert b"+7" not in bytes(type(embassy).objects.values_list("contacts", flat=True).get())
    client.post(f"/staff/cases/embassies/{embassy.pk}/contact/", {"on": TODAY().isoformat()})
    make_case(cast.org, stage=Stage.DEPARTED)  # granted humanitarian visa from Germany
    c2 = make_case(cast.org, stage=Stage.SHELTERED)
    app = services.application_add(actor="system:test", case=c2, country=Country.objects.get(pk="LT"),
                                   programme="humanitarian_visa", submitted=TODAY() - timedelta(days=40))
    services.application_decide(actor="system:test", application=app, decision="refused", decided=TODAY())
    board = client.get("/staff/cases/countries/").context["board"]
    rows = {r["country"].code: r for r in board["rows"]}
    assert rows["DE"]["granted"] == 1 and rows["LT"]["refused"] == 1 and rows["LT"]["wait"] == 40
    assert rows["LT"]["last_contact"] == TODAY()
    assert board["eu_granting"] == 1 and board["eu_total"] == 27
    assert "1</strong> of 27 EU countries" in client.get("/staff/cases/countries/").content.decode()
    # Counts only: a case worker sees the board, without any name.
    assert staff_client(cast.alice).get("/staff/cases/countries/").status_code == 200


def test_the_funnel(cast, staff_client, make_case):
    make_case(cast.org, stage=Stage.RESETTLED)
    make_case(cast.org, stage=Stage.SHELTERED)
    lost = make_case(cast.org, stage=Stage.ACCEPTED)
    services.case_transition(actor="system:test", case=lost, to_stage=Stage.LOST_CONTACT, reason="silent")
    pipe = staff_client(cast.coordinator).get("/staff/cases/board/").context["pipe"]
    reached = {r["stage"]: r["reached"] for r in pipe["funnel"]}
    assert reached[Stage.CONTACTED] == 3 and reached[Stage.ACCEPTED] == 3 and reached[Stage.SHELTERED] == 2
    assert reached[Stage.RESETTLED] == 1
    assert {r["stage"]: r["n"] for r in pipe["exits"]}[Stage.LOST_CONTACT] == 1
    fragment = staff_client(cast.coordinator).get("/staff/cases/board/", {"risk": "high"},
                                                  HTTP_HX_REQUEST="true").content.decode()
    assert "<svg" in fragment and "<header" not in fragment
