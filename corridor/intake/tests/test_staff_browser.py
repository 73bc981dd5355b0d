"""Staff pages in Chromium (JavaScript on, as staff use them): the triage queue, a
contact with its vetting and reply forms, and an exposure result. Screenshots go to
test-artifacts/screenshots/ for review."""

from __future__ import annotations

import pytest

from corridor.intake.models import Contact
from corridor.intake.services import contact_record, messages_open, reply_send, vetting_record
from corridor.intake.tests.conftest import JPEG, submit, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_triage_pages(browser, screenshot, cast, client):
    submit(client, what="Меня задержали возле дома и держали три дня. Требовали назвать имена знакомых.",
           where="Гудермес", reach="Signal после 22:00", files=[upload("photo.jpg", JPEG)])
    submit(client, what="Отец забрал паспорт и не выпускает из дома.", urgency="2")
    contact_record(actor=cast.operator, organisation=cast.org, channel="referral", what="Направили партнёры",
                   partner="Сеть «Юг»", urgency=1, flags=["medical"], identifiers=[("phone", "89281234567")])
    messages_open(actor=cast.operator, organisation=cast.org)
    contact = Contact.objects.filter(channel="web").order_by("received").first()
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed", note="Поручилась Марина")
    reply_send(actor=cast.operator, contact=contact, text="Мы рядом.")

    page = browser(user=cast.coordinator)
    page.goto("/staff/intake/")
    assert "Гудермес" not in page.inner_text("main")  # the list shows summaries, not places
    assert "Меня задержали" in page.inner_text("main")
    screenshot(page, "intake-staff-queue")
    page.goto(f"/staff/intake/{contact.pk}/")
    assert "Поручилась Марина" in page.inner_text("main")
    screenshot(page, "intake-staff-contact")


def test_exposure_pages(browser, screenshot, cast):
    from corridor.cases.services import case_open, person_create
    from corridor.exposure.services import list_import, provocateur_add

    person = person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ахмед"},
                           phone="+79281234567", risk=2)
    case_open(actor="system:test", person=person, worker=cast.alice)
    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw="+79990001122",
                    note="в 2018 выдавал себя за пострадавшего")
    imp = list_import(actor=cast.operator, organisation=cast.org, purpose="seized", filename="x.csv",
                      data="Имя;Тел\nА;8 (928) 123-45-67\nБ;+7 999 000 11 22\nВ;+7 928 12\n".encode(),
                      label="Телефон задержанного")
    page = browser(user=cast.operator)
    page.goto(f"/staff/exposure/imports/{imp.pk}/")
    assert person.code in page.inner_text("main")
    screenshot(page, "exposure-staff-result")
    page = browser(user=cast.alice)
    page.goto("/staff/")
    assert person.code in page.inner_text("main")
    screenshot(page, "exposure-staff-alert")
