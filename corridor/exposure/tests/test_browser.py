"""Importing a seized contact list in Chromium, under the production headers
(`Referrer-Policy: no-referrer` makes the browser send `Origin: null`)."""

from __future__ import annotations

import pytest

from corridor.cases.models import Person
from corridor.exposure.models import ExposureAlert, ExposureImport
from corridor.exposure.tests.test_import import SEIZED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sent_origins(page):
    origins = []
    page.on("request", lambda r: origins.append(r.headers.get("origin")) if r.method == "POST" else None)
    return origins


@pytest.mark.parametrize("javascript", [False, True])
def test_a_coordinator_imports_a_seized_csv_file(browser, cast, people, tmp_path, screenshot, javascript):
    """Without JavaScript a plain form post (`Origin: null`); with it, the shared
    upload script sends the file by XMLHttpRequest and shows its progress."""
    page = browser(user=cast.coordinator, javascript=javascript)
    origins = _sent_origins(page)
    seized = tmp_path / "телефон.csv"
    seized.write_text(SEIZED, encoding="utf-8")
    page.goto("/staff/exposure/")
    page.fill("input[name=label]", "телефон задержанного")
    page.set_input_files("input[name=file]", str(seized))
    if javascript:
        page.expose_function("recordProgress", lambda value: seen.append(value))
        seen: list[int] = []
        page.evaluate("""() => document.addEventListener('corridor:upload-progress', (e) =>
            window.recordProgress(e.detail.percent))""")
    page.click("form.card button.btn-primary")
    page.wait_for_url("**/staff/exposure/imports/**")
    assert len(origins) == 1
    if javascript:
        assert seen and seen[0] == 0 and max(seen) == 100
    else:
        assert origins == ["null"], "the test must run under the production referrer policy"
    imp = ExposureImport.objects.get()
    assert imp.matched_people == 3
    assert Person.objects.get(pk=people["ahmed"].pk).risk == 4
    assert ExposureAlert.objects.filter(recipient=cast.alice).exists()
    assert people["ahmed"].code in page.content()
    screenshot(page, "exposure-import-result")


def test_an_operator_imports_pasted_text(browser, cast, people):
    page = browser(user=cast.operator)
    page.goto("/staff/exposure/")
    page.fill("textarea[name=text]", "@ruslan_k\n+7 999 111 22 33\n")
    page.click("form.card button.btn-primary")
    page.wait_for_url("**/staff/exposure/imports/**")
    assert ExposureImport.objects.get().matched_people == 1
    assert Person.objects.get(pk=people["ruslan"].pk).risk == 4


def test_an_empty_import_says_what_is_wrong_in_russian(browser, cast, people):
    page = browser(user=cast.operator)
    page.goto("/staff/exposure/")
    page.click("form.card button.btn-primary")
    assert "Выберите файл" in page.content() or "вставьте" in page.content().lower()
    assert not ExposureImport.objects.exists()
