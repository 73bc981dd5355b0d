"""Danger first: a provocateur or a seized-list match is a red banner written
positively, and the triage queue sorts by danger, then by waiting time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.exposure.services import list_import, provocateur_add
from corridor.intake.models import Contact
from corridor.intake.services import contact_record
from corridor.intake.tests.conftest import submit

pytestmark = pytest.mark.django_db

PROVOCATEUR = "+7 999 000-00-01"


def _record(cast, what, *, phone="", urgency=0, flags=()):
    identifiers = [("phone", phone)] if phone else []
    return contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what=what,
                          urgency=urgency, flags=list(flags), identifiers=identifiers)


def test_recording_a_call_from_a_known_provocateur_says_so_in_red(cast, staff_client):
    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw=PROVOCATEUR)
    client = staff_client(cast.operator)
    response = client.post("/staff/intake/record/", {"channel": "phone", "what": "Хочу встретиться", "urgency": "0",
                                                     "phone": "8 999 000 00 01"}, follow=True)
    body = response.content.decode()
    assert "в списке известных провокаторов" in body
    assert 'class="danger-banner" role="alert"' in body
    assert "добавлено" not in body.lower() and "в очереди разбора" not in body
    # The double negative is gone from the vetting list.
    assert "Нет совпадений с известными провокаторами" not in body


def test_an_ordinary_call_gets_no_danger_banner(cast, staff_client):
    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw=PROVOCATEUR)
    response = staff_client(cast.operator).post(
        "/staff/intake/record/", {"channel": "phone", "what": "Нужна помощь", "urgency": "2",
                                  "phone": "+7 928 111 22 33"}, follow=True)
    body = response.content.decode()
    assert "danger-banner" not in body and "в списке не найден" in body


def test_a_contact_in_a_seized_list_shows_the_exposure_banner(cast, staff_client):
    contact = _record(cast, "Брат задержан", phone="+7 928 111 22 33")
    list_import(actor=cast.coordinator, organisation=cast.org, data="+79281112233\n", purpose="seized")
    body = staff_client(cast.operator).get(f"/staff/intake/{contact.pk}/").content.decode()
    assert "в изъятых контактах задержанного" in body and "danger-banner" in body


def test_the_queue_puts_danger_above_messages_awaiting_a_reply(cast, public, staff_client):
    submit(public, what="Не срочно, просто вопрос", urgency="1")
    danger = _record(cast, "Звонок: за ним пришли", urgency=3)
    older_danger = _record(cast, "Звонок раньше: угрожают", urgency=3)
    Contact.objects.filter(pk=older_danger.pk).update(last_activity=timezone.now() - timedelta(hours=3))
    detained = _record(cast, "Задержан вчера", urgency=2, flags=["detained"])
    soon = _record(cast, "В ближайшие дни", urgency=2)
    body = staff_client(cast.operator).get("/staff/intake/").content.decode()
    web = Contact.objects.get(channel="web")
    assert web.awaiting_reply
    order = [body.index(c.ref) for c in (older_danger, danger, detained, soon, web)]
    assert order == sorted(order), "danger first, the longest waiting first within it; awaiting a reply last"
