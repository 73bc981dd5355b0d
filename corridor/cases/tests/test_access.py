"""Need-to-know: who may open which case, break-glass, and the role cast on every view."""

from __future__ import annotations

import pytest
from django.http import Http404

from corridor.audit.models import AuditEntry
from corridor.cases.events import CaseEvent
from corridor.cases.models import BreakGlass, Stage
from corridor.cases.selectors import BreakGlassRequired, get_case_for_user

pytestmark = pytest.mark.django_db


def test_a_case_worker_opens_only_assigned_cases(cast, alice_case):
    assert get_case_for_user(cast.alice, alice_case.code) == alice_case
    with pytest.raises(BreakGlassRequired):
        get_case_for_user(cast.bob, alice_case.code)


def test_a_coordinator_opens_every_case_of_the_organisation(cast, alice_case):
    assert get_case_for_user(cast.coordinator, alice_case.code).access_via == "organisation"


@pytest.mark.parametrize("who", ["charlie", "partner_coordinator"])
def test_another_organisation_gets_404_even_with_a_reason(cast, alice_case, who):
    user = getattr(cast, who)
    with pytest.raises(Http404):
        get_case_for_user(user, alice_case.code)
    with pytest.raises(Http404):
        get_case_for_user(user, alice_case.code, reason="I really need to see this case now")


@pytest.mark.parametrize("who", ["operator", "finance", "admin", "auditor"])
def test_roles_without_case_rights_get_404(cast, alice_case, who):
    with pytest.raises(Http404):
        get_case_for_user(getattr(cast, who), alice_case.code, reason="I really need to see this case now")


def test_a_missing_code_is_404_for_everyone(cast):
    for user in (cast.alice, cast.coordinator, cast.legal):
        with pytest.raises(Http404):
            get_case_for_user(user, "K-9999")


def test_writing_needs_case_edit_even_after_break_glass(cast, alice_case):
    get_case_for_user(cast.legal, alice_case.code, reason="Preparing the ECHR application, need the dates")
    assert get_case_for_user(cast.legal, alice_case.code).access_via == "break_glass"
    with pytest.raises(Http404):
        get_case_for_user(cast.legal, alice_case.code, write=True)


def test_every_reading_is_audited(cast, alice_case):
    before = AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED).count()
    get_case_for_user(cast.alice, alice_case.code)
    get_case_for_user(cast.coordinator, alice_case.code)
    entries = AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED).order_by("seq")
    assert entries.count() == before + 2
    assert [e.data["via"] for e in entries][-2:] == ["assigned", "organisation"]
    assert entries.last().object_id == alice_case.code


def test_break_glass_needs_a_real_reason(cast, staff_client, alice_case):
    c = staff_client(cast.bob)
    r = c.get(f"/staff/cases/{alice_case.code}/")
    assert r.status_code == 302 and f"/staff/cases/{alice_case.code}/break-glass/" in r["Location"]
    r = c.post(f"/staff/cases/{alice_case.code}/break-glass/", {"reason": "need"})
    assert r.status_code == 200 and "at least" in r.content.decode()
    assert not BreakGlass.objects.exists()


def test_break_glass_is_logged_and_shown_to_coordinators(cast, staff_client, alice_case):
    c = staff_client(cast.bob)
    reason = "Alice is off tonight and the person called the hotline in panic"
    r = c.post(f"/staff/cases/{alice_case.code}/break-glass/?next=/staff/cases/{alice_case.code}/", {"reason": reason})
    assert r.status_code == 302
    page = c.get(f"/staff/cases/{alice_case.code}/")
    assert page.status_code == 200 and "Иван Петров" in page.content.decode()
    assert "written reason" in page.content.decode() or "с письменной причиной" in page.content.decode()
    entry = AuditEntry.objects.get(code=CaseEvent.CASE_BREAK_GLASS)
    assert entry.actor == cast.bob.principal and entry.object_id == alice_case.code
    assert reason not in str(entry.data)  # the reason is encrypted, not in the log
    views = AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED, actor=cast.bob.principal)
    assert views.last().data["via"] == "break_glass"
    # Coordinators see who, when and why: in the log, on the case, and on the board.
    coordinator = staff_client(cast.coordinator)
    log = coordinator.get("/staff/cases/access/").content.decode()
    assert reason in log and "Bob" in log
    assert reason in coordinator.get(f"/staff/cases/{alice_case.code}/").content.decode()
    board = coordinator.get("/staff/cases/board/")
    assert board.context["attention"]["break_glass_new"] == 1
    coordinator.post("/staff/cases/access/seen/")
    assert coordinator.get("/staff/cases/board/").context["attention"]["break_glass_new"] == 0
    # The case worker's colleague does not see the access log.
    assert staff_client(cast.alice).get("/staff/cases/access/").status_code == 404


def test_break_glass_reason_is_stored_encrypted(cast, alice_case):
    get_case_for_user(cast.bob, alice_case.code, reason="covering the night shift for alice")
    raw = BreakGlass.objects.values_list("reason", flat=True).get()
    assert b"night shift" not in bytes(raw)


# --- the cast on every view ---------------------------------------------------------
OK, NO, GLASS = 200, 404, 302
CAST = ["alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor", "charlie",
        "partner_coordinator"]
# url template -> expected status per member of the cast (in CAST order)
MATRIX = {
    "/staff/cases/": [OK, OK, OK, NO, OK, NO, NO, NO, OK, OK],
    "/staff/cases/{code}/": [OK, GLASS, OK, NO, GLASS, NO, NO, NO, NO, NO],
    "/staff/cases/{code}/person/": [OK, GLASS, OK, NO, NO, NO, NO, NO, NO, NO],
    "/staff/cases/{code}/break-glass/": [GLASS, OK, NO, NO, OK, NO, NO, NO, NO, NO],
    "/staff/cases/{code}/refer/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, NO],
    "/staff/cases/new/": [OK, OK, OK, NO, NO, NO, NO, NO, OK, OK],
    "/staff/cases/board/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
    "/staff/cases/alerts/": [OK, OK, OK, NO, NO, NO, NO, NO, OK, OK],
    "/staff/cases/access/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
    "/staff/cases/exports/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
    "/staff/cases/referrals/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
    "/staff/cases/countries/": [OK, OK, OK, NO, OK, OK, NO, OK, OK, OK],
    "/staff/cases/countries/DE/": [OK, OK, OK, NO, NO, NO, NO, NO, OK, OK],
    "/staff/cases/embassies/new/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
    "/staff/housing/": [OK, OK, OK, NO, NO, NO, NO, NO, OK, OK],
    "/staff/housing/new/": [NO, NO, OK, NO, NO, NO, NO, NO, NO, OK],
}


@pytest.mark.parametrize("url", list(MATRIX))
def test_the_cast_on_every_page(cast, staff_client, alice_case, url):
    got = []
    for name in CAST:
        response = staff_client(getattr(cast, name)).get(url.format(code=alice_case.code))
        got.append(response.status_code)
    assert got == MATRIX[url], dict(zip(CAST, got, strict=True))


POSTS = [
    "/staff/cases/{code}/stage/", "/staff/cases/{code}/notes/", "/staff/cases/{code}/checkins/",
    "/staff/cases/{code}/services/", "/staff/cases/{code}/documents/", "/staff/cases/{code}/applications/",
    "/staff/cases/{code}/edit/", "/staff/cases/{code}/checklist/", "/staff/cases/{code}/identifiers/",
]


@pytest.mark.parametrize("url", POSTS)
def test_writes_are_refused_to_everyone_outside_need_to_know(cast, staff_client, alice_case, url):
    for name in ["operator", "legal", "finance", "admin", "auditor", "charlie", "partner_coordinator"]:
        response = staff_client(getattr(cast, name)).post(url.format(code=alice_case.code), {"text": "x"})
        assert response.status_code in (302, 404), (name, response.status_code)
        if response.status_code == 302:  # legal: asked for a reason, nothing written
            assert "break-glass" in response["Location"]
    # A colleague is sent to the reason form, not allowed to write silently.
    r = staff_client(cast.bob).post(url.format(code=alice_case.code), {"text": "x"})
    assert r.status_code == 302 and "break-glass" in r["Location"]


def test_the_stage_never_changes_through_a_foreign_post(cast, staff_client, alice_case):
    staff_client(cast.charlie).post(f"/staff/cases/{alice_case.code}/stage/",
                                    {"to_stage": Stage.CLOSED, "reason": "x", "version": alice_case.version})
    alice_case.refresh_from_db()
    assert alice_case.stage == Stage.SHELTERED
