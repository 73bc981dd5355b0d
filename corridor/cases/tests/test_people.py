"""People, identifiers, relatives and households."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from corridor.cases import services
from corridor.cases.models import Case, CodeCounter, Household, Person, PersonIdentifier, Stage

pytestmark = pytest.mark.django_db


def test_codes_count_as_numbers_not_strings(cast, make_case):
    make_case(cast.org)
    CodeCounter.objects.filter(organisation=cast.org, kind="person").update(last=9999)
    assert make_case(cast.org).code == "K-10000"
    assert make_case(cast.org).code == "K-10001"


def test_codes_continue_after_rows_made_without_a_counter(cast, make_case):
    make_case(cast.org)
    Person.objects.filter(organisation=cast.org).update(code="K-10000")
    CodeCounter.objects.all().delete()
    assert services.next_code.__name__ and make_case(cast.org).code == "K-10001"


def test_identity_is_encrypted_and_readable(cast, make_case):
    case = make_case(cast.org, name="Лейла", phone="+79280001122")
    raw = Person.objects.filter(pk=case.person_id).values_list("identity", flat=True).get()
    assert "Лейла".encode() not in bytes(raw)
    assert Person.objects.get(pk=case.person_id).identity["name_cyrillic"] == "Лейла"


def test_a_bad_phone_is_refused_in_words(cast):
    with pytest.raises(ValidationError, match="phone number"):
        services.person_create(actor="system:test", organisation=cast.org, identity={}, phone="call me")


def test_more_phones_and_handles_are_blind_indexed(cast, make_case):
    case = make_case(cast.org)
    ident = services.identifier_add(actor="system:test", person=case.person, kind="phone", value="8 928 555 66 77",
                                    label="second SIM")
    assert ident.value == "+79285556677"
    with pytest.raises(ValidationError, match="already recorded"):
        services.identifier_add(actor="system:test", person=case.person, kind="phone", value="+7 928 555-66-77")
    with pytest.raises(ValidationError, match="messenger handle"):
        services.identifier_add(actor="system:test", person=case.person, kind="handle", value="two words")
    services.identifier_remove(actor="system:test", identifier=ident)
    assert not PersonIdentifier.objects.exists()


def test_relatives_can_be_a_danger(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/relatives/", {
        "relation": "brother", "danger": "threat", "details": "threatened to hand him to the police"})
    assert r.status_code == 302
    page = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert "threatened to hand him" in page and "may be a danger" in page


def test_a_household_travels_together(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.ACCEPTED)
    client = staff_client(cast.alice)
    r = client.post(f"/staff/cases/{case.code}/household/members/", {
        "role": "partner", "name_cyrillic": "Зарема", "phone": ""})
    assert r.status_code == 302
    household = Household.objects.get()
    assert household.code == "KH-0001"
    members = Case.objects.filter(household=household).order_by("code")
    assert [m.person.household_role for m in members] == ["head", "partner"]
    assert all(m.worker == cast.alice for m in members)
    r = client.post(f"/staff/cases/{case.code}/household/members/", {"role": "child", "name_latin": "Amina"})
    page = client.get(f"/staff/cases/{case.code}/").content.decode()
    assert "Зарема" in page and "Amina" in page
    assert client.post(f"/staff/cases/{case.code}/household/members/", {"role": "child"}).status_code == 400


def test_a_household_member_not_visible_to_the_user_shows_only_a_code(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    household = services.household_create(actor="system:test", head=case.person)
    other = services.household_add_member(actor="system:test", household=household, role="partner",
                                          identity={"name_cyrillic": "Скрытое Имя"}, worker=cast.bob)
    page = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert other.code in page and "Скрытое Имя" not in page


def test_editing_a_person(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    client = staff_client(cast.alice)
    assert client.get(f"/staff/cases/{case.code}/person/").status_code == 200
    r = client.post(f"/staff/cases/{case.code}/person/", {
        "name_cyrillic": "Ахмед", "name_latin": "Akhmed", "aliases": "A., Ахмедик", "languages": "ru, ce",
        "gender_identity": "trans woman", "phone": "+79280000001", "risk": 5, "notes": "", "version": 1})
    assert r.status_code == 302
    person = Person.objects.get(pk=case.person_id)
    assert person.identity["aliases"] == ["A.", "Ахмедик"] and person.risk == 5 and person.version == 2


def test_erasure_destroys_identifiers_too(cast, make_case):
    case = make_case(cast.org, phone="+79280000009")
    services.identifier_add(actor="system:test", person=case.person, kind="handle", value="@someone")
    services.document_add(actor="system:test", person=case.person, kind="internal_passport", status="have",
                          number="9612345678")
    services.person_erase(actor="system:test", person=case.person)
    assert not PersonIdentifier.objects.exclude(handle_index=None).exists()
    assert not case.person.documents.exclude(number_index=None).exists()


@pytest.mark.django_db(transaction=True)
def test_two_first_people_created_at_once_get_distinct_codes(cast, monkeypatch):
    """The organisation's very first person, created twice in parallel: no counter
    row exists to lock, so both transactions see none and both try to create it."""
    import contextvars
    import threading

    from django.db import connection

    from corridor.cases.services import people

    assert not CodeCounter.objects.filter(organisation=cast.org, kind="person").exists()
    start = threading.Barrier(2)
    both_saw_no_counter = threading.Barrier(2)
    highest = people._highest_existing
    on_postgres = connection.vendor == "postgresql"

    def highest_after_both_looked(organisation, model):
        # PostgreSQL: hold each thread here, inside its transaction, until the
        # other has also found no counter row, so the race happens every run.
        # SQLite's IMMEDIATE transactions serialise writers at BEGIN, so there
        # the threads can only start together.
        if on_postgres:
            both_saw_no_counter.wait(timeout=10)
        return highest(organisation, model)

    monkeypatch.setattr(people, "_highest_existing", highest_after_both_looked)
    outcomes: list = []

    def create():
        try:
            start.wait(timeout=10)
            person = services.person_create(actor="system:test", organisation=cast.org, identity={})
            outcomes.append(person.code)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows which
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(create,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(o for o in outcomes if isinstance(o, str))
    if on_postgres:
        assert codes == ["K-0001", "K-0002"], outcomes
    else:
        # The test database on SQLite is shared-cache in memory, where a second
        # writer is refused at once ("table is locked") rather than waiting; a
        # refusal is allowed there, a clash on the counter is not.
        from django.db import IntegrityError

        assert codes and codes == ["K-0001", "K-0002"][:len(codes)], outcomes
        assert not [o for o in outcomes if isinstance(o, IntegrityError)], outcomes
    assert sorted(Person.objects.filter(organisation=cast.org).values_list("code", flat=True)) == codes
    assert CodeCounter.objects.get(organisation=cast.org, kind="person").last == len(codes)
