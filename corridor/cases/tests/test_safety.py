"""Safety check-ins: schedule, record, missed → alert on the board and in `corridor alerts`."""

from __future__ import annotations

from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import Alert, Case, Stage

pytestmark = pytest.mark.django_db


def _overdue(case, hours=3):
    Case.objects.filter(pk=case.pk).update(next_checkin_due=timezone.now() - timedelta(hours=hours))
    case.refresh_from_db()


@pytest.fixture
def in_hiding(cast, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.LEAVING_REGION)
    services.checkin_schedule(actor=cast.alice, case=case, every_hours=6)
    return case


def test_scheduling_sets_the_next_due_time(in_hiding):
    assert in_hiding.checkin_every_hours == 6
    assert abs((in_hiding.next_checkin_due - timezone.now()) - timedelta(hours=6)) < timedelta(minutes=1)


def test_a_schedule_is_between_an_hour_and_a_week(cast, in_hiding):
    with pytest.raises(ValidationError):
        services.checkin_schedule(actor=cast.alice, case=in_hiding, every_hours=24 * 8)


def test_a_check_in_moves_the_next_due_time(cast, in_hiding):
    services.checkin_record(actor=cast.alice, case=in_hiding, status="ok", channel="code_word", note="all quiet")
    assert in_hiding.next_checkin_due > timezone.now() + timedelta(hours=5)
    assert in_hiding.checkins.get().note == "all quiet"


def test_a_missed_check_in_raises_one_alert(cast, in_hiding):
    _overdue(in_hiding)
    assert services.alerts_sweep() == [in_hiding]
    assert services.alerts_sweep() == []  # idempotent
    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.MISSED_CHECKIN and alert.due == in_hiding.next_checkin_due
    assert AuditEntry.objects.filter(code=CaseEvent.ALERT_RAISED, object_id=in_hiding.code).count() == 1


def test_within_the_grace_period_no_alert(cast, in_hiding):
    Case.objects.filter(pk=in_hiding.pk).update(next_checkin_due=timezone.now() - timedelta(minutes=10))
    assert services.alerts_sweep() == []


def test_a_late_check_in_resolves_the_missed_alert(cast, in_hiding):
    _overdue(in_hiding)
    services.alerts_sweep()
    checkin = services.checkin_record(actor=cast.alice, case=in_hiding, status="ok", channel="call")
    alert = Alert.objects.get()
    assert alert.resolved and alert.resolved_by == cast.alice
    assert AuditEntry.objects.filter(code=CaseEvent.CHECKIN_RECORDED).last().data == {
        "status": "ok", "late": True, "happened": checkin.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_reported_danger_raises_an_alert_at_once(cast, in_hiding):
    services.checkin_record(actor=cast.alice, case=in_hiding, status="distress", channel="call",
                            note="relatives found the flat")
    assert Alert.objects.get(resolved__isnull=True).kind == Alert.Kind.DISTRESS


def test_the_alert_is_on_the_dashboards(cast, staff_client, in_hiding):
    _overdue(in_hiding)
    services.alerts_sweep()
    board = staff_client(cast.coordinator).get("/staff/cases/board/")
    assert board.context["alert_count"] == 1 and in_hiding.code in board.content.decode()
    home = staff_client(cast.alice).get("/staff/").content.decode()
    assert in_hiding.code in home and "Missed check-in" in home
    # bob holds no case with an alert; charlie is in another organisation.
    assert in_hiding.code not in staff_client(cast.bob).get("/staff/cases/alerts/").content.decode()
    assert in_hiding.code not in staff_client(cast.charlie).get("/staff/cases/alerts/").content.decode()


def test_resolving_an_alert_by_hand(cast, staff_client, in_hiding):
    _overdue(in_hiding)
    services.alerts_sweep()
    alert = Alert.objects.get()
    assert staff_client(cast.bob).post(f"/staff/cases/alerts/{alert.pk}/resolve/", {"note": "x"}).status_code == 404
    r = staff_client(cast.alice).post(f"/staff/cases/alerts/{alert.pk}/resolve/", {"note": "reached her sister"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved and alert.resolved_by == cast.alice
    assert in_hiding.notes.get().text == "reached her sister"  # the note joins the timeline


def test_the_alerts_command_reports_and_fails_for_cron(cast, in_hiding, make_case):
    _overdue(in_hiding, hours=5)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("alerts", stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "Raised 1 new alert" in text and in_hiding.code in text and "missed_checkin" in text
    assert "5 h overdue" in text and "alice" in text
    assert "Иван" not in text and "Ivan" not in text  # codes only: cron mail crosses other servers


def test_the_alerts_command_dry_run_raises_nothing(cast, in_hiding):
    _overdue(in_hiding)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("alerts", "--dry-run", stdout=out)
    assert "Would raise 1 new alert" in out.getvalue()
    assert not Alert.objects.exists()


def test_the_alerts_command_is_quiet_when_all_is_well(cast, in_hiding):
    out = StringIO()
    call_command("alerts", stdout=out)  # no SystemExit: exit status 0
    assert out.getvalue().strip() == "No open alerts."


def test_the_alerts_command_query_count(cast, in_hiding, make_case, django_assert_max_num_queries):
    for _ in range(5):
        c = make_case(cast.org, worker=cast.alice, stage=Stage.SHELTERED)
        services.checkin_schedule(actor=cast.alice, case=c, every_hours=6)
        _overdue(c)
    services.alerts_sweep()
    with django_assert_max_num_queries(6), pytest.raises(SystemExit):
        call_command("alerts", stdout=StringIO())
