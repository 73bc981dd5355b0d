"""Handover: what a colleague needs to take over a contact at 2 a.m.

- the team's copy of every reply, under the contact's data key (what was promised);
- adding a contact to a case that already exists;
- pickers that show danger, place and last activity, not just "W-0012 · date".
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases import services as cases
from corridor.crypto.errors import DecryptionError
from corridor.exposure.models import Identifier
from corridor.intake.events import IntakeEvent
from corridor.intake.forms import case_choice_label, contact_choice_label
from corridor.intake.models import Contact, Message, StatusChange
from corridor.intake.services import contact_add_to_case, contact_record, messages_open, reply_send
from corridor.intake.services.housekeeping import contact_erase
from corridor.intake.tests.conftest import receipt_from, submit

pytestmark = pytest.mark.django_db

PROMISE = "Завтра в 10:00 вас встретят у вокзала, водитель Руслан."


@pytest.fixture
def replied(cast, public):
    receipt_from(submit(public, what="Ищут после задержания друга", where="Грозный"))
    messages_open(actor=cast.operator, organisation=cast.org)
    return Contact.objects.select_related("data_key").get()


def test_a_colleague_reads_what_was_promised(cast, staff_client, replied):
    response = staff_client(cast.operator).post(f"/staff/intake/{replied.pk}/reply/", {"text": PROMISE})
    assert response.status_code == 302
    page = staff_client(cast.coordinator).get(f"/staff/intake/{replied.pk}/").content.decode()
    assert PROMISE in page
    raw = Message.objects.filter(direction="out").values_list("body", flat=True).get()
    assert "Руслан".encode() not in bytes(raw) and b"10:00" not in bytes(raw)


def test_the_copy_is_bound_to_its_message_and_does_not_open_elsewhere(cast, public, replied):
    """With write access to the database, move the copy's ciphertext to another
    reply of another contact: the associated data (table, column, row) refuses it."""
    receipt_from(submit(public, what="Второе обращение"))
    messages_open(actor=cast.operator, organisation=cast.org)
    other = Contact.objects.exclude(pk=replied.pk).select_related("data_key").get()
    mine = reply_send(actor=cast.operator, contact=replied, text=PROMISE)
    theirs = reply_send(actor=cast.operator, contact=other, text="другое")
    raw = Message.objects.filter(pk=mine.pk).values_list("body", flat=True).get()
    Message.objects.filter(pk=theirs.pk).update(body=raw)
    moved = Message.objects.select_related("contact__data_key").get(pk=theirs.pk)
    with pytest.raises(DecryptionError):
        moved.body  # noqa: B018
    # Nor on another reply of the same contact.
    again = reply_send(actor=cast.operator, contact=replied, text="ещё")
    Message.objects.filter(pk=again.pk).update(body=raw)
    with pytest.raises(DecryptionError):
        Message.objects.select_related("contact__data_key").get(pk=again.pk).body  # noqa: B018


def test_erasing_the_contact_erases_the_copy(cast, replied):
    reply_send(actor=cast.operator, contact=replied, text=PROMISE)
    contact_erase(actor="system:test", contact=replied)
    assert Message.objects.get(direction="out").body is None


def test_other_organisations_never_see_the_copy(cast, staff_client, replied):
    reply_send(actor=cast.operator, contact=replied, text=PROMISE)
    response = staff_client(cast.partner_coordinator).get(f"/staff/intake/{replied.pk}/")
    assert response.status_code == 404 and PROMISE not in response.content.decode()


@pytest.fixture
def existing_case(cast):
    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ислам"},
                                 phone="+79281234567", risk=3)
    return cases.case_open(actor="system:test", person=person, worker=cast.alice)


def _called_again(cast):
    return contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="Снова звонил Ислам",
                          urgency=3, flags=[], identifiers=[("phone", "8 928 123-45-67"), ("handle", "@islam_new")])


def test_a_coordinator_adds_a_contact_to_an_existing_case(cast, staff_client, existing_case):
    contact = _called_again(cast)
    client = staff_client(cast.coordinator)
    page = client.get(f"/staff/intake/{contact.pk}/").content.decode()
    assert existing_case.code in page and "риск 3" in page
    response = client.post(f"/staff/intake/{contact.pk}/add-to-case/", {"case": existing_case.code})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.case_id == existing_case.pk and contact.status == "accepted"
    assert StatusChange.objects.filter(contact=contact, to_status="accepted").exists()
    # The new handle joins the person's record; the phone they already had is not doubled.
    kinds = sorted(Identifier.objects.filter(person=existing_case.person).values_list("kind", flat=True))
    assert kinds.count("handle") == 1
    assert Identifier.objects.filter(person=existing_case.person).count() == len(
        set(Identifier.objects.filter(person=existing_case.person).values_list("index", flat=True)))
    entry = AuditEntry.objects.get(code=IntakeEvent.CONTACT_ADDED_TO_CASE)
    assert entry.data["case"] == existing_case.code


@pytest.mark.parametrize("who", ["operator", "alice", "partner_coordinator"])
def test_only_the_organisations_coordinators_add_a_contact_to_a_case(cast, staff_client, existing_case, who):
    contact = _called_again(cast)
    response = staff_client(getattr(cast, who)).post(f"/staff/intake/{contact.pk}/add-to-case/",
                                                     {"case": existing_case.code})
    assert response.status_code == 404
    assert Contact.objects.get(pk=contact.pk).case_id is None


def test_a_case_of_another_organisation_or_a_closed_one_is_refused(cast, staff_client, existing_case):
    contact = _called_again(cast)
    theirs = cases.case_open(actor="system:test", person=cases.person_create(
        actor="system:test", organisation=cast.other_org, identity={"name_cyrillic": "Чужой"}))
    client = staff_client(cast.coordinator)
    assert client.post(f"/staff/intake/{contact.pk}/add-to-case/", {"case": theirs.code}).status_code == 400
    with pytest.raises(ValidationError):
        contact_add_to_case(actor=cast.coordinator, contact=contact, case=theirs)
    existing_case.__class__.objects.filter(pk=existing_case.pk).update(closed=timezone.now())
    assert client.post(f"/staff/intake/{contact.pk}/add-to-case/", {"case": existing_case.code}).status_code == 400
    with pytest.raises(ValidationError):
        contact_add_to_case(actor=cast.coordinator, contact=contact, case=existing_case)
    with pytest.raises(PermissionDenied):
        contact_add_to_case(actor=cast.operator, contact=contact, case=existing_case)
    assert Contact.objects.get(pk=contact.pk).case_id is None


def test_a_contact_joins_only_one_case_even_when_two_coordinators_click(cast, existing_case):
    contact = _called_again(cast)
    second = cases.case_open(actor="system:test", person=cases.person_create(
        actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Другой"}))
    contact_add_to_case(actor=cast.coordinator, contact=contact, case=existing_case)
    stale = Contact.objects.select_related("data_key").get(pk=contact.pk)
    stale.case_id = None  # the second coordinator loaded the page before the first saved
    with pytest.raises(ValidationError):
        contact_add_to_case(actor=cast.coordinator2, contact=stale, case=second)
    assert Contact.objects.get(pk=contact.pk).case_id == existing_case.pk


def test_pickers_show_danger_place_and_last_activity(cast, replied, existing_case):
    Contact.objects.filter(pk=replied.pk).update(urgency=3, flag_detained=True)
    contact = Contact.objects.select_related("data_key").get(pk=replied.pk)
    label = contact_choice_label(contact)
    assert contact.ref in label and "В опасности сейчас" in label and "задержан(а)" in label
    assert "Грозный" in label and timezone.localtime(contact.last_activity).strftime("%d.%m.%Y") in label
    case_label = case_choice_label(existing_case)
    assert existing_case.code in case_label and "риск 3" in case_label and str(cast.alice) in case_label


def _case_from(cast, name: str, where: str, *, worker=None, risk: int = 2):
    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": name},
                                 risk=risk)
    return cases.case_open(actor="system:test", person=person, worker=worker,
                           intake={"contact": "H-000000", "story": [{"at": timezone.now().isoformat(),
                                                                     "where": where, "what": name}]})


def test_the_case_picker_shows_pseudonym_region_and_opening_day(cast, staff_client):
    from corridor.intake.selectors import case_candidates

    case = _case_from(cast, "Ислам", "Гудермес", worker=cast.alice)
    contact = _called_again(cast)
    (row,) = case_candidates(cast.coordinator, contact)
    label = case_choice_label(row)
    assert label.startswith(f"{case.code} · Гудермес · риск 2 · последнее действие "
                            f"{timezone.localtime(case.stage_since):%d.%m.%Y}")
    page = staff_client(cast.coordinator).get(f"/staff/intake/{contact.pk}/").content.decode()
    assert "Гудермес" in page and 'name="case_q"' not in page  # one case: no search box needed


def test_the_case_picker_shows_the_last_activity_on_the_case(cast, staff_client):
    from datetime import timedelta

    from corridor.cases.models import Case
    from corridor.intake.selectors import case_candidates

    quiet = _case_from(cast, "Ислам", "Гудермес", risk=4)
    busy = _case_from(cast, "Аслан", "Аргун", risk=4)
    long_ago = timezone.now() - timedelta(days=40)
    Case.objects.filter(pk__in=[quiet.pk, busy.pk]).update(stage_since=long_ago)
    cases.note_add(actor="system:test", case=Case.objects.get(pk=busy.pk), kind="call", text="Созвонились.")
    contact = _called_again(cast)
    labels = {row.code: case_choice_label(row) for row in case_candidates(cast.coordinator, contact)}
    assert f"последнее действие {timezone.localtime(long_ago):%d.%m.%Y}" in labels[quiet.code]
    assert f"последнее действие {timezone.localtime():%d.%m.%Y}" in labels[busy.code]
    assert "риск 4" in labels[busy.code] and "Аргун" in labels[busy.code]
    page = staff_client(cast.coordinator).get(f"/staff/intake/{contact.pk}/").content.decode()
    assert f"{busy.code} · Аргун · риск 4 · последнее действие {timezone.localtime():%d.%m.%Y}" in page


def test_the_case_picker_is_searched_on_the_server_by_code_region_or_worker(cast, staff_client):
    many = [_case_from(cast, f"Человек {i}", "Назрань") for i in range(12)]
    argun = _case_from(cast, "Аслан", "Аргун", risk=1)  # lowest risk: last in the plain list
    by_worker = _case_from(cast, "Зарема", "Шали", worker=cast.bob, risk=1)
    contact = _called_again(cast)
    client = staff_client(cast.coordinator)
    page = client.get(f"/staff/intake/{contact.pk}/").content.decode()
    assert 'name="case_q"' in page
    found = client.get(f"/staff/intake/{contact.pk}/", {"case_q": "аргун"}).content.decode()
    assert argun.code in found and many[0].code not in found
    assert 'name="q" value="аргун"' in found
    assert by_worker.code in client.get(f"/staff/intake/{contact.pk}/", {"case_q": cast.bob.username}).content.decode()
    assert many[3].code in client.get(f"/staff/intake/{contact.pk}/", {"case_q": many[3].code}).content.decode()
    none = client.get(f"/staff/intake/{contact.pk}/", {"case_q": "Тбилиси"}).content.decode()
    assert "Нет открытых дел" in none and "Тбилиси" in none
    # The choice is checked against the search it was made in.
    response = client.post(f"/staff/intake/{contact.pk}/add-to-case/", {"case": argun.code, "q": "аргун"})
    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).case_id == argun.pk
