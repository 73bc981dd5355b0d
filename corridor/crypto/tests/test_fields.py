from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from corridor.cases.models import Person
from corridor.cases.services import person_create, person_erase
from corridor.crypto import context
from corridor.crypto.errors import DecryptionError, StaleKeyVersion
from corridor.crypto.fields import ERASED
from corridor.crypto.keys import blind_index, rekey
from corridor.crypto.models import DataKey

pytestmark = pytest.mark.django_db


def _person(org, name="Иван Петров", phone="+79281234567", notes="canary-notes"):
    return person_create(actor="system:test", organisation=org, identity={"name_cyrillic": name},
                         phone=phone, notes=notes)


def _reload(person):
    context.cache_clear()
    return Person.objects.get(pk=person.pk)


def test_it_round_trips_values_through_the_database(org):
    person = _person(org)
    loaded = _reload(person)
    assert loaded.identity == {"name_cyrillic": "Иван Петров"}
    assert loaded.phone == "+79281234567"
    assert loaded.notes == "canary-notes"


def test_it_stores_no_plaintext(org):
    person = _person(org, notes="plaintext-canary-7781")
    raw = Person.objects.filter(pk=person.pk).values_list("notes", "identity", "phone").get()
    for blob in raw:
        assert b"plaintext-canary-7781" not in bytes(blob)
        assert "Иван".encode() not in bytes(blob)
        assert b"79281234567" not in bytes(blob)


def test_a_ciphertext_moved_to_another_row_is_refused(org):
    a = _person(org, notes="notes of a")
    b = _person(org, notes="notes of b")
    raw_a = Person.objects.filter(pk=a.pk).values_list("notes", flat=True).get()
    Person.objects.filter(pk=b.pk).update(notes=raw_a)
    with pytest.raises(DecryptionError):
        _reload(b).notes  # noqa: B018


def test_a_ciphertext_moved_to_another_field_is_refused(org):
    a = _person(org, notes="some notes")
    raw_notes = Person.objects.filter(pk=a.pk).values_list("notes", flat=True).get()
    Person.objects.filter(pk=a.pk).update(phone=raw_notes)
    with pytest.raises(DecryptionError):
        _reload(a).phone  # noqa: B018


def test_a_ciphertext_under_a_stale_key_version_is_refused(org):
    a = _person(org, notes="before rekey")
    old_raw = Person.objects.filter(pk=a.pk).values_list("notes", flat=True).get()
    with transaction.atomic():
        rekey(a.data_key, objects=[a])
    assert _reload(a).notes == "before rekey"
    Person.objects.filter(pk=a.pk).update(notes=old_raw)
    with pytest.raises(StaleKeyVersion):
        _reload(a).notes  # noqa: B018


def test_rekey_for_another_organisation_binds_the_wrap_to_it(org, other_org):
    a = _person(org, notes="moving")
    with transaction.atomic():
        rekey(a.data_key, objects=[a], organisation=other_org)
    dk = DataKey.objects.get(pk=a.data_key_id)
    assert dk.organisation == other_org and dk.version == 2
    assert _reload(a).notes == "moving"


def test_a_flipped_bit_is_refused(org):
    a = _person(org)
    raw = bytearray(Person.objects.filter(pk=a.pk).values_list("notes", flat=True).get())
    raw[-1] ^= 1
    Person.objects.filter(pk=a.pk).update(notes=bytes(raw))
    with pytest.raises(DecryptionError):
        _reload(a).notes  # noqa: B018


def test_destroying_the_data_key_erases_the_person(org):
    a = _person(org)
    person_erase(actor="system:test", person=a)
    loaded = _reload(a)
    assert loaded.notes is ERASED
    assert loaded.identity is ERASED
    with translation.override("en"):
        assert str(loaded.notes) == "[erased]"
    with translation.override("ru"):
        assert str(loaded.notes) == "[стёрто]"
    assert DataKey.objects.get(pk=a.data_key_id).wrapped is None


def test_blind_index_finds_the_same_phone_written_differently(org):
    a = _person(org, phone="+7 928 123-45-67")
    assert Person.objects.filter(phone_index=blind_index("phone", "8 (928) 123 45 67")).get() == a
    assert not Person.objects.filter(phone_index=blind_index("phone", "+7 928 123-45-68")).exists()


def test_blind_index_of_a_phone_is_not_a_plain_hash(org):
    import hashlib

    a = _person(org, phone="+79281234567")
    stored = bytes(Person.objects.filter(pk=a.pk).values_list("phone_index", flat=True).get())
    assert stored != hashlib.sha256(b"+79281234567").digest()[:16]
    assert len(stored) == 16


def test_passport_numbers_normalise_without_losing_letters():
    from corridor.crypto.normalize import passport

    assert passport("75 №1234567") == passport("751234567") == "751234567"
    assert passport("AN1234567") != passport("A1234567")
    assert passport("No. 4510 123456") == "4510123456"
