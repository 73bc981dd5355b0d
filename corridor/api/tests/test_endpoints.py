"""Each endpoint does what the page does, through the same access functions and
services: the same audit entries, the same refusals, the same unwrap ceiling."""

from __future__ import annotations

import pytest

from corridor.audit.models import AuditEntry
from corridor.cases.events import CaseEvent
from corridor.cases.models import BreakGlass
from corridor.keyd.policy import UnwrapPolicy

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_the_openapi_document_is_3_1_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/cases/{code}/stage" in document["paths"]
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    # The public statistics need no token; everything else does.
    assert "security" not in document["paths"]["/api/v1/public/reports"]["get"]
    assert document["paths"]["/api/v1/cases"]["get"]["security"] == [{"TokenAuth": []}]


def test_no_token_no_data(client, cases):
    for url in ("/api/v1/cases", f"/api/v1/cases/{cases.alice.code}", "/api/v1/intake/contacts",
                "/api/v1/violations/events", "/api/v1/funds/donations"):
        response = client.get(url)
        assert response.status_code == 401 and "Алиса" not in response.content.decode()


def test_reading_a_case_is_recorded_as_on_the_page(cast, cases, token_for, api_client):
    data = api_client(token_for(cast.alice)).get(f"/api/v1/cases/{cases.alice.code}").json()
    assert data["access_via"] == "assigned" and data["summary"] == "summary of Алиса Один"
    assert "vetting" in data["next_stages"]
    viewed = AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED, object_id=cases.alice.audit_id)
    assert viewed.count() == 1 and viewed.get().actor == cast.alice.principal


def test_break_glass_needs_a_reason_and_is_logged(cast, cases, token_for, api_client):
    secret = token_for(cast.alice)  # a read token: break-glass opens a case for reading
    client = api_client(secret)
    assert client.post(f"/api/v1/cases/{cases.bob.code}/break-glass", {"reason": ""},
                       content_type=JSON).status_code == 422
    response = client.post(f"/api/v1/cases/{cases.bob.code}/break-glass", {"reason": "Bob is ill, urgent call"},
                           content_type=JSON)
    assert response.status_code == 200 and response.json()["access_via"] == "break_glass"
    assert BreakGlass.objects.filter(user=cast.alice, case=cases.bob).exists()
    assert client.get(f"/api/v1/cases/{cases.bob.code}").status_code == 200
    # Without the break-glass scope, the same token kind is simply refused.
    narrow = api_client(token_for(cast.alice, scope=["case_view_assigned"]))
    assert narrow.post(f"/api/v1/cases/{cases.charlie.code}/break-glass", {"reason": "x"},
                       content_type=JSON).status_code == 404


def test_a_write_token_moves_a_stage_through_the_service(cast, cases, token_for, api_client):
    client = api_client(token_for(cast.alice, write=True))
    response = client.post(f"/api/v1/cases/{cases.alice.code}/stage", {"to_stage": "vetting", "reason": "called"},
                           content_type=JSON)
    assert response.status_code == 200, response.content
    cases.alice.refresh_from_db()
    assert cases.alice.stage == "vetting"
    assert AuditEntry.objects.filter(code=CaseEvent.CASE_STAGE_CHANGED).count() == 1
    # The service's refusals come back as 422 with its message; a stale version too.
    response = client.post(f"/api/v1/cases/{cases.alice.code}/stage", {"to_stage": "resettled", "reason": "x"},
                           content_type=JSON)
    assert response.status_code == 422 and "to_stage" in response.json()["detail"]
    response = client.post(f"/api/v1/cases/{cases.alice.code}/stage",
                           {"to_stage": "accepted", "reason": "x", "expected_version": 1}, content_type=JSON)
    assert response.status_code == 422
    # Bob's case stays out of reach for writing too.
    response = client.post(f"/api/v1/cases/{cases.bob.code}/stage", {"to_stage": "vetting", "reason": "x"},
                           content_type=JSON)
    assert response.status_code == 403 and response.json()["detail"] == "break_glass_required"


def test_check_ins_are_recorded_and_listed(cast, cases, token_for, api_client):
    client = api_client(token_for(cast.alice, write=True))
    response = client.post(f"/api/v1/cases/{cases.alice.code}/checkins",
                           {"status": "ok", "channel": "call", "note": "all well"}, content_type=JSON)
    assert response.status_code == 201, response.content
    listed = client.get(f"/api/v1/cases/{cases.alice.code}/checkins").json()
    assert [(c["status"], c["note"]) for c in listed] == [("ok", "all well")]
    assert client.post(f"/api/v1/cases/{cases.alice.code}/checkins", {"status": "fine"},
                       content_type=JSON).status_code == 422


def test_triage_reads_and_decisions_follow_the_role(cast, token_for, api_client):
    from corridor.intake.services import contact_record

    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="They took my friend")
    operator = api_client(token_for(cast.operator, write=True))
    queue = operator.get("/api/v1/intake/contacts").json()
    assert [c["id"] for c in queue["results"]] == [str(contact.pk)]
    assert queue["results"][0]["summary"]["what"] == "They took my friend"
    # An operator may move a contact into vetting but not decline it (TRIAGE_DECIDE).
    assert operator.post(f"/api/v1/intake/contacts/{contact.pk}/status", {"status": "vetting"},
                         content_type=JSON).status_code == 200
    assert operator.post(f"/api/v1/intake/contacts/{contact.pk}/status", {"status": "declined"},
                         content_type=JSON).status_code == 403
    coordinator = api_client(token_for(cast.coordinator, write=True))
    assert coordinator.post(f"/api/v1/intake/contacts/{contact.pk}/status", {"status": "declined"},
                            content_type=JSON).json()["status"] == "declined"
    assert coordinator.post(f"/api/v1/intake/contacts/{contact.pk}/flags",
                            {"flags": ["detained"], "urgency": 3}, content_type=JSON).json()["flags"] == ["detained"]
    # Case workers and the partner organisation see no triage at all.
    for user in (cast.alice, cast.partner_coordinator):
        assert api_client(token_for(user)).get(f"/api/v1/intake/contacts/{contact.pk}").status_code == 404


def test_violations_show_acts_victims_by_pseudonym_and_involvement(cast, world, token_for, api_client):
    legal = api_client(token_for(cast.legal))
    listed = legal.get("/api/v1/violations/events").json()["results"]
    assert {e["code"] for e in listed} == {world.e1.code, world.e2.code}
    event = legal.get(f"/api/v1/violations/events/{world.e1.pk}").json()
    assert event["title"] == "Detentions in Argun"
    victims = {a["victim"] for a in event["acts"]}
    assert world.k1.code in victims
    assert "Test One" not in str(event)
    perps = [p for a in event["acts"] for p in a["perpetrators"]]
    assert perps and perps[0]["name"] == "Police unit X" and perps[0]["involvement"]
    for user in (cast.alice, cast.finance, cast.partner_coordinator):
        assert api_client(token_for(user)).get(f"/api/v1/violations/events/{world.e1.pk}").status_code == 404


def test_funds_show_amounts_not_donors(cast, token_for, api_client):
    from datetime import date

    from corridor.funds.services import donation_record, donor_create

    donor = donor_create(actor=cast.finance, organisation=cast.org, kind="individual", name="Secret Donor")
    donation_record(actor=cast.finance, organisation=cast.org, donor=donor, date=date(2017, 5, 1),
                    amount="100.00", currency="EUR")
    for user in (cast.finance, cast.coordinator, cast.auditor):
        data = api_client(token_for(user)).get("/api/v1/funds/donations").json()
        assert [d["amount_minor"] for d in data["results"]] == [10000]
        assert "Secret Donor" not in str(data)
    assert api_client(token_for(cast.alice)).get("/api/v1/funds/donations").status_code == 404
    # The partner's coordinator may read funds, of their own organisation only.
    assert api_client(token_for(cast.partner_coordinator)).get("/api/v1/funds/donations").json()["results"] == []
    assert api_client(token_for(cast.finance)).get("/api/v1/funds/expenses").json()["results"] == []


def test_public_reports_need_no_token(client, cast):
    assert client.get("/api/v1/public/reports").json() == []
    assert client.get("/api/v1/public/reports/north").status_code == 404


@pytest.fixture
def small_agent(keyd_agent):
    saved = keyd_agent.agent.policy

    def make(limit):
        keyd_agent.agent.policy = UnwrapPolicy(limit)
        return keyd_agent

    yield make
    keyd_agent.agent.policy = saved


def test_api_reads_count_against_the_owner_s_unwrap_ceiling(cast, token_for, api_client, small_agent, staff_client):
    from corridor.cases import services

    for i in range(60):
        person = services.person_create(actor="system:test", organisation=cast.org,
                                        identity={"name_cyrillic": f"Человек {i}"})
        services.case_open(actor="system:test", person=person)
    secret = token_for(cast.coordinator)
    kd = small_agent(20)  # coordinator: suspended above 40 distinct keys, as on the pages
    response = api_client(secret).get("/api/v1/cases")
    assert response.status_code == 403 and response.json()["detail"] == "suspended"
    cast.coordinator.refresh_from_db()
    assert not cast.coordinator.is_active and not kd.agent.sealed
    # The suspended account's token stops, its page session too; a colleague carries on.
    assert api_client(secret).get("/api/v1/cases").status_code == 401
    assert staff_client(cast.coordinator).get("/staff/cases/").status_code in (302, 403)
    assert api_client(token_for(cast.alice)).get("/api/v1/cases").status_code == 200


def test_refusals_come_in_the_owner_s_language(cast, cases, token_for, api_client):
    secret = token_for(cast.alice, write=True)
    url = f"/api/v1/cases/{cases.alice.code}/stage"
    body = {"to_stage": "vetting", "reason": ""}
    russian = api_client(secret).post(url, body, content_type=JSON).json()["detail"]["reason"][0]
    cast.alice.language = "en"
    cast.alice.save(update_fields=["language"])
    english = api_client(secret).post(url, body, content_type=JSON).json()["detail"]["reason"][0]
    assert english.startswith("Write why the case moves") and russian != english


def test_a_legal_write_token_records_an_event_and_an_act_through_the_services(cast, world, token_for, api_client):
    from corridor.evidence.events import EvidenceEvent
    from corridor.evidence.models import Act, ViolationEvent

    client = api_client(token_for(cast.legal, write=True))
    response = client.post("/api/v1/violations/events", {"title": "Raid in Grozny", "starts": "2017-03-01"},
                           content_type=JSON)
    assert response.status_code == 201, response.content
    event = ViolationEvent.objects.get(pk=response.json()["id"])
    assert event.title == "Raid in Grozny" and event.organisation == cast.org
    body = {"act_type": "arbitrary_detention", "victim": world.k1.code,
            "perpetrators": [{"perpetrator": str(world.unit.pk), "involvement": "ordered"}]}
    response = client.post(f"/api/v1/violations/events/{event.pk}/acts", body, content_type=JSON)
    assert response.status_code == 201, response.content
    act = Act.objects.get(pk=response.json()["id"])
    assert act.victim == world.k1 and act.perpetrator_links.get().involvement == "ordered"
    assert AuditEntry.objects.filter(code=EvidenceEvent.ACT_ADDED).exists()
    # Unknown vocabulary, another organisation's person, a read token: refused.
    assert client.post(f"/api/v1/violations/events/{event.pk}/acts", {**body, "act_type": "nonsense"},
                       content_type=JSON).status_code == 422
    assert client.post(f"/api/v1/violations/events/{event.pk}/acts", {**body, "victim": "P-0001"},
                       content_type=JSON).status_code == 404
    reader = api_client(token_for(cast.legal))
    assert reader.post("/api/v1/violations/events", {"title": "x"}, content_type=JSON).status_code == 403
    # The partner organisation's coordinator cannot reach our event at all.
    partner = api_client(token_for(cast.partner_coordinator, write=True))
    assert partner.post(f"/api/v1/violations/events/{event.pk}/acts", body, content_type=JSON).status_code == 404


def test_a_nul_character_is_refused_before_any_query(cast, token_for, api_client):
    """Schemathesis found /funds/expenses?status=%00 reaching PostgreSQL as a DataError
    (a 500): NUL is now refused for every operation, in parameters and JSON bodies."""
    finance = api_client(token_for(cast.finance))
    assert finance.get("/api/v1/funds/expenses", {"status": "paid"}).status_code == 200
    refused = finance.get("/api/v1/funds/expenses", {"status": "pa\x00id"})
    assert refused.status_code == 400 and refused.json() == {"detail": "nul_character"}
    assert finance.get("/api/v1/funds/expenses", {"categ\x00ory": "x"}).status_code == 400
    writer = api_client(token_for(cast.alice, write=True))
    body = writer.post("/api/v1/violations/events", data='{"title": "a\\u0000b"}', content_type="application/json")
    assert body.status_code == 400
