"""The pages as a legal officer uses them: forms post through services."""

from __future__ import annotations

from datetime import date

import pytest

from corridor.audit.models import AuditEntry
from corridor.evidence import models as m
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import Act, Filing, FilingStep, Place, Source, Term, ViolationEvent
from corridor.evidence.samples import FAKE_METADATA
from corridor.evidence.tests.conftest import term

pytestmark = pytest.mark.django_db
EV = "/staff/evidence/"


def test_recording_a_testimony(cast, staff_client, world):
    client = staff_client(cast.legal)
    response = client.post(EV + "testimonies/new/", {
        "person": str(world.k1.pk), "language": "ru", "interviewer": str(cast.legal.pk),
        "interviewed_on": "2017-04-02", "transcript": "Они забрали телефон.", "summary": "phone taken",
        "consent_public": "on", "consent_partners": ["un", "journalist"],
    })
    assert response.status_code == 302
    t = m.Testimony.objects.get(transcript__isnull=False, person=world.k1, interviewed_on=date(2017, 4, 2))
    assert t.consent_partners == ["journalist", "un"] and t.consent_public and not t.consent_legal
    page = client.get(response["Location"]).content.decode()
    assert "Они забрали телефон." in page
    assert AuditEntry.objects.filter(code=EvidenceEvent.TESTIMONY_VIEWED, object_id=t.code).count() == 1


def test_a_testimony_without_witness_or_source_is_refused(cast, staff_client):
    response = staff_client(cast.legal).post(EV + "testimonies/new/", {
        "language": "ru", "interviewer": str(cast.legal.pk), "interviewed_on": "2017-04-02", "transcript": "x"})
    assert response.status_code == 200 and not m.Testimony.objects.exists()


def test_editing_consent(cast, staff_client, world):
    client = staff_client(cast.legal)
    url = f"{EV}testimonies/{world.t_internal.pk}/edit/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"language": "ru", "interviewed_on": "2017-05-03", "transcript": "Only for us.",
                                 "consent_legal": "on"})
    assert response.status_code == 302
    world.t_internal.refresh_from_db()
    assert world.t_internal.consent_legal


def test_recording_an_event_with_an_act_and_a_source(cast, staff_client, world):
    client = staff_client(cast.legal)
    response = client.post(EV + "events/new/", {
        "title": "Raid in Grozny", "starts": "2018-12-20", "starts_precision": "day", "ends_precision": "day",
        "place": str(world.place.pk)})
    assert response.status_code == 302
    event = ViolationEvent.objects.get(code="E-0003")
    assert event.wave.starts == date(2018, 12, 1)
    response = client.post(f"{EV}events/{event.pk}/acts/new/", {
        "act_type": str(term("extortion").pk), "victim_label": "young man", "places": [str(world.place.pk)],
        "perpetrator_1": str(world.unit.pk), "involvement_1": "ordered"})
    assert response.status_code == 302
    act = Act.objects.get(event=event)
    assert act.perpetrator_links.get().involvement == "ordered" and list(act.places.all()) == [world.place]
    response = client.post(f"{EV}events/{event.pk}/sources/new/", {
        "act": str(act.pk), "testimony": str(world.t_public.pk), "reliability": "high"})
    assert response.status_code == 302
    assert Source.objects.filter(event=event).count() == 1
    page = client.get(f"{EV}events/{event.pk}/").content.decode()
    assert "Raid in Grozny" in page and "src-one" in page
    listing = client.get(EV + "events/").content.decode()
    assert "Raid in Grozny" in listing


def test_an_act_needs_the_involvement_of_each_perpetrator(cast, staff_client, world):
    response = staff_client(cast.legal).post(f"{EV}events/{world.e1.pk}/acts/new/", {
        "act_type": str(term("threats").pk), "perpetrator_1": str(world.unit.pk)})
    assert response.status_code == 200 and Act.objects.filter(event=world.e1).count() == 2


def test_registry_additions(cast, staff_client):
    client = staff_client(cast.legal)
    assert client.post(EV + "registry/places/new/", {"name": "Tsotsi-Yurt", "kind": str(term("settlement").pk)}
                       ).status_code == 302
    assert client.post(EV + "registry/perpetrators/new/", {"name": "Cousin", "kind": str(term("relative").pk)}
                       ).status_code == 302
    assert client.post(EV + "registry/terms/new/", {"vocabulary": "place_kind", "label_ru": "Гараж",
                                                   "label_en": "Garage"}).status_code == 302
    assert client.post(EV + "registry/waves/new/", {"name_ru": "Четвёртая", "name_en": "Fourth",
                                                   "starts": "2020-01-01", "ends": "2020-02-01"}).status_code == 302
    assert Place.objects.count() == 1 and Term.objects.filter(organisation=cast.org).count() == 1
    page = client.get(EV + "registry/").content.decode()
    assert "Tsotsi-Yurt" in page and "Гараж" in page and "Fourth" not in page  # Russian interface
    assert client.post(EV + "registry/places/new/", {"name": ""}).status_code == 400


def test_downloads_are_attachments_and_custody_entries(cast, staff_client, world):
    client = staff_client(cast.legal)
    response = client.get(f"{EV}files/{world.photo.pk}/download/working/")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    data = b"".join(response.streaming_content)
    assert FAKE_METADATA not in data and data.startswith(b"\xff\xd8")
    original = b"".join(client.get(f"{EV}files/{world.photo.pk}/download/original/").streaming_content)
    assert FAKE_METADATA in original
    viewed = AuditEntry.objects.filter(code=EvidenceEvent.FILE_VIEWED).order_by("seq")
    assert [e.data["copy"] for e in viewed] == ["working", "original"]
    page = client.get(f"{EV}files/{world.photo.pk}/").content.decode()
    assert world.photo.sha256 in page and "copy=original" in page


def test_recording_a_transfer(cast, staff_client, world):
    client = staff_client(cast.legal)
    assert client.post(f"{EV}files/{world.pdf.pk}/transfer/", {"to": "echr", "method": "courier"}).status_code == 302
    entry = AuditEntry.objects.get(code=EvidenceEvent.FILE_TRANSFERRED)
    assert entry.data["to"] == "echr" and entry.data["sha256"] == world.pdf.sha256


def test_filing_pages(cast, staff_client, world):
    client = staff_client(cast.legal)
    response = client.post(EV + "filings/new/", {
        "body": "ic", "status": "lodged", "title": "Complaint to the IC", "lodged_on": "2017-06-01",
        "next_deadline": "2030-01-01", "next_step": "ask for news", "events": [str(world.e1.pk)],
        "people": [str(world.k1.pk)]})
    assert response.status_code == 302
    filing = Filing.objects.get(body="ic")
    assert filing.code == "L-0002"
    response = client.post(f"{EV}filings/{filing.pk}/steps/new/", {"on": "2017-07-01", "kind": "response",
                                                                  "text": "refused", "next_deadline": "2030-02-01"})
    assert response.status_code == 302 and FilingStep.objects.count() == 1
    page = client.get(f"{EV}filings/{filing.pk}/").content.decode()
    assert "Complaint to the IC" in page and "refused" in page and "01.02.2030" in page and "2030-02-01" not in page
    assert client.post(f"{EV}filings/{filing.pk}/edit/", {"body": "ic", "status": "closed", "title": "Done"}
                       ).status_code == 302
    assert "Done" in client.get(EV + "filings/").content.decode()


def test_list_pages_use_a_bounded_number_of_queries(cast, staff_client, world, django_assert_max_num_queries):
    from corridor.evidence import services

    for i in range(12):
        event = services.violation_create(actor=cast.legal, title=f"event {i}", place=world.place)
        services.source_add(actor=cast.legal, event=event, testimony=world.t_public)
    client = staff_client(cast.legal)
    for url in ("events/", "testimonies/", "files/", "filings/", "deadlines/", ""):
        with django_assert_max_num_queries(25):
            assert client.get(EV + url).status_code == 200


def test_the_statistics_page_shows_only_disclosure_controlled_figures(cast, staff_client, world):
    page = staff_client(cast.coordinator).get(EV + "statistics/").content.decode()
    assert "менее 10" in page or "fewer than 10" in page
    assert "Argun" in page  # the place label of the only counted event
