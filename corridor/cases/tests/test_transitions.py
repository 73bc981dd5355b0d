"""Stage moves: the table, requirements, reasons, dates in order, optimistic locking."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases import services, transitions
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Stage, StageChange
from corridor.cases.services import StaleEdit

pytestmark = pytest.mark.django_db


def _move(case, to, reason="because", **kw):
    return services.case_transition(actor="system:test", case=case, to_stage=to, reason=reason, **kw)


def test_a_transition_records_who_when_and_why_encrypted(cast, make_case):
    case = make_case(cast.org, worker=cast.alice)
    services.case_transition(actor=cast.alice, case=case, to_stage=Stage.VETTING, reason="hotline call checked")
    change = StageChange.objects.filter(case=case).order_by("-at").first()
    assert change.actor == cast.alice and change.from_stage == Stage.CONTACTED and change.to_stage == Stage.VETTING
    change.case = case
    assert change.reason == "hotline call checked"
    assert b"hotline" not in bytes(StageChange.objects.values_list("reason", flat=True).get(pk=change.pk))
    entry = AuditEntry.objects.filter(code=CaseEvent.CASE_STAGE_CHANGED).last()
    assert entry.data == {"from": "contacted", "to": "vetting", "happened": change.at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")}


def test_every_move_needs_a_reason(cast, make_case):
    case = make_case(cast.org)
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.VETTING, reason="   ")
    assert "reason" in err.value.error_dict


def test_skipping_stages_is_refused_with_a_reason(cast, make_case):
    case = make_case(cast.org)
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.SHELTERED)
    assert "cannot move from" in str(err.value)
    assert Case.objects.get(pk=case.pk).stage == Stage.CONTACTED


def test_departing_before_documents_are_issued_is_refused(cast, make_case):
    case = make_case(cast.org, stage=Stage.VISA_ASYLUM)
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.DEPARTED)
    messages = err.value.message_dict["to_stage"]
    assert any("international passport" in m for m in messages)
    assert any("visa" in m for m in messages)


def test_an_expired_passport_does_not_count(cast, make_case):
    case = make_case(cast.org, stage=Stage.VISA_ASYLUM)
    services.document_add(actor="system:test", person=case.person, kind="international_passport", status="issued",
                          issued=timezone.localdate() - timedelta(days=4000),
                          expires=timezone.localdate() - timedelta(days=1))
    assert any("international passport" in r for r in transitions.refusals(case, Stage.DEPARTED))


def test_resettled_without_a_granted_application_is_refused(cast, make_case):
    case = make_case(cast.org, stage=Stage.DEPARTED)
    # The departure needed a humanitarian visa; that is not protection.
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.RESETTLED)
    assert "granted asylum" in str(err.value)


def test_leaving_the_region_needs_a_route(cast, make_case):
    case = make_case(cast.org, stage=Stage.ACCEPTED)
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.LEAVING_REGION)
    assert "route" in str(err.value)
    services.checklist_set(actor="system:test", case=case, key="route_agreed", done=True)
    services.person_set_wanted(actor="system:test", person=case.person, wanted=True, note="federal list")
    case.person.refresh_from_db()
    with pytest.raises(ValidationError, match="wanted list"):
        _move(case, Stage.LEAVING_REGION)
    services.checklist_set(actor="system:test", case=case, key="wanted_plan", done=True)
    _move(case, Stage.LEAVING_REGION)
    assert case.stage == Stage.LEAVING_REGION


def test_a_date_before_the_case_began_is_refused(cast, make_case):
    case = make_case(cast.org)
    with pytest.raises(ValidationError) as err:
        _move(case, Stage.VETTING, at=case.stage_since - timedelta(days=1))
    assert "before the case began" in str(err.value)


def _history(case):
    return list(StageChange.objects.filter(case=case).order_by("at").values_list("from_stage", "to_stage"))


def test_a_missed_step_is_inserted_in_its_place(cast, make_case):
    """Accepted → sheltered was recorded; the worker later enters the departure from
    the region two days before the arrival: it goes between them."""
    case = make_case(cast.org, stage=Stage.ACCEPTED, days_ago=30)
    arrived = timezone.now() - timedelta(days=5)
    _move(case, Stage.SHELTERED, at=arrived)
    version = Case.objects.get(pk=case.pk).version
    left = arrived - timedelta(days=2)
    _move(case, Stage.LEAVING_REGION, at=left, reason="уехали ночью на машине", expected_version=version)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.stage == Stage.SHELTERED and fresh.stage_since == arrived and fresh.version == version + 1
    assert _history(case)[-2:] == [("accepted", "leaving_region"), ("leaving_region", "sheltered")]
    entry = AuditEntry.objects.filter(code=CaseEvent.CASE_STAGE_CHANGED).last()
    assert entry.data["inserted"] is True and entry.data["happened"] == left.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    # The audit entry was written now, not on the day it happened.
    assert entry.ts_us > int(arrived.timestamp() * 1_000_000)


def test_an_inserted_step_must_keep_the_journey_in_order(cast, make_case):
    case = make_case(cast.org, stage=Stage.SHELTERED, days_ago=30)
    changes = dict(StageChange.objects.filter(case=case).values_list("to_stage", "at"))
    before = list(_history(case))
    # Already in the history, or out of order (documents before arrival at a shelter).
    for stage, at in ((Stage.VETTING, changes["accepted"] + timedelta(hours=1)),
                      (Stage.DOCUMENTS, changes["leaving_region"] + timedelta(hours=1)),
                      (Stage.DEPARTED, changes["vetting"] + timedelta(hours=1))):
        with pytest.raises(ValidationError, match="does not fit"):
            _move(case, stage, at=at)
    assert _history(case) == before


def test_an_inserted_step_cannot_be_in_the_future_or_before_the_start(cast, make_case):
    case = make_case(cast.org, stage=Stage.ACCEPTED, days_ago=30)
    with pytest.raises(ValidationError, match="before the case began"):
        _move(case, Stage.VETTING, at=case.opened - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="future"):
        _move(case, Stage.VETTING, at=timezone.now() + timedelta(days=1))


def test_an_inserted_step_counts_in_the_report_when_it_happened(cast, make_case):
    from datetime import date

    from corridor.reports.transparency import programme_counts

    case = make_case(cast.org, stage=Stage.ACCEPTED, days_ago=400)
    departed = timezone.now() - timedelta(days=100)
    StageChange.objects.filter(case=case)  # accepted 397 days ago
    services.checklist_set(actor="system:test", case=case, key="route_agreed", done=True)
    _move(case, Stage.LEAVING_REGION, at=departed)
    _move(case, Stage.SHELTERED, at=departed + timedelta(days=3))
    until = timezone.localdate() + timedelta(days=1)
    before = programme_counts(cast.org, since=None, until=until)
    assert before["left_region"] == 1
    # A step typed today but dated last year is counted last year, not today.
    year_ago = (timezone.now() - timedelta(days=360)).date()
    assert programme_counts(cast.org, since=None, until=year_ago + timedelta(days=1))["left_region"] == 0
    assert programme_counts(cast.org, since=date(2000, 1, 1), until=until)["assisted"] == 1


def test_a_date_in_the_future_is_refused(cast, make_case):
    case = make_case(cast.org)
    with pytest.raises(ValidationError, match="future"):
        _move(case, Stage.VETTING, at=timezone.now() + timedelta(days=2))


def test_a_backdated_move_keeps_its_date(cast, make_case):
    case = make_case(cast.org, days_ago=30)
    when = timezone.now() - timedelta(days=10)
    _move(case, Stage.VETTING, at=when)
    assert Case.objects.get(pk=case.pk).stage_since == when


def test_exits_stop_check_ins_and_can_be_reopened(cast, make_case):
    case = make_case(cast.org, stage=Stage.SHELTERED)
    services.checkin_schedule(actor="system:test", case=case, every_hours=6)
    _move(case, Stage.LOST_CONTACT, reason="no answer for two weeks")
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.closed and fresh.next_checkin_due is None and fresh.reached == 4
    assert transitions.targets(fresh) == [Stage.CONTACTED, Stage.SHELTERED, Stage.CLOSED]
    _move(fresh, Stage.SHELTERED, reason="called again from a new number")
    assert Case.objects.get(pk=case.pk).closed is None


def test_death_is_final(cast, make_case):
    case = make_case(cast.org)
    _move(case, Stage.DECEASED, reason="reported by a relative")
    assert transitions.targets(Case.objects.get(pk=case.pk)) == []


def test_declining_is_only_a_vetting_decision(cast, make_case):
    case = make_case(cast.org, stage=Stage.SHELTERED)
    assert Stage.DECLINED not in transitions.targets(case)


def test_the_whole_journey_fills_the_funnel_field(cast, make_case):
    case = make_case(cast.org, stage=Stage.RESETTLED)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.reached == 8 and fresh.closed is not None
    assert list(fresh.stage_changes.order_by("at").values_list("to_stage", flat=True))[-1] == Stage.RESETTLED


def test_a_stale_version_is_refused(cast, make_case):
    case = make_case(cast.org)
    old = case.version
    _move(case, Stage.VETTING, expected_version=old)
    with pytest.raises(StaleEdit) as err:
        _move(case, Stage.ACCEPTED, expected_version=old)
    assert err.value.current_version == old + 1


# --- through the web -------------------------------------------------------------------
def test_an_impossible_move_is_shown_with_its_reason(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.VISA_ASYLUM)
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/stage/",
                                      {"to_stage": Stage.DEPARTED, "reason": "flight tonight",
                                       "version": case.version})
    assert r.status_code == 400
    assert "international passport" in r.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.VISA_ASYLUM


def test_out_of_order_dates_are_refused_on_the_form(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    before = (case.stage_since - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/stage/",
                                      {"to_stage": Stage.VETTING, "reason": "checked", "at": before,
                                       "version": case.version})
    assert r.status_code == 400 and "before the case began" in r.content.decode()


def test_a_concurrent_edit_is_refused_and_nothing_typed_is_lost(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    loaded_version = case.version
    # Bob (coordinator) saves first.
    staff_client(cast.coordinator).post(f"/staff/cases/{case.code}/edit/", {
        "summary": "coordinator's summary", "travel_plan": "", "version": loaded_version})
    # Alice submits the form she loaded before that.
    alice = staff_client(cast.alice)
    r = alice.post(f"/staff/cases/{case.code}/edit/", {
        "summary": "alice's long careful summary", "travel_plan": "by car via Nazran at night",
        "version": loaded_version})
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this case" in html
    assert "alice&#x27;s long careful summary" in html and "by car via Nazran at night" in html
    fresh = Case.objects.select_related("person__data_key").get(pk=case.pk)
    assert fresh.summary == "coordinator's summary"
    # The re-shown form carries the current version: sending it again now works.
    form = r.context["forms"]["case_edit"]
    assert int(form.data["version"]) == fresh.version
    r = alice.post(f"/staff/cases/{case.code}/edit/", {
        "summary": "alice's long careful summary", "travel_plan": "by car via Nazran at night",
        "version": form.data["version"]})
    assert r.status_code == 302
    fresh = Case.objects.select_related("person__data_key").get(pk=case.pk)
    assert fresh.travel_plan == "by car via Nazran at night"


def test_a_stale_stage_form_is_refused(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    v = case.version
    _move(case, Stage.VETTING)
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/stage/",
                                      {"to_stage": Stage.DECLINED, "reason": "provocation", "version": v})
    assert r.status_code == 409
    assert "provocation" in r.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.VETTING


def test_a_stale_person_form_keeps_the_input(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice)
    services.person_update(actor="system:test", person=case.person, risk=4)
    r = staff_client(cast.alice).post(f"/staff/cases/{case.code}/person/", {
        "name_cyrillic": "Новое Имя", "risk": 2, "version": 1})
    assert r.status_code == 400
    assert "Новое Имя" in r.content.decode() and "Someone else changed" in r.content.decode()


def test_the_stage_button_says_move_the_case_not_relocation(cast, staff_client, make_case):
    from django.utils import translation

    case = make_case(cast.org, worker=cast.alice)
    client = staff_client(cast.alice)
    client.post("/staff/language/", {"language": "ru", "next": "/staff/"})
    with translation.override("ru"):
        body = client.get(f"/staff/cases/{case.code}/").content.decode()
    stage_form = body[body.index('id="stage"'):body.index("</section>", body.index('id="stage"'))]
    assert "Перевести</button>" in stage_form and "Переезд" not in stage_form
