"""A seized-list match is a red banner on the case and a timeline entry with its cause."""

from __future__ import annotations

import pytest

from corridor.cases.models import Stage
from corridor.exposure.services import list_import

pytestmark = pytest.mark.django_db


def test_an_exposure_match_is_a_banner_and_a_risk_entry_on_the_timeline(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, phone="+7 928 123-45-67", stage=Stage.VETTING)
    before = case.person.risk
    list_import(actor=cast.coordinator, organisation=cast.org, data="+79281234567\n", purpose="seized")
    case.person.refresh_from_db()
    body = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert 'class="danger-banner" role="alert"' in body
    assert "seized contacts" in body[:body.index('class="layout"')]
    timeline = body[body.index('id="timeline"'):]
    assert f"Risk {before} → {case.person.risk}" in timeline and "Cause: their phone" in timeline


def test_a_check_only_import_raises_nothing_and_shows_nothing(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, phone="+7 928 123-45-67")
    list_import(actor=cast.coordinator, organisation=cast.org, data="+79281234567\n", purpose="check")
    body = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert "danger-banner" not in body


def test_a_case_opened_from_a_provocateurs_contact_says_so(cast, staff_client):
    from corridor.exposure.services import provocateur_add
    from corridor.intake.services import contact_open_case, contact_record

    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw="+7 999 000-00-01")
    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="Хочу встретиться",
                             identifiers=[("phone", "+79990000001")])
    case = contact_open_case(actor=cast.coordinator, contact=contact, name="Некто",
                             override="совпадение с провокатором, проверяем лично")
    body = staff_client(cast.coordinator).get(f"/staff/cases/{case.code}/").content.decode()
    assert "danger-banner" in body and "provocateurs" in body
