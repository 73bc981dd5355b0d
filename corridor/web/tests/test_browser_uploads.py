"""Every form that sends files shows the upload's progress (the shared
`web/upload.js`, under the production CSP) and completes; without JavaScript the
same forms post as plain forms. Evidence uploads: test_browser_forms_evidence.py;
the seized-list import: corridor/exposure/tests/test_browser.py."""

from __future__ import annotations

import pytest
from django.utils import timezone

from corridor.funds.models import Expense
from corridor.intake.models import Attachment, Contact
from corridor.web.tests.test_browser_forms_evidence import _large_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_progress(page, seen: list | None = None) -> list:
    """Record each progress report and whether the bar was visible then. A page
    already watched (`seen` given) only listens again on its new document."""
    if seen is None:
        seen = []
        page.expose_function("recordProgress", lambda percent, visible: seen.append((percent, visible)))
    page.evaluate("""() => document.addEventListener('corridor:upload-progress', (e) => window.recordProgress(
        e.detail.percent, !e.target.querySelector('[data-upload-progress]').hidden))""")
    return seen


def _photo(tmp_path, name="скан.pdf"):
    """A 3 MiB PDF: big enough that the upload reports progress on the way."""
    folder = tmp_path / name
    folder.mkdir()
    return _large_pdf(folder, 3)


@pytest.mark.parametrize("javascript", [True, False])
def test_the_public_form_shows_progress_and_gives_the_receipt(browser, tmp_path, cast, javascript):
    page = browser(javascript=javascript)
    page.goto("/?lang=ru")
    assert page.locator("[data-upload-progress]").is_hidden()
    seen = _watch_progress(page) if javascript else None
    page.fill("#id_what", "Фото повестки")
    page.check("input[name=urgency][value='2']")
    page.set_input_files("input[type=file]", str(_photo(tmp_path)))
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    assert page.locator("#receipt").count() == 1
    assert Contact.objects.count() == 1
    if javascript:
        assert seen and all(visible for _, visible in seen) and max(p for p, _ in seen) == 100


def test_an_expense_and_its_receipt_upload_with_progress(browser, cast, tmp_path):
    page = browser(user=cast.finance)
    page.goto("/staff/funds/expenses/new/")
    seen = _watch_progress(page)
    page.fill("#id_date", timezone.localdate().isoformat())
    page.fill("#id_amount", "120")
    page.select_option("#id_category", "relocation")
    page.set_input_files("#id_receipt", str(_photo(tmp_path)))
    with page.expect_navigation(timeout=60_000):
        page.click("main form[data-upload] button.btn-primary")
    expense = Expense.objects.get()
    assert expense.receipt_blob and max(p for p, _ in seen) == 100
    assert f"/staff/funds/expenses/{expense.pk}/" in page.url
    # Replace the receipt from the expense's page.
    seen.clear()
    _watch_progress(page, seen)
    before = expense.receipt_blob
    page.set_input_files("form[data-upload] input[name=receipt]", str(_photo(tmp_path, "чек.pdf")))
    with page.expect_navigation(timeout=60_000):
        page.click("form[data-upload] button")
    assert Expense.objects.get().receipt_blob != before and max(p for p, _ in seen) == 100


def test_a_form_with_no_file_chosen_posts_plainly(browser, cast):
    page = browser(user=cast.finance)
    page.goto("/staff/funds/expenses/new/")
    seen = _watch_progress(page)
    page.fill("#id_date", timezone.localdate().isoformat())
    page.fill("#id_amount", "15")
    page.select_option("#id_category", "relocation")
    with page.expect_navigation():
        page.click("main form[data-upload] button.btn-primary")
    assert Expense.objects.count() == 1 and not seen and not Attachment.objects.exists()
