"""One household's whole journey, from first contact to asylum, in Chromium.

Screenshots go to test-artifacts/screenshots/cases-*.png for review.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.cases.models import Application, Case, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _form(page, action: str):
    return page.locator(f"form[action$='{action}']").first


def _open(page, summary: str):
    page.locator("summary", has_text=summary).first.click()


def _move(page, code: str, stage_label: str, reason: str):
    form = _form(page, f"/{code}/stage/")
    form.locator("select[name=to_stage]").select_option(label=stage_label)
    form.locator("textarea[name=reason]").fill(reason)
    form.locator("button").click()
    page.wait_for_load_state()


def _english(user):
    """Staff pages use the saved language of the account (put in the session at sign-in)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_a_household_from_contact_to_asylum(cast, browser, screenshot):
    # Transactional tests elsewhere flush the tables, including the countries that a
    # data migration seeds; put them back (idempotent).
    import importlib

    from django.apps import apps as django_apps

    importlib.import_module("corridor.cases.migrations.0003_countries").seed(django_apps, None)
    today = timezone.localdate()
    page = browser(user=_english(cast.alice))
    page.goto("/staff/cases/new/")
    page.fill("input[name=name_cyrillic]", "Ислам Дудаев")
    page.fill("input[name=name_latin]", "Islam Dudaev")
    page.fill("input[name=phone]", "8 (928) 700-11-22")
    page.select_option("select[name=risk]", "5")
    page.fill("textarea[name=summary]", "Detained twice in Grozny; relatives threaten him.")
    screenshot(page, "cases-01-new-case")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r"/staff/cases/K-\d+/"))
    code = page.url.rstrip("/").split("/")[-1]
    assert "Islam" in page.content() or "Ислам" in page.content()

    # The partner travels with him.
    _open(page, "Add someone who travels with them")
    member = _form(page, "/household/members/")
    member.locator("select[name=role]").select_option("partner")
    member.locator("input[name=name_cyrillic]").fill("Лиана Дудаева")
    member.locator("button").click()
    page.wait_for_load_state()
    assert "Лиана Дудаева" in page.content()

    # A relative who is a danger.
    _open(page, "Add a relative")
    rel = _form(page, "/relatives/")
    rel.locator("select[name=relation]").select_option("uncle")
    rel.locator("select[name=danger]").select_option("threat")
    rel.locator("textarea[name=details]").fill("Works for the police; said he would find him.")
    rel.locator("button").click()
    page.wait_for_load_state()

    _move(page, code, "Vetting", "Hotline call; story checked with a second source.")
    _move(page, code, "Accepted", "Threat confirmed.")
    # Leaving the region needs a route first: the refusal says so.
    _move(page, code, "Leaving the region", "Tonight.")
    assert "Agree the route and travel plan first" in page.content()
    screenshot(page, "cases-02-refused-without-route")
    _form(page, "/checklist/").wait_for()
    page.locator("li", has_text="Route and travel plan agreed").locator("button.tick").click()
    page.wait_for_load_state()
    _open(page, "Edit")
    plan = _form(page, "/edit/")
    plan.locator("textarea[name=travel_plan]").fill("Volunteer's car to Nalchik at 3 a.m., then the train.")
    plan.locator("button").click()
    page.wait_for_load_state()
    _move(page, code, "Leaving the region", "Route agreed, leaving at night.")
    # In transit: check-ins every 4 hours.
    _open(page, "Schedule")
    sched = _form(page, "/checkins/schedule/")
    sched.locator("select[name=every_hours]").select_option("4")
    sched.locator("button").click()
    page.wait_for_load_state()
    _open(page, "Record a check-in")
    ci = _form(page, "/checkins/")
    ci.locator("select[name=channel]").select_option("code_word")
    ci.locator("textarea[name=note]").fill("Passed the checkpoint.")
    ci.locator("button").click()
    page.wait_for_load_state()
    screenshot(page, "cases-03-in-transit")

    # The coordinator opens a safe house and checks him in; only she sees the address.
    coord = browser(user=_english(cast.coordinator))
    coord.goto("/staff/housing/new/")
    coord.fill("input[name=label]", "Birch")
    coord.fill("input[name=capacity]", "4")
    coord.fill("textarea[name=address]", "12 Hidden street, flat 3")
    coord.fill("input[name=city]", "Yerevan")
    coord.get_by_role("button", name="Save").click()
    coord.wait_for_load_state()
    _open(coord, "Check someone in")
    coord.fill("input[name=code]", code)
    _form(coord, "/check-in/").locator("button").click()
    coord.wait_for_load_state()
    coord.get_by_role("link", name="Show the address").click()
    coord.locator(".address").wait_for()
    assert "12 Hidden street" in coord.content()
    screenshot(coord, "cases-04-safe-house-coordinator")
    page.goto(coord.url.split("#")[0].replace("/address/", "/"))
    assert "12 Hidden street" not in page.content() and "Only coordinators" in page.content()
    screenshot(page, "cases-05-safe-house-case-worker")

    page.goto(f"/staff/cases/{code}/")
    _move(page, code, "Sheltered", "Arrived at the safe house.")
    _open(page, "Add a service")
    svc = _form(page, "/services/")
    svc.locator("select[name=kind]").select_option("medical")
    svc.locator("input[name=provider]").fill("Clinic on the corner")
    svc.locator("input[name=cost]").fill("4500")
    svc.locator("select[name=outcome]").select_option("done")
    svc.locator("button").click()
    page.wait_for_load_state()
    _move(page, code, "Documents", "Needs an international passport.")
    _open(page, "Add a document")
    doc = _form(page, "/documents/")
    doc.locator("select[name=kind]").select_option("international_passport")
    doc.locator("select[name=status]").select_option("issued")
    doc.locator("input[name=number]").fill("75 1234567")
    doc.locator("input[name=issued]").fill((today - timedelta(days=1)).isoformat())
    doc.locator("input[name=expires]").fill((today + timedelta(days=3650)).isoformat())
    doc.locator("button").click()
    page.wait_for_load_state()
    _move(page, code, "Visa or asylum", "Passport issued.")
    # Departing before a visa is granted is refused, with the reason.
    _move(page, code, "Departed the country", "Tickets for Friday.")
    assert "before a visa or an entry programme is granted" in page.content()
    screenshot(page, "cases-06-refused-departure")
    _open(page, "Add an application")
    app = _form(page, "/applications/")
    app.locator("select[name=country]").select_option("DE")
    app.locator("select[name=programme]").select_option("humanitarian_visa")
    app.locator("input[name=submitted]").fill((today - timedelta(days=1)).isoformat())
    app.locator("button").click()
    page.wait_for_load_state()
    application = Application.objects.get(case__code=code)
    _open(page, "Record the decision")
    dec = _form(page, f"/applications/{application.pk}/")
    dec.locator("select[name=decision]").select_option("granted")
    dec.locator("input[name=decided]").fill(today.isoformat())
    dec.locator("button").click()
    page.wait_for_load_state()
    _move(page, code, "Departed the country", "Flew to Berlin with a humanitarian visa.")
    # Asylum in Germany.
    _open(page, "Add an application")
    app = _form(page, "/applications/")
    app.locator("select[name=country]").select_option("DE")
    app.locator("select[name=programme]").select_option("asylum")
    app.locator("input[name=submitted]").fill(today.isoformat())
    app.locator("button").click()
    page.wait_for_load_state()
    asylum = Application.objects.get(case__code=code, programme="asylum")
    _open(page, "Record the decision")
    dec = _form(page, f"/applications/{asylum.pk}/")
    dec.locator("select[name=decision]").select_option("granted")
    dec.locator("input[name=decided]").fill(today.isoformat())
    dec.locator("button").click()
    page.wait_for_load_state()
    _move(page, code, "Resettled (asylum granted)", "Asylum granted in Germany.")
    case = Case.objects.get(code=code)
    assert case.stage == Stage.RESETTLED and case.closed is not None
    assert "Resettled (asylum granted)" in page.content()
    screenshot(page, "cases-07-resettled")

    # The coordinator's board and the country board, in Russian too.
    coord.goto("/staff/cases/board/")
    screenshot(coord, "cases-08-board")
    coord.goto("/staff/cases/countries/")
    assert "of 27 EU countries" in coord.content()
    screenshot(coord, "cases-09-countries")
    page.goto("/staff/cases/")
    screenshot(page, "cases-10-list")


def test_the_list_and_board_work_without_javascript(cast, browser, screenshot, make_case):
    for i in range(3):
        make_case(cast.org, worker=cast.alice, name=f"Человек {i}", stage=Stage.SHELTERED, days_ago=20)
    make_case(cast.org, worker=cast.alice, phone="+7 928 111-22-33", stage=Stage.VETTING, days_ago=3)
    page = browser(javascript=False, user=cast.coordinator)
    page.goto("/staff/cases/")
    page.fill("input[name=q]", "8 928 111 22 33")
    page.locator("form.filters button").click()
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() == 1
    page.goto("/staff/cases/board/")
    page.select_option("select[name=period]", "30")
    page.locator("form.filters button").click()
    page.wait_for_load_state()
    assert "period=30" in page.url and page.locator("svg.chart").count() >= 3
    screenshot(page, "cases-11-board-no-js-ru")
