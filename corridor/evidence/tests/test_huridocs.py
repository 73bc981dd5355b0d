"""Violation exports in the HURIDOCS shape and as an Uwazi CSV: only from an export
a second person approved, only what the audience's consent allows, encrypted to the
recipients, and recorded."""

from __future__ import annotations

import csv
import io
import json

import pyrage
import pytest

from corridor.audit.models import AuditEntry
from corridor.evidence import services
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.huridocs import FORMAT, UWAZI_COLUMNS

pytestmark = pytest.mark.django_db


def _open(sealed: bytes, identity) -> bytes:
    return pyrage.decrypt(sealed, [identity.identity])


def test_the_esf_document_links_events_acts_involvements_persons_and_information(built_bundle, world, cast,
                                                                                 identity):
    doc = json.loads(_open(services.bundle_export_as(actor=cast.legal, bundle=built_bundle, kind="huridocs"),
                           identity))
    assert doc["format"] == FORMAT and doc["export"]["approved_by"] == cast.coordinator.principal
    assert [e["record_number"] for e in doc["events"]] == [world.e1.code, world.e2.code]
    acts = {a["record_number"]: a for a in doc["acts"]}
    # ECHR audience: the torture act (internal-only testimony) is withheld, as in the bundle.
    assert sorted(a["type_of_act"]["code"] for a in acts.values()) == ["arbitrary_detention",
                                                                       "enforced_disappearance"]
    assert doc["withheld_for_consent"]["acts"] == 1
    for event in doc["events"]:
        assert all(acts[n]["event"] == event["record_number"] for n in event["acts"])
    detention = next(a for a in acts.values() if a["type_of_act"]["code"] == "arbitrary_detention")
    assert detention["victim"] == world.k1.code and detention["place_of_act"] == ["Argun, former commandant's office"]
    involvement = [i for i in doc["involvements"] if i["act"] == detention["record_number"]]
    assert [i["degree_of_involvement"] for i in involvement] == ["direct"]
    persons = {p["record_number"]: p for p in doc["persons"]}
    assert persons[world.k1.code]["name"] == world.k1.code  # a pseudonym, never a name
    assert persons[involvement[0]["perpetrator"]]["name"] == "Police unit X"
    assert {i["source"] for i in doc["information"]} >= {world.t_public.code, world.t_echr.code}
    body = json.dumps(doc, ensure_ascii=False)
    for secret in ("Test One", "Test Two", world.k2.code, world.t_internal.code, "Only for us.", "basement"):
        assert secret not in body


def test_the_uwazi_csv_has_a_title_per_act_and_pipes_multiple_values(built_bundle, world, cast, identity):
    text = _open(services.bundle_export_as(actor=cast.legal, bundle=built_bundle, kind="uwazi"),
                 identity).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == UWAZI_COLUMNS and all(r["title"] for r in rows)
    assert len(rows) == 2
    detention = next(r for r in rows if r["victim"] == world.k1.code)
    assert detention["date"] == "2017-02-20" and detention["perpetrators"] == "Police unit X"
    assert detention["involvement"] == "direct" and detention["event"] == world.e1.code
    assert "Test One" not in text and "Only for us." not in text and world.k2.code not in text


def test_an_osce_export_carries_only_the_osce_consented_act(world, cast, identity):
    bundle = services.bundle_request(actor=cast.legal, audience="osce", recipients=[identity.recipient],
                                     events=[world.e1, world.e2])
    bundle = services.bundle_approve(actor=cast.coordinator, bundle=bundle)
    doc = json.loads(_open(services.bundle_export_as(actor=cast.legal, bundle=bundle, kind="huridocs"), identity))
    assert [a["type_of_act"]["code"] for a in doc["acts"]] == ["arbitrary_detention"]
    assert doc["withheld_for_consent"]["events"] == [world.e2.code]


def test_no_export_before_a_second_person_approves(world, cast, identity):
    bundle = services.bundle_request(actor=cast.legal, audience="echr", recipients=[identity.recipient],
                                     events=[world.e1])
    with pytest.raises(services.EvidenceError):
        services.bundle_export_as(actor=cast.legal, bundle=bundle, kind="huridocs")
    services.bundle_refuse(actor=cast.coordinator, bundle=bundle)
    bundle.refresh_from_db()
    with pytest.raises(services.EvidenceError):
        services.bundle_export_as(actor=cast.legal, bundle=bundle, kind="uwazi")
    assert not AuditEntry.objects.filter(code=EvidenceEvent.BUNDLE_EXPORTED_AS).exists()


def test_the_export_is_recorded_and_only_the_recipients_open_it(built_bundle, cast, identity):
    from pyrage import x25519

    sealed = services.bundle_export_as(actor=cast.legal, bundle=built_bundle, kind="uwazi")
    entry = AuditEntry.objects.get(code=EvidenceEvent.BUNDLE_EXPORTED_AS)
    assert entry.data["kind"] == "uwazi" and entry.object_id == str(built_bundle.audit_id)
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [x25519.Identity.generate()])


def test_the_pages_serve_it_to_export_roles_of_the_organisation_only(built_bundle, cast, staff_client, identity):
    url = f"/staff/evidence/exports/{built_bundle.pk}/as/huridocs/"
    response = staff_client(cast.legal).get(url)
    assert response.status_code == 200 and response["Content-Disposition"].endswith('-huridocs-esf.json.age"')
    assert json.loads(_open(response.content, identity))["format"] == FORMAT
    for user in (cast.alice, cast.finance, cast.admin, cast.partner_coordinator):
        assert staff_client(user).get(url).status_code == 404
    assert staff_client(cast.legal).get(f"/staff/evidence/exports/{built_bundle.pk}/as/pdf/").status_code == 404
