"""`corridor import_history`: a year of earlier records, checked line by line,
imported in one transaction at the dates things happened, audited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, Stage, StageChange
from corridor.crypto import context
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Contact, Status

pytestmark = pytest.mark.django_db

HEADER = ("ref,contacted,channel,outcome,urgency,what,where,note,name,phone,worker,vetting,accepted,"
          "leaving_region,sheltered,documents,visa_asylum,departed,resettled,exit,exit_date")
GOOD = "\n".join([
    HEADER,
    'A-1,2017-04-02 23:10,phone,,3,"Забрали брата, ищут меня",Грозный,,Адам,+7 928 100-20-30,alice,'
    "2017-04-03,2017-04-05,2017-04-09,2017-04-10,2017-06-01,2017-07-01,2017-09-15,2018-03-01,,",
    "A-2,2017-04-20,telegram,,2,Угрозы от родственников,,,,,,2017-04-21,2017-04-22,,,,,,,lost_contact,2017-05-30",
    "A-3,2017-05-01,phone,declined,,Просил денег,,,,,,2017-05-02,,,,,,,,,",
    "A-4,2017-05-03,signal,spam,,,,,,,,,,,,,,,,,",
    "A-5,2017-05-04,phone,provocation,,Спрашивал адреса,,Спрашивал адреса квартир и имена сотрудников,,,,,,,,,,,,,",
]) + "\n"


def _run(tmp_path, content: str, *args, by="cora"):
    path = tmp_path / "history.csv"
    path.write_text(content, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_history", str(path), "--by", by, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def cora(cast):
    assert cast.coordinator.username == "cora"
    return cast.coordinator


def test_a_dry_run_checks_and_counts_but_changes_nothing(tmp_path, cast, cora):
    out, _err = _run(tmp_path, GOOD, "--dry-run")
    assert "Dry run: 5 row(s): 5 contact(s), of whom 2 became a case" in out
    assert not Contact.objects.exists() and not Case.objects.exists()
    assert not AuditEntry.objects.filter(code=IntakeEvent.HISTORY_IMPORTED).exists()


def test_the_history_is_imported_at_the_dates_it_happened(tmp_path, cast, cora):
    out, _err = _run(tmp_path, GOOD)
    assert "Imported 5 row(s)" in out
    contacts = {c.received.date(): c for c in Contact.objects.all()}
    assert len(contacts) == 5
    first = Contact.objects.get(received=datetime(2017, 4, 2, 23, 10, tzinfo=UTC))
    assert first.status == Status.ACCEPTED and first.channel == "phone"
    case = Case.objects.get(pk=first.case_id)
    assert case.stage == Stage.RESETTLED and case.closed is not None and case.worker == cast.alice
    assert case.opened == first.received
    steps = list(StageChange.objects.filter(case=case).order_by("at").values_list("to_stage", flat=True))
    assert steps == ["contacted", "vetting", "accepted", "leaving_region", "sheltered", "documents",
                     "visa_asylum", "departed", "resettled"]
    context.cache_clear()
    case = Case.objects.get(pk=case.pk)
    assert case.person.identity["name_cyrillic"] == "Адам" and case.person.phone == "+79281002030"
    assert case.intake["story"][0]["what"] == "Забрали брата, ищут меня"
    assert case.intake["override"].startswith("Imported from earlier records (line 2 of file")
    assert case.intake["imported"]["ref"] == "A-1"
    lost = Case.objects.get(stage=Stage.LOST_CONTACT)
    assert lost.closed == datetime(2017, 5, 30, 12, tzinfo=UTC)
    statuses = sorted(Contact.objects.values_list("status", flat=True))
    assert statuses == sorted(["accepted", "accepted", "declined", "spam", "provocation"])
    entry = AuditEntry.objects.filter(code=IntakeEvent.HISTORY_IMPORTED).get()
    assert entry.data == {"rows": 5, "contacts": 5, "cases": 2} and entry.actor == cora.principal
    # Each record's own entry says when it happened; the entry's time is today.
    recorded = AuditEntry.objects.filter(code=IntakeEvent.CONTACT_RECORDED, object_id=str(first.pk)).get()
    assert recorded.data["happened"] == "2017-04-02T23:10:00Z"
    assert recorded.ts_us > int(datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)


def test_reports_count_the_imported_year_when_it_happened(tmp_path, cast, cora):
    from corridor.reports.transparency import programme_counts

    _run(tmp_path, GOOD)
    counts = programme_counts(cast.org, since=date(2017, 1, 1), until=date(2018, 1, 1))
    # Spam and the provocation are not people who contacted us.
    assert counts["contacted"] == 3 and counts["assisted"] == 2 and counts["left_region"] == 1
    assert counts["left_country"] == 1 and counts["asylum"] == 0
    assert programme_counts(cast.org, since=date(2018, 1, 1), until=date(2019, 1, 1))["asylum"] == 1


def test_every_wrong_line_is_reported_and_nothing_is_imported(tmp_path, cast, cora):
    bad = "\n".join([
        HEADER,
        GOOD.splitlines()[1],
        "B-1,02.04.2017,phone,,,x,,,,,,,,,,,,,,,",
        "B-2,2017-04-02,pigeon,,,x,,,,,,,,,,,,,,,",
        "B-3,2017-04-10,phone,,,x,,,,,,,2017-04-01,,,,,,,,",
        "B-4,2017-04-10,phone,,,x,,,,12345 not a phone,,,2017-04-11,,,,,,,,",
        "B-5,2099-01-01,phone,,,x,,,,,,,,,,,,,,,",
        "B-6,2017-04-10,phone,provocation,,x,,,,,,,,,,,,,,,",
        "B-7,2017-04-10,phone,,,x,,,,,nobody,,2017-04-11,,,,,,,,",
        "B-8,2017-04-10,phone,,,x,,,,,,,2017-04-11,,,,,,,declined,2017-04-12",
    ]) + "\n"
    with pytest.raises(CommandError, match="8 problem"):
        _run(tmp_path, bad)
    assert not Contact.objects.exists() and not Case.objects.exists()
    path = tmp_path / "history.csv"
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_history", str(path), "--by", "cora", stdout=out, stderr=err)
    report = err.getvalue()
    for line, words in ((3, "not a date"), (4, "channel"), (5, "before contacted"), (6, "phone"),
                        (7, "future"), (8, "provocation needs its reason"), (9, "worker"), (10, "vetting decision")):
        assert any(f"line {line}:" in row and words in row for row in report.splitlines()), (line, report)


def test_a_file_is_imported_once(tmp_path, cast, cora):
    _run(tmp_path, GOOD)
    with pytest.raises(CommandError, match="imported already"):
        _run(tmp_path, GOOD)
    assert Contact.objects.count() == 5


def test_only_a_coordinator_imports(tmp_path, cast):
    with pytest.raises(CommandError, match="only coordinators"):
        _run(tmp_path, GOOD, by=cast.operator.username)
    with pytest.raises(CommandError, match="No active staff"):
        _run(tmp_path, GOOD, by="nobody")
    assert not Contact.objects.exists()


def test_unknown_columns_and_a_missing_header_are_refused(tmp_path, cast, cora):
    with pytest.raises(CommandError):
        _run(tmp_path, "2017-04-02,phone\n")
    with pytest.raises(CommandError):
        _run(tmp_path, "contacted,chanel\n2017-04-02,phone\n")
    assert not Contact.objects.exists()


def test_windows_1251_files_are_read(tmp_path, cast, cora):
    path = tmp_path / "history.csv"
    path.write_bytes("contacted,what\n2017-04-02,Звонок ночью\n".encode("cp1251"))
    call_command("import_history", str(path), "--by", "cora", stdout=StringIO(), stderr=StringIO())
    contact = Contact.objects.get()
    context.cache_clear()
    assert Contact.objects.get(pk=contact.pk).summary["what"] == "Звонок ночью"


def test_steps_on_the_same_day_keep_their_order(tmp_path, cast, cora, staff_client):
    _run(tmp_path, "contacted,vetting,accepted,sheltered\n2017-04-02,2017-04-02,2017-04-02,2017-04-02\n")
    case = Case.objects.get()
    assert case.stage == Stage.SHELTERED
    ordered = list(StageChange.objects.filter(case=case).order_by("at", "recorded")
                   .values_list("from_stage", "to_stage"))
    assert ordered == [("", "contacted"), ("contacted", "vetting"), ("vetting", "accepted"),
                       ("accepted", "sheltered")]
    page = staff_client(cast.coordinator).get(f"/staff/cases/{case.code}/").content.decode()
    from django.utils import translation

    timeline = page[page.index('id="timeline"'):]
    lang = page.split('<html lang="', 1)[1][:2]
    with translation.override(lang):
        marks = [f'→ <span class="stage">{Stage(s).label}</span>' for s in ("sheltered", "accepted", "vetting")]
    positions = [timeline.find(mark) for mark in marks]
    assert positions == sorted(positions) and -1 not in positions, positions
