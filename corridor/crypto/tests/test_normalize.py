"""The one phone normaliser: E.164 or refused, never keypad letters."""

from __future__ import annotations

import pytest

from corridor.crypto.normalize import NotAnIdentifier, phone


@pytest.mark.parametrize("raw", ["8 (928) 123-45-67", "+7 928 123 45 67", "00 7 928 123.45.67", "89281234567"])
def test_phones_written_any_usual_way_become_e164(raw):
    assert phone(raw) == "+79281234567"


@pytest.mark.parametrize("raw", ["12345 not a phone", "+7 928 CALL-NOW", "8 928 123-45-6x", "123", "+7" + "9" * 20,
                                 "tel:+79281234567"])
def test_letters_are_refused_never_turned_into_keypad_digits(raw):
    with pytest.raises(NotAnIdentifier):
        phone(raw)


@pytest.mark.django_db
@pytest.mark.parametrize("url, fields", [
    ("/staff/intake/record/", {"channel": "phone", "what": "Звонок", "urgency": "0"}),
    ("/staff/cases/new/", {"name_cyrillic": "Адам", "risk": "3"}),
])
def test_every_staff_form_refuses_a_garbage_phone_and_keeps_the_input(cast, staff_client, url, fields):
    from corridor.exposure.models import Identifier

    response = staff_client(cast.coordinator).post(url, {**fields, "phone": "12345 not a phone"})
    assert response.status_code in (200, 400)
    body = response.content.decode()
    assert "12345 not a phone" in body, "what was typed is shown again"
    assert not Identifier.objects.exists()


@pytest.mark.django_db
def test_the_contact_case_and_provocateur_identifier_forms_use_the_same_rule():
    from corridor.cases.forms import IdentifierForm as CaseIdentifierForm
    from corridor.exposure.forms import ProvocateurForm
    from corridor.intake.forms import IdentifierForm as ContactIdentifierForm

    for form_class in (ContactIdentifierForm, CaseIdentifierForm, ProvocateurForm):
        bad = form_class({"kind": "phone", "value": "12345 not a phone"})
        assert not bad.is_valid() and "value" in bad.errors
        good = form_class({"kind": "phone", "value": "8 (928) 123-45-67"})
        assert good.is_valid(), good.errors
        assert good.cleaned_data["value"] == "+79281234567"
