"""Every case form, submitted in Chromium by the role that uses it, under the
production headers (no-referrer, so `Origin: null`) and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.cases import services
from corridor.cases.models import Case, CheckIn, Note, Service
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _countries(db):
    """Transactional tests elsewhere flush the tables, including the countries a data
    migration seeds; put them back (idempotent) so the country menus have them."""
    import importlib

    from django.apps import apps as django_apps

    importlib.import_module("corridor.cases.migrations.0003_countries").seed(django_apps, None)


def _case(cast, worker=None, name="Иван Петров"):
    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": name}, phone="+7 928 555-00-11")
    return services.case_open(actor="system:test", person=person, summary="ищут после задержания",
                              worker=worker, opened=timezone.now() - timedelta(days=10))


@submits("cases:new", "cases:note_add", "cases:checklist", "cases:schedule", "cases:checkin",
         "cases:service_add", "cases:service_update", "cases:document_add", "cases:document_update",
         "cases:wanted", "cases:application_add", "cases:application_decide", "cases:relative_add",
         "cases:identifier_add", "cases:identifier_remove", "cases:member_add", "cases:person_edit",
         "cases:case_edit", "cases:transition")
def test_a_case_worker_keeps_a_case_up_to_date(forms, cast, screenshot):
    page = forms(user=cast.alice)
    page.goto("/staff/cases/new/")
    submit(page, selector="main form[method=post]", values={"name_cyrillic": "Адам Исаев", "phone": "+7 928 111-22-33",
                                                          "summary": "уехал из Грозного"})
    case = Case.objects.get()
    code = case.code
    base = f"/staff/cases/{code}/"
    assert page.url.endswith(base) and code in text(page)

    submit(page, f"{base}notes/", {"kind": "call", "text": "Позвонил, всё в порядке"})
    assert Note.objects.filter(case=case).exists()
    submit(page, f"{base}checklist/", selector=f"form[action='{base}checklist/'] >> nth=0")
    submit(page, f"{base}checkins/schedule/", {"every_hours": "24"})
    submit(page, f"{base}checkins/", {"status": "ok", "channel": "messenger"})
    assert CheckIn.objects.filter(case=case).exists()
    submit(page, f"{base}services/", {"kind": "medical", "provider": "клиника", "outcome": "ongoing"})
    service = Service.objects.get(case=case)
    submit(page, f"{base}services/{service.pk}/", {"outcome": "done"})
    assert Service.objects.get(pk=service.pk).outcome == "done"
    submit(page, f"{base}documents/", {"kind": "internal_passport", "status": "lost"})
    document = case.person.documents.get()
    submit(page, f"{base}documents/{document.pk}/", {"status": "in_progress"})
    assert case.person.documents.get().status == "in_progress"
    submit(page, f"{base}wanted/", {"wanted": True})
    assert "В розыске" in text(page) or "wanted" in text(page).lower()
    submit(page, f"{base}applications/", {"country": "DE", "programme": "humanitarian_visa"})
    application = case.applications.get()
    submit(page, f"{base}applications/{application.pk}/", {"decision": "granted", "decided": timezone.localdate().isoformat()})
    assert case.applications.get().decision == "granted"
    submit(page, f"{base}relatives/", {"relation": "father", "danger": "threat"})
    assert page.locator(".banner-danger").count() == 1
    submit(page, f"{base}identifiers/", {"kind": "handle", "value": "@adam_i"})
    identifier = case.person.identifiers.get(kind="handle")
    submit(page, f"{base}identifiers/{identifier.pk}/remove/")
    assert not case.person.identifiers.filter(pk=identifier.pk).exists()
    submit(page, f"{base}household/members/", {"name_cyrillic": "Мадина", "role": "partner"})
    assert Case.objects.count() == 2
    page.goto(f"{base}person/")
    submit(page, selector="main form[method=post]", values={"languages": "чеченский, русский"})
    submit(page, f"{base}edit/", {"travel_plan": "поезд до Москвы"})
    assert "поезд до Москвы" in text(page)
    submit(page, f"{base}stage/", {"to_stage": "vetting", "reason": "начали проверку"})
    assert Case.objects.get(pk=case.pk).stage == "vetting"
    screenshot(page, "forms-case-after-a-day")


@submits("cases:assign", "cases:alert_resolve", "cases:exports", "cases:export_decide", "cases:export_download",
         "cases:embassy_new", "cases:embassy_edit", "cases:embassy_contact", "cases:refer", "cases:referral_decide")
def test_coordinators_assign_resolve_alerts_export_and_refer(forms, cast):
    from corridor.cases.models import Alert, Embassy, ExportRequest, Referral
    from corridor.cases.services.safety import alerts_sweep

    case = _case(cast, worker=cast.alice)
    other = _case(cast, worker=cast.alice, name="Ислам")
    services.checkin_schedule(actor="system:test", case=case, every_hours=24,
                              first_due=timezone.now() + timedelta(minutes=5))
    alerts_sweep(timezone.now() + timedelta(hours=6))
    assert Alert.objects.filter(case=case, resolved__isnull=True).exists()

    page = forms(user=cast.coordinator)
    base = f"/staff/cases/{case.code}/"
    page.goto(base)
    submit(page, f"{base}assign/", {"worker": str(cast.bob.pk)})
    assert Case.objects.get(pk=case.pk).worker == cast.bob
    page.goto("/staff/cases/alerts/")
    alert = Alert.objects.get(case=case)
    submit(page, f"/staff/cases/alerts/{alert.pk}/resolve/", {"note": "дозвонились, всё хорошо"})
    assert Alert.objects.get(pk=alert.pk).resolved is not None

    page.goto("/staff/cases/exports/")
    submit(page, selector="main form[method=post]", values={"purpose": "отчёт для партнёров"})
    request = ExportRequest.objects.get()
    second = forms(user=cast.coordinator2)
    second.goto("/staff/cases/exports/")
    submit(second, f"/staff/cases/exports/{request.pk}/decide/", button="button[value='1']")
    assert ExportRequest.objects.get(pk=request.pk).status == "approved"
    page.goto("/staff/cases/exports/")
    downloaded = submit(page, f"/staff/cases/exports/{request.pk}/download/", download=True)
    assert downloaded.suggested_filename

    page.goto("/staff/cases/embassies/new/?country=DE")
    submit(page, selector="main form[method=post]", values={"country": "DE", "city": "Берлин",
                                                          "contacts": "консул, +49 30 0000000"})
    embassy = Embassy.objects.get()
    page.goto(f"/staff/cases/embassies/{embassy.pk}/")
    submit(page, selector="main form[method=post]", values={"city": "Бонн"})
    assert Embassy.objects.get().city == "Бонн"
    page.goto("/staff/cases/countries/DE/")
    submit(page, f"/staff/cases/embassies/{embassy.pk}/contact/")

    page.goto(f"/staff/cases/{other.code}/refer/")
    submit(page, selector="main form[method=post]", values={"to_org": str(cast.other_org.pk), "consent": "written"})
    referral = Referral.objects.get()
    partner = forms(user=cast.partner_coordinator)
    partner.goto(f"/staff/cases/referrals/{referral.pk}/")
    submit(partner, selector="form:has(input[name=action][value=accept])")
    assert Referral.objects.get().status == "accepted"
    assert "P-" in partner.url


@submits("cases:break_glass", "cases:open_by_code", "cases:access_log_seen")
def test_someone_outside_the_assignment_opens_a_case_with_a_reason(forms, cast):
    case = _case(cast, worker=cast.alice)
    legal = forms(user=cast.legal)
    legal.goto("/staff/cases/")
    submit(legal, "/staff/cases/open/", {"code": case.code})
    submit(legal, selector="main form[method=post]", values={"reason": "нужны показания для жалобы, куратор недоступна"})
    assert legal.url.endswith(f"/staff/cases/{case.code}/")
    assert legal.locator(".banner-glass").count() == 1
    coordinator = forms(user=cast.coordinator)
    coordinator.goto("/staff/cases/access/")
    assert "нужны показания" in text(coordinator)
    submit(coordinator, "/staff/cases/access/seen/")
