"""Housing, exposure, accounts and the staff shell's own forms, submitted in
Chromium by the role that uses them, under the production headers and CSRF."""

from __future__ import annotations

import pytest
from django.utils import timezone

from corridor.cases import services as cases
from corridor.housing.models import SafeHouse, Stay
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("housing:new", "housing:edit", "housing:check_in", "housing:move", "housing:check_out")
def test_a_coordinator_runs_the_safe_houses_and_confirms_a_check_out(forms, cast, screenshot):
    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ислам"})
    case = cases.case_open(actor="system:test", person=person, worker=cast.alice)
    page = forms(user=cast.coordinator)
    for label in ("Дом у реки", "Квартира Б"):
        page.goto("/staff/housing/new/")
        submit(page, selector="main form[method=post]", values={"label": label, "capacity": "3",
                                                              "address": "ул. Ленина, 1", "city": "Тверь"})
    river, flat = SafeHouse.objects.order_by("label")
    page.goto(f"/staff/housing/{river.pk}/edit/")
    submit(page, selector="main form[method=post]", values={"capacity": "4"})
    assert SafeHouse.objects.get(pk=river.pk).capacity == 4
    page.goto(f"/staff/housing/{river.pk}/")
    submit(page, f"/staff/housing/{river.pk}/check-in/", {"code": case.code})
    stay = Stay.objects.get()
    assert case.code in text(page)
    submit(page, f"/staff/housing/stays/{stay.pk}/move/", {"to_house": str(flat.pk)})
    moved = Stay.objects.get(check_out__isnull=True)
    assert moved.house == flat

    page.goto(f"/staff/housing/{flat.pk}/")
    submit(page, f"/staff/housing/stays/{moved.pk}/check-out/")
    # One click only asks: nobody is checked out until the second, explicit step.
    assert Stay.objects.get(pk=moved.pk).check_out is None
    assert case.code in text(page) and page.locator("button.btn-danger").count() == 1
    screenshot(page, "forms-housing-check-out-confirm")
    submit(page, f"/staff/housing/stays/{moved.pk}/check-out/", selector="main form[method=post]")
    assert Stay.objects.get(pk=moved.pk).check_out == timezone.localdate()
    assert page.url.endswith(f"/staff/housing/{flat.pk}/")


@submits("exposure:provocateurs", "exposure:provocateur_remove", "exposure:alert_ack")
def test_provocateurs_are_listed_and_removed_and_an_alert_is_acknowledged(forms, cast):
    from corridor.exposure.models import ExposureAlert, Provocateur
    from corridor.exposure.services import list_import

    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ахмед"},
                                 phone="+7 928 123-45-67", risk=2)
    cases.case_open(actor="system:test", person=person, worker=cast.alice)
    page = forms(user=cast.coordinator)
    page.goto("/staff/exposure/provocateurs/")
    submit(page, selector="main form.card", values={"kind": "phone", "value": "+7 999 000-00-01",
                                                  "note": "назначал встречи и приводил полицию"})
    provocateur = Provocateur.objects.get()
    submit(page, f"/staff/exposure/provocateurs/{provocateur.pk}/remove/")
    assert not Provocateur.objects.filter(pk=provocateur.pk).exists()

    list_import(actor=cast.coordinator, organisation=cast.org, data="+79281234567\n", purpose="seized")
    alert = ExposureAlert.objects.get(recipient=cast.alice)
    worker = forms(user=cast.alice)
    worker.goto("/staff/")
    submit(worker, f"/staff/exposure/alerts/{alert.pk}/done/")
    assert ExposureAlert.objects.get(pk=alert.pk).acknowledged is not None


@submits("accounts:user_create", "accounts:user_detail", "accounts:user_reset_totp")
def test_an_administrator_creates_edits_and_resets_a_user(forms, cast):
    from corridor.accounts.models import User

    page = forms(user=cast.admin)
    page.goto("/staff/users/new/")
    submit(page, selector="main form[method=post]", values={"username": "zina", "display_name": "Зина",
                                                          "role": "operator", "password": "a long temporary password 7"})
    zina = User.objects.get(username="zina")
    page.goto(f"/staff/users/{zina.pk}/")
    submit(page, selector="main form[method=post]:not([action])", values={"role": "case_worker"})
    assert User.objects.get(pk=zina.pk).role == "case_worker"
    page.goto(f"/staff/users/{zina.pk}/")
    submit(page, f"/staff/users/{zina.pk}/reset-totp/")


@submits("web:set_language", "accounts:security", "accounts:end_sessions", "accounts:logout")
def test_a_worker_switches_language_changes_password_and_signs_out(forms, cast):
    page = forms(user=cast.alice)
    page.goto("/staff/")
    submit(page, "/staff/language/", button="button[name=language]")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/staff/security/")
    submit(page, selector="main form[method=post]:not([action])",
           values={"current": "a long test password 1", "new": "another long password 22"})
    cast.alice.refresh_from_db()
    assert cast.alice.check_password("another long password 22")
    page = forms(user=cast.alice)
    page.goto("/staff/")
    submit(page, "/staff/logout/")
    assert "/staff/login/" in page.url or "Corridor" in text(page)
    page.goto("/staff/cases/")
    assert "/staff/login/" in page.url
    page = forms(user=cast.alice)
    page.goto("/staff/security/")
    submit(page, "/staff/security/end-sessions/")
    assert "/staff/login/" in page.url


@submits("web:seal")
def test_an_administrator_seals_the_server(forms, cast, fresh_agent):
    page = forms(user=cast.admin)
    page.goto("/staff/keys/")
    submit(page, "/staff/keys/seal/")
    assert fresh_agent.agent.sealed


@submits("audit:acknowledge_alert")
def test_an_administrator_acknowledges_an_audit_alert(forms, cast):
    from corridor.audit.models import AuditAlert

    alert = AuditAlert.objects.create(kind=AuditAlert.Kind.WITNESS_REFUSED, message="witness w1 refused checkpoint 40")
    page = forms(user=cast.admin)
    page.goto("/staff/audit/")
    assert "witness w1 refused" in text(page)
    submit(page, f"/staff/audit/alerts/{alert.pk}/acknowledge/", values={"note": "the witness restored an old copy"})
    alert.refresh_from_db()
    assert alert.acknowledged and alert.acknowledgement == "the witness restored an old copy"
    assert "witness w1 refused" not in text(page)


@submits("accounts:organisation_time_zone", "accounts:own_time_zone")
def test_an_administrator_sets_the_zone_and_a_worker_in_berlin_chooses_her_own(forms, cast):
    from corridor.accounts.models import Organisation, User

    page = forms(user=cast.admin)
    page.goto("/staff/users/")
    submit(page, "/staff/users/time-zone/", {"time_zone": "Europe/Moscow"})
    assert Organisation.objects.get(pk=cast.org.pk).time_zone == "Europe/Moscow"
    assert "MSK" in page.inner_text("header")

    worker = forms(user=cast.alice)
    worker.goto("/staff/security/")
    submit(worker, "/staff/security/time-zone/", {"time_zone": "Europe/Berlin"})
    assert User.objects.get(pk=cast.alice.pk).time_zone == "Europe/Berlin"
    header = worker.inner_text("header")
    assert "Europe/Berlin" in header and ("CET" in header or "CEST" in header)
