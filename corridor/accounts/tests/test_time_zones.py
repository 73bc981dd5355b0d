"""Time zones: stored in UTC, shown and typed in the reader's zone, always labelled.

The cast's organisation keeps Moscow time (Grozny is on it); Alice works from
Berlin and chose her own zone; the DST change is Europe's of 29 March 2026
(02:00 CET → 03:00 CEST)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation

from corridor.accounts import services
from corridor.accounts.models import Organisation, User
from corridor.accounts.timezones import zone_label, zone_name_for
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.cases import services as cases
from corridor.cases.models import CheckIn
from corridor.web.templatetags.corridor_time import when

pytestmark = pytest.mark.django_db


@pytest.fixture
def zones(cast):
    services.organisation_set_time_zone(actor="system:test", organisation=cast.org, time_zone="Europe/Moscow")
    services.user_set_time_zone(actor="system:test", user=cast.alice, time_zone="Europe/Berlin")
    for user in (cast.alice, cast.coordinator):
        user.refresh_from_db()
    return cast


@pytest.fixture
def old_case(zones):
    person = cases.person_create(actor="system:test", organisation=zones.org, identity={"name_cyrillic": "Ислам"})
    return cases.case_open(actor="system:test", person=person, worker=zones.alice,
                           opened=datetime(2026, 1, 10, 9, 0, tzinfo=UTC))


def test_labels_name_the_zone_in_winter_summer_and_where_there_are_no_letters():
    def label(zone, moment):
        with timezone.override(zone):
            return zone_label(timezone.localtime(moment))

    winter, summer = datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert label("Europe/Berlin", winter) == "CET"
    assert label("Europe/Berlin", summer) == "CEST"
    assert label("Europe/Moscow", summer) == "MSK"
    assert label("Asia/Yekaterinburg", winter) == "UTC+5"
    assert label("Asia/Kathmandu", winter) == "UTC+5:45"
    assert label("UTC", winter) == "UTC"


def test_a_shown_time_is_the_readers_local_time_with_its_label():
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # just after Berlin moved its clocks
    with translation.override("ru"):
        with timezone.override("Europe/Berlin"):
            assert when(moment) == "29.03.2026 03:30 CEST"
        with timezone.override("Europe/Moscow"):
            assert when(moment) == "29.03.2026 04:30 MSK"
        with timezone.override("Europe/Berlin"):
            assert when(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == "29.03.2026 01:30 CET"
    # The day as each language writes it, never ISO; a named format may lead.
    with translation.override("en"), timezone.override("Europe/Moscow"):
        assert when(moment) == "29 Mar 2026 04:30 MSK"
        assert when(moment, "MONTH_DAY_FORMAT H:i") == "March 29 04:30 MSK"
    assert when(None) == ""


def test_the_person_chooses_a_zone_or_falls_back_to_the_organisations(zones):
    assert zone_name_for(zones.alice) == "Europe/Berlin"
    assert zone_name_for(zones.coordinator) == "Europe/Moscow"
    services.user_set_time_zone(actor=zones.alice, user=zones.alice, time_zone="")
    assert zone_name_for(User.objects.get(pk=zones.alice.pk)) == "Europe/Moscow"


def test_an_unknown_zone_is_refused_everywhere(cast):
    for bad in ("Mars/Olympus", "../../etc/passwd", "Europe/Moscow "):
        with pytest.raises(services.AccountError):
            services.user_set_time_zone(actor=cast.alice, user=cast.alice, time_zone=bad)
        with pytest.raises(services.AccountError):
            services.organisation_set_time_zone(actor=cast.admin, organisation=cast.org, time_zone=bad)
    assert User.objects.get(pk=cast.alice.pk).time_zone == ""
    assert Organisation.objects.get(pk=cast.org.pk).time_zone == "UTC"


@pytest.mark.parametrize("typed, stored", [
    ("2026-03-28T22:30", datetime(2026, 3, 28, 21, 30, tzinfo=UTC)),  # CET, UTC+1
    ("2026-03-29T01:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),   # the last CET minute
    ("2026-03-29T03:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),    # the first CEST minute
    ("2026-03-29T12:00", datetime(2026, 3, 29, 10, 0, tzinfo=UTC)),   # CEST, UTC+2
])
def test_a_worker_in_berlin_types_times_across_the_dst_change(zones, old_case, staff_client, typed, stored):
    response = staff_client(zones.alice).post(f"/staff/cases/{old_case.code}/checkins/",
                                              {"status": "ok", "channel": "call", "note": "", "at": typed})
    assert response.status_code == 302
    assert CheckIn.objects.get(case=old_case).at == stored


def test_a_time_that_never_happened_in_berlin_is_refused_not_guessed(zones, old_case, staff_client):
    # 02:30 on 29 March 2026 does not exist on Berlin's clocks.
    response = staff_client(zones.alice).post(f"/staff/cases/{old_case.code}/checkins/",
                                              {"status": "ok", "channel": "call", "note": "", "at": "2026-03-29T02:30"})
    assert response.status_code == 400
    assert not CheckIn.objects.filter(case=old_case).exists()


def test_one_check_in_reads_in_each_readers_zone(zones, old_case, staff_client):
    """Alice in Berlin records the call; the coordinator keeps Moscow time, the
    time of the person in Grozny. Each sees the same moment in their own zone."""
    staff_client(zones.alice).post(f"/staff/cases/{old_case.code}/checkins/",
                                   {"status": "ok", "channel": "call", "note": "", "at": "2026-03-29T12:00"})
    assert CheckIn.objects.get(case=old_case).at == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    berlin = staff_client(zones.alice).get(f"/staff/cases/{old_case.code}/").content.decode()
    moscow = staff_client(zones.coordinator).get(f"/staff/cases/{old_case.code}/").content.decode()
    assert "29.03.2026 12:00 CEST" in berlin and "29.03.2026 13:00 MSK" in moscow
    assert "29.03.2026 13:00" not in berlin and "29.03.2026 12:00" not in moscow
    # The form says which zone a typed time is read in.
    assert "Europe/Berlin (C" in berlin and "Europe/Moscow (MSK)" in moscow


def test_a_schedule_typed_in_berlin_is_due_at_the_same_moment_in_grozny(zones, old_case, staff_client):
    now = timezone.now()
    with timezone.override("Europe/Berlin"):
        local = timezone.localtime(now).replace(microsecond=0, second=0) + timezone.timedelta(days=2)
        typed = local.strftime("%Y-%m-%dT%H:%M")
    response = staff_client(zones.alice).post(f"/staff/cases/{old_case.code}/checkins/schedule/",
                                              {"every_hours": "24", "first_due": typed})
    assert response.status_code == 302
    old_case.refresh_from_db()
    assert old_case.next_checkin_due == local.astimezone(UTC)
    with timezone.override("Europe/Moscow"):
        shown = when(old_case.next_checkin_due)
    assert shown in staff_client(zones.coordinator).get(f"/staff/cases/{old_case.code}/").content.decode()


def test_the_person_reads_our_answer_in_the_organisations_zone(zones, public_thread):
    page, sent_at = public_thread
    with timezone.override("Europe/Moscow"):
        assert when(sent_at, "j E, H:i") in page
    assert "MSK" in page


@pytest.fixture
def public_thread(zones):
    from django.test import Client

    from corridor.intake.models import Contact, Message
    from corridor.intake.services import messages_open, reply_send
    from corridor.intake.tests.conftest import look_up, receipt_from, submit

    public = Client()
    receipt = receipt_from(submit(public, what="Ищут после задержания друга", where="Грозный"))
    messages_open(actor=zones.operator, organisation=zones.org)
    reply_send(actor=zones.operator, contact=Contact.objects.get(), text="Мы получили ваше сообщение.")
    sent_at = Message.objects.get(direction="out").created
    return look_up(public, receipt).content.decode(), sent_at


def test_an_administrator_sets_the_organisations_zone_on_the_record(cast, staff_client):
    response = staff_client(cast.admin).post("/staff/users/time-zone/", {"time_zone": "Asia/Yekaterinburg"})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=cast.org.pk).time_zone == "Asia/Yekaterinburg"
    entry = AuditEntry.objects.filter(code=CoreEvent.ORGANISATION_TIME_ZONE_SET).get()
    assert entry.data == {"previous": "UTC", "time_zone": "Asia/Yekaterinburg"}
    assert staff_client(cast.admin).post("/staff/users/time-zone/", {"time_zone": "Nowhere/City"}).status_code == 400
    assert Organisation.objects.get(pk=cast.org.pk).time_zone == "Asia/Yekaterinburg"


@pytest.mark.parametrize("who", ["alice", "coordinator", "operator", "partner_coordinator"])
def test_only_administrators_change_the_organisations_zone(cast, staff_client, who):
    response = staff_client(getattr(cast, who)).post("/staff/users/time-zone/", {"time_zone": "Asia/Tokyo"})
    assert response.status_code in (403, 404)
    assert Organisation.objects.get(pk=cast.org.pk).time_zone == "UTC"
    assert Organisation.objects.get(pk=cast.other_org.pk).time_zone == "UTC"


def test_a_person_sets_their_own_zone_and_only_their_own(cast, staff_client):
    client = staff_client(cast.alice)
    assert client.post("/staff/security/time-zone/", {"time_zone": "Europe/Berlin"}).status_code == 302
    assert User.objects.get(pk=cast.alice.pk).time_zone == "Europe/Berlin"
    assert User.objects.get(pk=cast.bob.pk).time_zone == ""
    assert "Europe/Berlin" in client.get("/staff/").content.decode()
    assert AuditEntry.objects.filter(code=CoreEvent.USER_TIME_ZONE_SET, object_id=str(cast.alice.pk)).exists()
    assert client.post("/staff/security/time-zone/", {"time_zone": ""}).status_code == 302
    assert User.objects.get(pk=cast.alice.pk).time_zone == ""
