"""Work entered after the fact, and one vetting, in Chromium under the production
headers: a call written up the next morning keeps its night, a suspected
provocation needs a reason, a case opened from a vetted contact starts at
"accepted" with the story, an unvetted one needs a written override, a case can be
opened at its real first contact, and a missed stage goes in its place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.cases.models import Case, Stage, StageChange
from corridor.intake.models import Contact, Status
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


@submits("intake:record", "intake:status", "intake:vetting", "intake:open_case")
def test_a_call_written_up_later_is_vetted_once_and_opened_at_accepted(forms, cast, screenshot):
    """(The refused provocation without a reason and the refused opening without
    vetting are meant to be refused: `may_refuse` below.)"""
    night = (timezone.now() - timedelta(days=1)).replace(hour=2, minute=40, second=0, microsecond=0)
    op = forms(user=cast.operator)
    op.goto("/staff/intake/record/")
    submit(op, selector="form.card", values={"channel": "phone", "received": _local(night),
                                             "what": "Звонил ночью: брата забрали, его ищут",
                                             "reach": "Signal после 22:00", "urgency": "3"})
    first = Contact.objects.get()
    assert first.received == night
    op.goto("/staff/intake/record/")
    submit(op, selector="form.card", values={"channel": "telegram", "what": "Спрашивал адреса квартир"})
    second = Contact.objects.exclude(pk=first.pk).get()

    page = forms(user=cast.coordinator)
    url = f"/staff/intake/{second.pk}/"
    page.goto(url)
    submit(page, f"{url}status/", {"status": Status.PROVOCATION, "reason": ""})
    assert "suspect a provocation" in text(page) or "провокац" in text(page)
    assert Contact.objects.get(pk=second.pk).status == Status.NEW
    submit(page, f"{url}status/", {"status": Status.PROVOCATION, "reason": "спрашивал адреса, не назвал себя"})
    assert Contact.objects.get(pk=second.pk).status == Status.PROVOCATION

    url = f"/staff/intake/{first.pk}/"
    page.goto(url)
    assert page.locator("[name=override]").count() == 1  # not vetted yet: the override is offered
    submit(page, f"{url}open-case/", {"name": "Адам"})
    assert not Case.objects.exists()
    submit(page, f"{url}vetting/", {"item": "referee", "outcome": "passed", "note": "поручилась сестра"})
    assert page.locator("[name=override]").count() == 0
    accepted = night + timedelta(hours=6)
    submit(page, f"{url}open-case/", {"name": "Адам", "when": _local(accepted), "worker": str(cast.alice.pk)})
    case = Case.objects.get()
    assert case.stage == Stage.ACCEPTED and case.opened == night
    assert StageChange.objects.get(case=case, to_stage="accepted").at == accepted

    worker = forms(user=cast.alice)
    worker.goto(f"/staff/cases/{case.code}/")
    body = text(worker)
    assert "брата забрали" in body and "поручилась сестра" in body and first.ref in body
    screenshot(worker, "forms-case-from-vetted-contact")


@submits("intake:open_case")
def test_a_coordinator_opens_an_unvetted_contact_with_a_written_reason(forms, cast):
    from corridor.intake.services import contact_record

    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone",
                             what="Задержан сейчас, звонит сестра")
    page = forms(user=cast.coordinator)
    url = f"/staff/intake/{contact.pk}/"
    page.goto(url)
    submit(page, f"{url}open-case/", {"name": "Ислам", "override": "в отделе прямо сейчас, проверять некогда"})
    case = Case.objects.get()
    assert case.stage == Stage.ACCEPTED
    page.goto(f"/staff/cases/{case.code}/")
    assert "проверять некогда" in text(page)


test_a_call_written_up_later_is_vetted_once_and_opened_at_accepted.may_refuse = ("intake:status", "intake:open_case")


@submits("cases:new", "cases:transition")
def test_a_case_opened_at_its_first_contact_gets_a_missed_step_in_place(forms, cast):
    from corridor.cases import services

    first_contact = (timezone.now() - timedelta(days=20)).replace(second=0, microsecond=0)
    page = forms(user=cast.alice)
    page.goto("/staff/cases/new/")
    submit(page, selector="main form[method=post]", values={"name_cyrillic": "Адам Исаев",
                                                          "opened": _local(first_contact),
                                                          "summary": "уехал из Грозного"})
    case = Case.objects.get()
    assert case.opened == first_contact
    base = f"/staff/cases/{case.code}/"
    vetting = first_contact + timedelta(days=2)
    submit(page, f"{base}stage/", {"to_stage": "vetting", "reason": "начали проверку", "at": _local(vetting)})
    accepted = first_contact + timedelta(days=4)
    submit(page, f"{base}stage/", {"to_stage": "accepted", "reason": "поручились", "at": _local(accepted)})
    services.checklist_set(actor="system:test", case=case, key="route_agreed", done=True)
    sheltered = first_contact + timedelta(days=9)
    page.goto(base)
    submit(page, f"{base}stage/", {"to_stage": "sheltered", "reason": "доехал сам", "at": _local(sheltered)})
    # Later the worker learns when he left the region: an earlier step, in its place.
    page.goto(base)
    assert page.locator("select[name=to_stage] optgroup option[value=leaving_region]").count() == 1
    left = first_contact + timedelta(days=7)
    submit(page, f"{base}stage/", {"to_stage": "leaving_region", "reason": "выехал ночью",
                                   "at": _local(left)})
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.stage == Stage.SHELTERED and fresh.stage_since == sheltered
    steps = list(StageChange.objects.filter(case=case).order_by("at").values_list("from_stage", "to_stage", "at"))
    assert steps[-2:] == [("accepted", "leaving_region", left), ("leaving_region", "sheltered", sheltered)]
    # A step that does not fit is refused on the page, with the reason.
    page.goto(base)
    submit(page, f"{base}stage/", {"to_stage": "documents", "reason": "паспорт", "at": _local(left)})
    assert "does not fit" in text(page) or "не подходит" in text(page)


test_a_case_opened_at_its_first_contact_gets_a_missed_step_in_place.may_refuse = ("cases:transition",)
