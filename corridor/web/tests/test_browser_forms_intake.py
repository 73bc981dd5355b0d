"""Every triage form, submitted in Chromium by the role that uses it, under the
production headers (no-referrer, so `Origin: null`) and CSRF."""

from __future__ import annotations

import pytest
from django.utils import timezone

from corridor.intake.models import Contact, Status, VettingCheck
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("intake:record", "intake:status", "intake:flags", "intake:vetting", "intake:notes",
         "intake:identifier", "intake:check_provocateurs", "intake:link", "intake:open_case")
def test_an_operator_records_a_call_and_a_coordinator_triages_it(forms, cast, screenshot):
    op = forms(user=cast.operator)
    for what, phone in (("Звонил брат, его ищут", "+7 928 000-11-22"), ("Звонок ночью, задержан друг", "")):
        op.goto("/staff/intake/record/")
        submit(op, selector="form.card", values={"channel": "phone", "what": what, "phone": phone,
                                                 "urgency": "3", "flags": ["authorities"]})
    assert Contact.objects.count() == 2
    first, second = Contact.objects.order_by("received")

    page = forms(user=cast.coordinator)
    url = f"/staff/intake/{first.pk}/"
    page.goto(url)
    submit(page, f"{url}status/", {"status": Status.VETTING, "reason": "проверяем"})
    assert Contact.objects.get(pk=first.pk).status == Status.VETTING
    submit(page, f"{url}flags/", {"urgency": "2", "flags": ["family"]})
    assert Contact.objects.get(pk=first.pk).urgency == 2
    submit(page, f"{url}vetting/", {"item": "consistency", "outcome": "passed", "note": "рассказ сходится"})
    assert VettingCheck.objects.filter(contact=first, item="consistency", outcome="passed").exists()
    submit(page, f"{url}notes/", {"notes": "перезвонить в 22:00"})
    assert "перезвонить в 22:00" in page.content()
    submit(page, f"{url}identifiers/", {"kind": "handle", "value": "@brat_k"})
    assert "brat_k" in text(page)
    submit(page, f"{url}provocateurs/")
    submit(page, f"{url}link/", {"other": str(second.pk), "relation": "event"})
    assert second.ref in text(page)
    submit(page, f"{url}open-case/", {"name": "Адам", "summary": "ищут после задержания брата"})
    first.refresh_from_db()
    assert first.case is not None and first.case.code in text(page)
    screenshot(page, "forms-intake-open-case")


@submits("intake:reply", "intake:handled")
def test_an_operator_replies_to_a_web_contact_and_marks_another_handled(forms, cast):
    public = forms(javascript=False)
    for what in ("Мне нужна помощь, за мной следят", "Просто хочу узнать, как вы работаете"):
        public.goto("/")
        public.fill("#id_what", what)
        public.check("input[name=urgency][value='2']")
        with public.expect_navigation():
            public.click("button[type=submit]")
        assert public.locator("#receipt").count() == 1
    op = forms(user=cast.operator)
    op.goto("/staff/intake/")
    first, second = Contact.objects.order_by("received")
    url = f"/staff/intake/{first.pk}/"
    op.goto(url)
    submit(op, f"{url}reply/", {"text": "Мы получили ваше сообщение и напишем сегодня."})
    assert first.messages.filter(direction="out").count() == 1
    # A colleague taking over reads what was said.
    colleague = forms(user=cast.coordinator)
    colleague.goto(url)
    assert "Мы получили ваше сообщение и напишем сегодня." in text(colleague)
    url = f"/staff/intake/{second.pk}/"
    op.goto(url)
    submit(op, f"{url}handled/")
    assert not Contact.objects.get(pk=second.pk).awaiting_reply


@submits("intake:add_to_case")
def test_a_coordinator_adds_a_new_call_to_the_case_of_someone_we_already_help(forms, cast, screenshot):
    from corridor.cases import services as cases
    from corridor.intake.services import contact_record

    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ислам"},
                                 risk=4)
    case = cases.case_open(actor="system:test", person=person, worker=cast.alice)
    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="Ислам звонил снова",
                             where="Гудермес", urgency=3, identifiers=[("phone", "+7 928 765-43-21")])
    # Eleven other open cases: the picker offers a search, answered by the server.
    for i in range(11):
        other = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": f"Т{i}"})
        cases.case_open(actor="system:test", person=other, intake={"story": [{"at": "2026-01-05T10:00:00+00:00",
                                                                              "where": "Назрань"}]})
    cases.case_open(actor="system:test", person=cases.person_create(actor="system:test", organisation=cast.org,
                                                                   identity={"name_cyrillic": "Ж"}),
                    intake={"story": [{"at": "2026-01-05T10:00:00+00:00", "where": "Гудермес"}]})
    page = forms(user=cast.coordinator, javascript=False)
    page.goto(f"/staff/intake/{contact.pk}/")
    assert page.locator("#add-to-case select[name=case] option").count() == 13
    submit(page, selector="#add-to-case form[role=search]", values={"case_q": "Гудермес"})
    options = page.locator("#add-to-case select[name=case] option").all_inner_texts()
    assert len(options) == 1 and "Гудермес · риск 1 · последнее действие" in options[0] and "Назрань" not in options[0]
    submit(page, selector="#add-to-case form[role=search]", values={"case_q": case.code})
    option = page.locator("#add-to-case select[name=case] option").first.inner_text()
    assert case.code in option and "риск 4" in option and "регион не указан" in option
    assert f"последнее действие {timezone.localtime():%d.%m.%Y}" in option
    screenshot(page, "forms-intake-add-to-case")
    submit(page, f"/staff/intake/{contact.pk}/add-to-case/", {"case": case.code})
    assert Contact.objects.get(pk=contact.pk).case_id == case.pk
    assert case.code in text(page)


@submits("intake:attachment_original")
def test_an_operator_opens_a_photo_without_metadata_then_the_original_on_purpose(forms, cast, tmp_path):
    from pathlib import Path

    from corridor.audit.models import AuditEntry
    from corridor.evidence import samples, scrub
    from corridor.intake.events import IntakeEvent
    from corridor.intake.models import Attachment

    photo = samples.with_gps(samples.make_jpeg(48, 32))
    source = tmp_path / "photo.jpg"
    source.write_bytes(photo)
    public = forms(javascript=False)
    public.goto("/")
    public.fill("#id_what", "Фото из отдела, там видно лицо")
    public.check("input[name=urgency][value='2']")
    public.set_input_files("input[type=file]", str(source))
    with public.expect_navigation():
        public.click("button[type=submit]")
    assert public.locator("#receipt").count() == 1
    op = forms(user=cast.operator)
    op.goto("/staff/intake/")
    contact = Contact.objects.get()
    item = Attachment.objects.get()
    op.goto(f"/staff/intake/{contact.pk}/")
    with op.expect_download() as info:
        op.click(f"a[href='/staff/intake/files/{item.pk}/']")
    working = Path(info.value.path()).read_bytes()
    tags = scrub.read_metadata(Path(info.value.path()))
    assert working.startswith(b"\xff\xd8") and not [t for t in tags if t.startswith("GPS")]
    original = submit(op, f"/staff/intake/files/{item.pk}/original/", download=True)
    assert Path(original.path()).read_bytes() == photo
    assert AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_ORIGINAL_OPENED,
                                     actor=cast.operator.principal).count() == 1
