"""The evidence pages in Chromium: upload through the real form, no CSP violations."""

from __future__ import annotations

import pytest

from corridor.evidence.models import EvidenceFile
from corridor.evidence.samples import make_jpeg

# serialized_rollback: other apps' transactional tests flush the tables, including the
# vocabularies and waves our data migration ships; restore them for these tests.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# The shared staff shell (vendored htmx) applies one inline style; that is not ours.
SHELL_NOISE = "Applying inline style"


def test_a_legal_officer_uploads_a_photo_and_reads_its_custody(browser, cast, world, screenshot, tmp_path):
    page = browser(user=cast.legal)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    photo = tmp_path / "снимок.jpg"
    photo.write_bytes(make_jpeg(160, 120))
    page.goto("/staff/evidence/files/upload/")
    page.set_input_files("input[name=file]", str(photo))
    page.fill("textarea[name=description]", "injuries, second day")
    page.click("button.btn-primary")
    page.wait_for_selector("text=SHA-256")
    f = EvidenceFile.objects.get(name__isnull=False, kind="jpeg", width=160)
    assert f.sha256 in page.content()
    screenshot(page, "evidence-file-detail")
    page.goto(f"/staff/evidence/events/{world.e1.pk}/")
    assert page.locator(".sources").first.is_visible()
    screenshot(page, "evidence-event-detail")
    page.goto("/staff/evidence/deadlines/")
    screenshot(page, "evidence-deadlines")
    assert not [e for e in errors if "Content Security Policy" in e and SHELL_NOISE not in e], errors
    # Our stylesheet is served and applied (no inline styles needed).
    page.goto(f"/staff/evidence/events/{world.e1.pk}/")
    badge = page.locator(".sources").first
    assert badge.evaluate("e => getComputedStyle(e).borderRadius") != "0px"


def test_the_statistics_page_for_a_coordinator(browser, cast, world, screenshot):
    page = browser(user=cast.coordinator)
    page.goto("/staff/evidence/statistics/")
    assert page.locator("h1").inner_text()
    screenshot(page, "evidence-statistics")
