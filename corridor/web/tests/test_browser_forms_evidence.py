"""Every evidence form, submitted in Chromium by a legal officer (and the second
person who approves exports), under the production headers and CSRF."""

from __future__ import annotations

import pytest

from corridor.evidence.models import (
    Act,
    EvidenceFile,
    Filing,
    Perpetrator,
    Place,
    Source,
    Term,
    Wave,
)
from corridor.evidence.models import BundleRequest as Bundle
from corridor.evidence.models import Testimony as WitnessStatement
from corridor.evidence.models import ViolationEvent as Violation
from corridor.evidence.samples import make_jpeg
from corridor.evidence.tests.conftest import ensure_shipped_data
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = "2026-11-20"


@submits("evidence:testimony_create", "evidence:testimony_edit", "evidence:event_create", "evidence:event_edit",
         "evidence:act_create", "evidence:source_create", "evidence:place_create", "evidence:perpetrator_create",
         "evidence:term_create", "evidence:wave_create", "evidence:file_upload", "evidence:file_transfer",
         "evidence:filing_create", "evidence:filing_edit", "evidence:filing_step_create")
def test_a_legal_officer_documents_an_event_from_testimony_to_filing(forms, cast, tmp_path, screenshot):
    ensure_shipped_data()
    page = forms(user=cast.legal)
    page.goto("/staff/evidence/registry/")
    submit(page, "/staff/evidence/registry/places/new/", {"name": "Аргун, бывшая комендатура", "kind": {"index": 1}})
    submit(page, "/staff/evidence/registry/perpetrators/new/", {"name": "Отдел полиции Х", "kind": {"index": 1}})
    submit(page, "/staff/evidence/registry/waves/new/", {"name_ru": "Весна 2017", "name_en": "Spring 2017",
                                                        "starts": "2017-02-01", "ends": "2017-05-31"})
    submit(page, "/staff/evidence/registry/terms/new/", {"vocabulary": {"index": 1}, "label_ru": "угрозы родственникам",
                                                        "label_en": "threats to relatives"})
    assert Place.objects.count() == 1 and Perpetrator.objects.count() == 1 and Wave.objects.filter(organisation=cast.org).exists()
    assert Term.objects.filter(organisation=cast.org).exists()

    page.goto("/staff/evidence/testimonies/new/")
    submit(page, selector="main form[method=post]", values={
        "source_label": "свидетель А", "language": "ru", "interviewer": {"index": 1}, "interviewed_on": TODAY,
        "transcript": "Меня задержали у дома и держали три дня.", "consent_public": True})
    testimony = WitnessStatement.objects.get()
    page.goto(f"/staff/evidence/testimonies/{testimony.pk}/edit/")
    submit(page, selector="main form[method=post]", values={"summary": "задержание и пытки"})

    page.goto("/staff/evidence/events/new/")
    submit(page, selector="main form[method=post]", values={"title": "Задержания в Аргуне", "starts": "2017-02-20",
                                                          "starts_precision": {"index": 0}, "ends_precision": {"index": 0}})
    event = Violation.objects.get()
    page.goto(f"/staff/evidence/events/{event.pk}/edit/")
    submit(page, selector="main form[method=post]", values={"description": "массовые задержания"})
    page.goto(f"/staff/evidence/events/{event.pk}/acts/new/")
    submit(page, selector="main form[method=post]", values={"act_type": {"index": 1}, "victim_label": "мужчина, около 30"})
    assert Act.objects.filter(event=event).exists()

    photo = tmp_path / "снимок.jpg"
    photo.write_bytes(make_jpeg())
    page.goto("/staff/evidence/files/upload/")
    submit(page, selector="main form[method=post]", values={"file": str(photo), "description": "следы побоев"})
    evidence_file = EvidenceFile.objects.get()
    submit(page, f"/staff/evidence/files/{evidence_file.pk}/transfer/", {"to": {"index": 0}, "method": {"index": 0}})

    page.goto(f"/staff/evidence/events/{event.pk}/sources/new/")
    submit(page, selector="main form[method=post]", values={"testimony": str(testimony.pk), "reliability": {"index": 1}})
    assert Source.objects.filter(event=event).exists()

    page.goto("/staff/evidence/filings/new/")
    submit(page, selector="main form[method=post]", values={"body": "echr", "status": {"index": 0},
                                                          "title": "Жалоба по делу о задержании",
                                                          "final_decision_on": "2026-10-01"})
    filing = Filing.objects.get()
    page.goto(f"/staff/evidence/filings/{filing.pk}/edit/")
    submit(page, selector="main form[method=post]", values={"reference": "12345/26"})
    page.goto(f"/staff/evidence/filings/{filing.pk}/")
    submit(page, f"/staff/evidence/filings/{filing.pk}/steps/new/", {"on": TODAY, "kind": {"index": 0},
                                                                   "text": "подали жалобу"})
    assert "подали жалобу" in text(page)
    screenshot(page, "forms-evidence-filing")


@submits("evidence:bundle_create", "evidence:bundle_approve", "evidence:bundle_refuse", "evidence:bundle_rebuild")
def test_an_export_is_asked_for_approved_refused_and_rebuilt(forms, cast, world, identity):
    page = forms(user=cast.legal)
    for purpose in ("жалоба в ЕСПЧ", "запрос журналиста"):
        page.goto("/staff/evidence/exports/new/")
        submit(page, selector="main form[method=post]", values={"audience": "echr", "recipients": identity.recipient,
                                                              "events": "first", "purpose": purpose})
    first, second = Bundle.objects.order_by("requested")
    coordinator = forms(user=cast.coordinator)
    coordinator.goto(f"/staff/evidence/exports/{first.pk}/")
    submit(coordinator, f"/staff/evidence/exports/{first.pk}/approve/")
    assert Bundle.objects.get(pk=first.pk).status == "ready"
    coordinator.goto(f"/staff/evidence/exports/{second.pk}/")
    submit(coordinator, f"/staff/evidence/exports/{second.pk}/refuse/")
    assert Bundle.objects.get(pk=second.pk).status == "refused"
    # A build that failed (the disk filled up, say) is offered again.
    Bundle.objects.filter(pk=first.pk).update(status="failed")
    coordinator.goto(f"/staff/evidence/exports/{first.pk}/")
    submit(coordinator, f"/staff/evidence/exports/{first.pk}/rebuild/")
    assert Bundle.objects.get(pk=first.pk).status == "ready"


def _large_pdf(tmp_path, megabytes: int):
    path = tmp_path / "protocol.pdf"
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        chunk = b"% padding of a scanned protocol\n" * 32768
        for _ in range(megabytes):
            out.write(chunk[: 1 << 20])
        out.write(b"\n%%EOF\n")
    return path


@submits("evidence:file_upload")
def test_a_large_file_shows_its_progress_as_it_goes_up(forms, cast, tmp_path, screenshot):
    """The shared upload script sends the form and reports the upload's progress
    into the bar; the file's page opens by itself once it has arrived."""
    big = _large_pdf(tmp_path, 24)
    page = forms(user=cast.legal)
    page.goto("/staff/evidence/files/upload/")
    assert page.locator("[data-upload-progress]").is_hidden()
    seen: list[float] = []
    shown: list[tuple[bool, str]] = []

    def record(value, hidden, status):
        seen.append(value)
        shown.append((hidden, status))

    page.expose_function("recordProgress", record)
    page.evaluate("""() => document.addEventListener('corridor:upload-progress', () => {
        const box = document.querySelector('[data-upload-progress]');
        window.recordProgress(box.querySelector('progress').value, box.hidden,
                              box.querySelector('[data-upload-status]').textContent);
    })""")
    page.set_input_files("#id_file", str(big))
    page.fill("#id_description", "протокол задержания")
    with page.expect_navigation(url="**/staff/evidence/files/*/", timeout=60_000):
        page.click("main form[data-upload] button[type=submit]")
    stored = EvidenceFile.objects.get()
    assert stored.size == big.stat().st_size
    # The bar starts at 0, only moves forward, stays visible and ends at 100, with
    # the percentage written beside it while the file goes up.
    assert seen[0] == 0 and seen == sorted(seen) and max(seen) == 100
    assert not any(hidden for hidden, _ in shown) and "0 %" in shown[0][1]
    assert stored.code in text(page)


@submits("evidence:file_upload")
def test_without_javascript_the_upload_still_works_and_says_to_wait(forms, cast, tmp_path):
    big = _large_pdf(tmp_path, 4)
    page = forms(user=cast.legal, javascript=False)
    page.goto("/staff/evidence/files/upload/")
    assert "Keep this page open" in text(page) or "Не закрывайте эту страницу" in text(page)
    assert page.locator("[data-upload-progress]").is_hidden()
    page.set_input_files("#id_file", str(big))
    with page.expect_navigation(url="**/staff/evidence/files/*/"):
        page.click("main form[data-upload] button[type=submit]")
    assert EvidenceFile.objects.get().size == big.stat().st_size


@submits("evidence:file_upload")
@pytest.mark.parametrize("javascript", [True, False])
def test_a_refused_file_shows_the_reason_in_the_form(forms, cast, tmp_path, javascript):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page = forms(user=cast.legal, javascript=javascript)
    page.goto("/staff/evidence/files/upload/")
    page.set_input_files("#id_file", str(fake))
    page.click("main form[data-upload] button[type=submit]")
    page.wait_for_selector("#upload-panel .alert")
    assert not EvidenceFile.objects.exists()
    assert page.locator("main form[data-upload] button[type=submit]").is_enabled()


test_a_refused_file_shows_the_reason_in_the_form.may_refuse = ("evidence:file_upload",)
