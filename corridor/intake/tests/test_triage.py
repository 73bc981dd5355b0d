from __future__ import annotations

import pytest
from django.db import transaction

from corridor.audit.models import AuditEntry
from corridor.crypto import context
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Contact, ContactLink, Message, StatusChange, VettingCheck
from corridor.intake.services import messages_open
from corridor.intake.tests.conftest import submit

pytestmark = pytest.mark.django_db


def test_the_queue_opens_sealed_submissions_under_a_contact_key(cast, public, staff_client):
    submit(public, what="Меня избили в отделе", urgency="3")
    assert Contact.objects.get().data_key_id is None
    page = staff_client(cast.operator).get("/staff/intake/")
    assert page.status_code == 200
    assert "Меня избили в отделе" in page.content.decode()
    contact = Contact.objects.get()
    assert contact.data_key_id is not None and contact.urgency == 3
    message = Message.objects.get()
    assert message.sealed is None and message.body["what"] == "Меня избили в отделе"
    assert AuditEntry.objects.filter(code=IntakeEvent.MESSAGES_OPENED, actor=cast.operator.principal).exists()


def test_an_operator_of_another_organisation_cannot_see_the_contact(cast, web_contact, staff_client):
    for user in (cast.charlie, cast.partner_coordinator):
        client = staff_client(user)
        assert client.get(f"/staff/intake/{web_contact.pk}/").status_code == 404
        assert "Задержали брата" not in client.get("/staff/intake/").content.decode()
        attachment = Message.objects.get(direction="in").attachments.get()
        assert client.get(f"/staff/intake/files/{attachment.pk}/").status_code == 404


def test_the_contact_page_shows_the_decrypted_submission(cast, web_contact, staff_client):
    body = staff_client(cast.operator).get(f"/staff/intake/{web_contact.pk}/").content.decode()
    assert "Задержали брата, ищут меня" in body and "Signal после 22:00" in body


def test_an_attachment_downloads_decrypted_under_a_neutral_name(cast, web_contact, staff_client):
    from corridor.intake.tests.conftest import JPEG

    attachment = Message.objects.get(direction="in").attachments.get()
    response = staff_client(cast.coordinator).get(f"/staff/intake/files/{attachment.pk}/")
    assert response.status_code == 200
    working = b"".join(response.streaming_content)
    assert working.startswith(b"\xff\xd8") and b"JFIF" not in working and len(working) < len(JPEG)
    assert response["Content-Type"] == "image/jpeg"
    assert "photo" not in response["Content-Disposition"] and "attachment;" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_READ).exists()


def test_operators_cannot_decide_but_coordinators_can(cast, web_contact, staff_client):
    url = f"/staff/intake/{web_contact.pk}/status/"
    assert staff_client(cast.operator).post(url, {"status": "declined"}).status_code == 400
    web_contact.refresh_from_db()
    assert web_contact.status == "new"
    assert staff_client(cast.operator).post(url, {"status": "vetting"}).status_code == 302
    assert staff_client(cast.coordinator).post(url, {"status": "provocation", "reason": "знакомый почерк"}
                                               ).status_code == 302
    web_contact.refresh_from_db()
    assert web_contact.status == "provocation"
    change = StatusChange.objects.filter(contact=web_contact).last()
    change.contact = web_contact
    assert change.actor == cast.coordinator and change.reason == "знакомый почерк"


def test_the_vetting_checklist_records_who_decided_and_when(cast, web_contact, staff_client):
    client = staff_client(cast.operator)
    response = client.post(f"/staff/intake/{web_contact.pk}/vetting/",
                           {"item": "referee", "outcome": "passed", "note": "поручилась Марина"})
    assert response.status_code == 302
    check = VettingCheck.objects.get(contact=web_contact, item="referee")
    check.contact = web_contact
    assert check.actor == cast.operator and check.at and check.note == "поручилась Марина"
    web_contact.refresh_from_db()
    assert web_contact.status == "vetting"
    page = client.get(f"/staff/intake/{web_contact.pk}/").content.decode()
    assert "поручилась Марина" in page


def test_recorded_contacts_are_checked_against_provocateurs(cast, staff_client):
    from corridor.exposure.services import provocateur_add

    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw="+79285551122",
                    note="в 2018 выдавал себя за пострадавшего")
    response = staff_client(cast.operator).post("/staff/intake/record/", {
        "channel": "phone", "what": "Звонок", "phone": "8 928 555 11 22", "urgency": "1",
    })
    assert response.status_code == 302
    contact = Contact.objects.get()
    check = VettingCheck.objects.get(contact=contact)
    assert check.automatic and check.item == "provocateur" and check.outcome == "failed"


def test_a_case_worker_may_record_a_contact_but_not_see_the_queue(cast, staff_client):
    client = staff_client(cast.alice)
    response = client.post("/staff/intake/record/", {"channel": "signal", "what": "Сообщение", "urgency": "2"})
    assert response.status_code == 302 and response["Location"] == "/staff/intake/record/"
    assert Contact.objects.get().recorded_by == cast.alice
    assert client.get("/staff/intake/").status_code == 404


def test_a_referral_needs_the_partner(cast, staff_client):
    response = staff_client(cast.operator).post("/staff/intake/record/",
                                                {"channel": "referral", "what": "x", "urgency": "1"})
    assert response.status_code == 200 and Contact.objects.count() == 0


def test_contacts_can_be_linked(cast, web_contact, recorded_contact, staff_client):
    response = staff_client(cast.operator).post(f"/staff/intake/{web_contact.pk}/link/",
                                                {"other": str(recorded_contact.pk), "relation": "person"})
    assert response.status_code == 302
    link = ContactLink.objects.get()
    assert {link.a_id, link.b_id} == {web_contact.pk, recorded_contact.pk}
    page = staff_client(cast.operator).get(f"/staff/intake/{recorded_contact.pk}/").content.decode()
    assert web_contact.ref in page


def test_contacts_sharing_a_phone_are_suggested_as_links(cast, recorded_contact, staff_client):
    from corridor.intake.services import contact_record

    other = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="ещё звонок",
                           identifiers=[("phone", "+7 928 555-11-22")])
    page = staff_client(cast.operator).get(f"/staff/intake/{other.pk}/").content.decode()
    assert recorded_contact.ref in page


def test_opening_a_case_creates_a_person_under_a_pseudonym(cast, web_contact, staff_client):
    from corridor.cases.models import Case, Person
    from corridor.intake.services import vetting_record

    vetting_record(actor=cast.operator, contact=web_contact, item="referee", outcome="passed", note="знакомая")
    response = staff_client(cast.coordinator).post(f"/staff/intake/{web_contact.pk}/open-case/", {
        "name": "Ахмед", "known_as": "А.", "phone": "+7 928 123 45 67", "summary": "срочно вывезти",
        "worker": str(cast.alice.pk),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    web_contact.refresh_from_db()
    assert web_contact.status == "accepted" and web_contact.case_id
    case = Case.objects.get()
    person = Person.objects.get()
    context.cache_clear()
    assert person.code.startswith("K-") and person.identity["name_cyrillic"] == "Ахмед"
    assert case.worker == cast.alice and case.person == person
    assert staff_client(cast.operator).post(f"/staff/intake/{web_contact.pk}/open-case/", {}).status_code == 404


def test_a_reply_clears_waiting_and_is_audited(cast, web_contact, staff_client):
    response = staff_client(cast.operator).post(f"/staff/intake/{web_contact.pk}/reply/", {"text": "Мы рядом"})
    assert response.status_code == 302
    web_contact.refresh_from_db()
    assert not web_contact.awaiting_reply
    entry = AuditEntry.objects.filter(code=IntakeEvent.REPLY_SENT).get()
    assert "Мы рядом" not in str(entry.data)


def test_audit_entries_hold_no_content(cast, web_contact, recorded_contact, staff_client):
    staff_client(cast.operator).post(f"/staff/intake/{web_contact.pk}/notes/", {"notes": "заметка-канарейка"})
    for entry in AuditEntry.objects.all():
        text = str(entry.data) + entry.object_id
        for canary in ("заметка-канарейка", "Задержали", "555-11-22", "79285551122", "friend_of_x"):
            assert canary not in text


def test_two_workers_opening_at_once_keep_one_key(cast, public):
    submit(public, what="одновременно")
    contact = Contact.objects.get()
    # The second opener finds the messages already opened and changes nothing.
    with transaction.atomic():
        assert messages_open(actor=cast.operator, organisation=cast.org) == 1
    key = Contact.objects.get().data_key_id
    assert messages_open(actor=cast.coordinator, organisation=cast.org) == 0
    assert Contact.objects.get(pk=contact.pk).data_key_id == key


def test_the_queue_runs_a_bounded_number_of_queries(cast, public, staff_client, django_assert_max_num_queries):
    from corridor.intake.services import contact_record

    for i in range(5):
        submit(public, what=f"обращение {i}")
    for i in range(20):
        contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what=f"звонок {i}")
    client = staff_client(cast.operator)
    client.get("/staff/intake/")  # opens the sealed ones
    with django_assert_max_num_queries(12):
        page = client.get("/staff/intake/?view=all")
    assert page.content.decode().count("/staff/intake/") >= 25
    with django_assert_max_num_queries(12):
        client.get("/staff/intake/?view=new")


def test_the_dashboard_shows_the_queue_panel_to_triage_roles_only(cast, web_contact, staff_client):
    assert "Открыть очередь" in staff_client(cast.operator).get("/staff/").content.decode()
    assert "Открыть очередь" not in staff_client(cast.alice).get("/staff/").content.decode()
