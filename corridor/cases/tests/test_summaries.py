"""The running case totals: any sequence of service calls keeps them equal to a full
recount; a hand-made change to the tables is found and repaired; the board and the
lists read them, so their query counts do not grow with the cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.audit.models import AuditEntry
from corridor.cases import services, summaries, transitions
from corridor.cases.events import CaseEvent
from corridor.cases.models import Application, Case, CaseTally, Country, Programme, Stage, StageDay
from corridor.cases.selectors.dashboard import (
    AGE_BUCKETS,
    BoardFilters,
    board_cases,
    pipeline,
    pipeline_from_totals,
)
from corridor.crypto import context

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


OPS = st.lists(st.one_of(
    st.tuples(st.just("open"), st.integers(0, 2), st.integers(0, 200)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20), st.integers(0, 120)),
    st.tuples(st.just("assign"), st.integers(0, 20), st.integers(0, 2)),
    st.tuples(st.just("apply"), st.integers(0, 20), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("decide"), st.integers(0, 20), st.integers(0, 3), st.integers(0, 30)),
    st.tuples(st.just("refer"), st.integers(0, 20)),
), min_size=1, max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=OPS)
def test_random_service_calls_keep_the_totals_equal_to_a_recount(cast, ops):
    workers = [None, cast.alice, cast.bob]
    countries = list(Country.objects.order_by("code").values_list("pk", flat=True)[:3])
    decisions = list(Application.Decision.values)
    now = timezone.now()
    try:
        with transaction.atomic():
            cases: list[Case] = []
            for op in ops:
                try:
                    _run(op, cast, cases, workers, countries, decisions, now)
                except ValidationError:
                    pass  # a refused move changes nothing, totals included
            diff = summaries.difference()
            assert not diff, (ops, diff)
            # and the board from the totals says what the board from the rows says
            for filters in (BoardFilters(), BoardFilters(worker=str(cast.alice.pk))):
                fast = pipeline_from_totals(cast.coordinator, filters)
                slow = pipeline(board_cases(cast.coordinator, filters))
                assert fast["funnel"] == slow["funnel"] and fast["exits"] == slow["exits"]
                assert fast["total"] == slow["total"]
                assert [w["total"] for w in fast["waiting"]] == [w["total"] for w in slow["waiting"]]
            raise _Rollback
    except _Rollback:
        pass


def _run(op, cast, cases, workers, countries, decisions, now):
    kind = op[0]
    if kind == "open":
        person = services.person_create(actor="system:test", organisation=cast.org,
                                        identity={"name_cyrillic": "Тест"}, phone="", notes="")
        cases.append(services.case_open(actor="system:test", person=person, worker=workers[op[1]],
                                        opened=now - timedelta(days=op[2])))
        return
    if not cases:
        return
    case = Case.objects.get(pk=cases[op[1] % len(cases)].pk)
    if case.organisation_id != cast.org.pk:
        return
    if kind == "move":
        options = transitions.targets(case)
        if not options:
            return
        # backdated up to 120 days, never before the current stage began
        at = max(case.stage_since + timedelta(seconds=1), now - timedelta(days=op[3]))
        services.case_transition(actor="system:test", case=case, to_stage=options[op[2] % len(options)],
                                 reason="test", at=min(at, timezone.now()))
    elif kind == "assign":
        services.case_assign(actor=cast.coordinator, case=case, worker=workers[op[2]])
    elif kind == "apply":
        services.application_add(actor="system:test", case=case, country=Country.objects.get(pk=countries[op[2]]),
                                 programme=Programme.values[op[3] % len(Programme.values)],
                                 submitted=timezone.localdate() - timedelta(days=40))
    elif kind == "decide":
        app = case.applications.order_by("created").first()
        if app is None:
            return
        services.application_decide(actor="system:test", application=app, decision=decisions[op[2]],
                                    decided=timezone.localdate() - timedelta(days=op[3]))
    elif kind == "refer":
        if case.stage in (Stage.DECLINED, Stage.LOST_CONTACT, Stage.DETAINED, Stage.RETURNED, Stage.DECEASED,
                          Stage.CLOSED):
            return
        referral = services.referral_create(actor=cast.coordinator, case=case, to_org=cast.other_org,
                                            consent="written", consent_at=timezone.localdate())
        services.referral_accept(actor=cast.partner_coordinator, referral=referral)


def test_a_failed_service_call_leaves_the_totals_alone(cast, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.VETTING)
    before = summaries.stored()
    with pytest.raises(ValidationError):
        services.case_transition(actor=cast.alice, case=case, to_stage=Stage.DEPARTED, reason="no")
    assert summaries.stored() == before
    assert not summaries.difference()


def test_the_waiting_buckets_follow_backdated_moves(cast, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.VETTING, days_ago=200)
    services.case_transition(actor=cast.alice, case=case, to_stage=Stage.ACCEPTED, reason="checked",
                             at=timezone.now() - timedelta(days=45))
    board = pipeline_from_totals(cast.coordinator, BoardFilters())
    accepted = next(w for w in board["waiting"] if w["stage"] == Stage.ACCEPTED)
    assert (accepted["d7"], accepted["d30"], accepted["d90"], accepted["older"]) == (0, 0, 1, 0)
    assert [b[0] for b in AGE_BUCKETS] == ["d7", "d30", "d90", "older"]


def test_tampered_totals_are_found_and_repaired(cast, make_case, capsys):
    for i in range(3):
        make_case(cast.org, worker=cast.alice, stage=Stage.VETTING, name=f"Человек {i}")
    call_command("cases_recount")  # nothing to do: no audit entry
    assert not AuditEntry.objects.filter(code=CaseEvent.CASE_TOTALS_REPAIRED).exists()
    # someone with write access to the database hides two cases from the board
    CaseTally.objects.filter(organisation=cast.org, dim=summaries.ALL, stage=Stage.VETTING).update(n=1)
    StageDay.objects.filter(organisation=cast.org).delete()
    with pytest.raises(SystemExit) as exit_:
        call_command("cases_recount", "--dry-run")
    assert exit_.value.code == 1
    assert "would be corrected" in capsys.readouterr().out
    assert summaries.difference()  # the dry run wrote nothing
    with pytest.raises(SystemExit):
        call_command("cases_recount")
    assert not summaries.difference()
    assert summaries.count(cast.org.pk, stages=[Stage.VETTING]) == 3
    entry = AuditEntry.objects.get(code=CaseEvent.CASE_TOTALS_REPAIRED)
    assert entry.data["tallies"] == 1 and entry.data["days"] > 0
    call_command("cases_recount")  # and now they match


def test_the_recount_command_has_a_fixed_query_count(cast, make_case, django_assert_max_num_queries):
    for i in range(5):
        make_case(cast.org, worker=cast.alice, stage=Stage.SHELTERED, name=f"Человек {i}")
    with django_assert_max_num_queries(12):
        call_command("cases_recount", "--dry-run")


# --- the pages read the totals: query counts flat in the number of cases --------------


BOARDS = ["/staff/cases/board/", "/staff/cases/board/?worker={alice}", "/staff/cases/board/?period=90",
          "/staff/cases/board/?risk=high", "/staff/cases/countries/", "/staff/"]
LISTS = ["/staff/cases/", "/staff/cases/?stage=open", "/staff/cases/?stage=closed", "/staff/cases/?stage=departed",
         "/staff/cases/?worker={alice}", "/staff/cases/?worker=none", "/staff/cases/?country=DE",
         "/staff/cases/?country=DE&worker={alice}", "/staff/cases/?alerts=1", "/staff/cases/?sort=waiting",
         "/staff/cases/?sort=risk", "/staff/cases/?q=K-1", "/staff/cases/exports/?stage=open"]


def _queries(client, url) -> list[str]:
    context.cache_clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("url", BOARDS + LISTS)
def test_the_query_count_does_not_grow_with_the_cases(cast, staff_client, make_case, url):
    url = url.format(alice=cast.alice.pk)
    client = staff_client(cast.coordinator)
    for i in range(3):  # with applications and one of each kind of row the pages show
        make_case(cast.org, worker=cast.alice if i else None, stage=Stage.DEPARTED, name=f"Человек {i}")
    _queries(client, url)
    before = _queries(client, url)
    for i in range(60):  # past one page of 50
        make_case(cast.org, worker=cast.alice if i % 2 else None, name=f"ещё {i}",
                  stage=[Stage.CONTACTED, Stage.VETTING, Stage.DEPARTED][i % 3])
    after = _queries(client, url)
    assert len(after) == len(before), "\n".join(after)


@pytest.mark.parametrize("url", ["/staff/cases/", "/staff/cases/?stage=open", "/staff/cases/?worker={alice}",
                                 "/staff/cases/board/", "/staff/cases/board/?worker={alice}",
                                 "/staff/cases/countries/"])
def test_the_board_and_lists_never_count_the_cases(cast, staff_client, make_case, url):
    for i in range(3):
        make_case(cast.org, worker=cast.alice, stage=Stage.DEPARTED, name=f"Человек {i}")
    client = staff_client(cast.coordinator)
    sql = _queries(client, url.format(alice=cast.alice.pk))
    # (open alerts per worker join their cases: bounded by the open alerts)
    counting = [q for q in sql if "COUNT(" in q.upper()
                and ('FROM "cases_case"' in q or 'FROM "cases_application"' in q)]
    assert counting == []


def test_a_case_worker_s_list_total_is_their_own(cast, staff_client, make_case):
    for i in range(4):
        make_case(cast.org, worker=cast.alice if i % 2 else cast.bob, name=f"Человек {i}")
    r = staff_client(cast.alice).get("/staff/cases/")
    assert r.context["page"].total == 2 and len(r.context["rows"]) == 2


# --- keyset pages -------------------------------------------------------------------------


@pytest.fixture
def seventy(cast, make_case):
    return [make_case(cast.org, worker=cast.alice, name=f"Человек {i}", days_ago=i % 7) for i in range(70)]


@pytest.mark.parametrize("sort", ["opened", "waiting", "risk"])
def test_next_and_previous_walk_every_case_once_in_order(cast, staff_client, seventy, sort):
    client = staff_client(cast.coordinator)
    r = client.get("/staff/cases/", {"sort": sort})
    first = [row["code"] for row in r.context["rows"]]
    assert len(first) == 50 and not r.context["page"].has_previous
    r2 = client.get("/staff/cases/", {"sort": sort, "after": r.context["page"].next_cursor})
    second = [row["code"] for row in r2.context["rows"]]
    assert len(second) == 20 and not r2.context["page"].has_next
    assert sorted(first + second) == sorted(c.code for c in seventy)
    back = client.get("/staff/cases/", {"sort": sort, "before": r2.context["page"].previous_cursor})
    assert [row["code"] for row in back.context["rows"]] == first
    assert not back.context["page"].has_previous and back.context["page"].has_next
    assert r.context["page"].total == r2.context["page"].total == 70
    html = r.content.decode()
    assert "after=" in html and "page=" not in html


@pytest.mark.parametrize("cursor", ["junk", "W10", "WyJ4IiwieSJd", "WzEsMiwzLDQsNV0", "%00" * 5,
                                    "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0"])
def test_a_forged_cursor_gives_the_first_page(cast, staff_client, seventy, cursor):
    client = staff_client(cast.coordinator)
    first = [row["code"] for row in client.get("/staff/cases/").context["rows"]]
    for param in ("after", "before"):
        r = client.get("/staff/cases/", {param: cursor})
        assert r.status_code == 200
        assert [row["code"] for row in r.context["rows"]] == first


def test_a_cursor_shows_no_other_organisation_s_cases(cast, staff_client, make_case, seventy):
    theirs = make_case(cast.other_org, worker=cast.charlie, name="Чужой")
    client = staff_client(cast.alice)
    r = client.get("/staff/cases/")
    seen = [row["code"] for row in r.context["rows"]]
    r = client.get("/staff/cases/", {"after": r.context["page"].next_cursor})
    seen += [row["code"] for row in r.context["rows"]]
    assert theirs.code not in seen and len(seen) == 70


MILLION_STATS = {
    "case_org_opened_period": "1000000 500000 117 116 116 116 116 1",
    "case_caseload": "1000000 500000 166667 16394",
    "case_pipeline": "1000000 500000 33334 12049 116",
    "case_org_opened": "1000000 500000 117 1",
    "case_org_stage_opened": "1000000 500000 33334 116 1",
    "case_org_worker_opened": "1000000 500000 166667 116 1",
    "cases_case_organisation_id_dac38ff3": "1000000 500000",
    "cases_case_stage_bdc49bb8": "1000000 66667",
    "cases_case_worker_id_300ce69c": "1000000 200000",
    "sqlite_autoindex_cases_case_1": "1000000 1",
}


def test_the_period_board_groups_index_only_on_sqlite(cast, staff_client, make_case):
    """A period board groups only the cases opened in the period: at 1,000,000 cases
    SQLite otherwise walked every case of the organisation in `case_pipeline` and
    read the wide rows for the locked-case test (30 s a page)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    for i in range(3):
        make_case(cast.org, worker=cast.alice, stage=Stage.DEPARTED, name=f"Человек {i}")
    client = staff_client(cast.coordinator)
    grouped = [q for q in _queries(client, "/staff/cases/board/?period=90")
               if 'FROM "cases_case"' in q and "GROUP BY" in q]
    assert len(grouped) == 2  # the funnel and the caseload
    with connection.cursor() as cursor:
        # Planned with the statistics `ANALYZE` wrote for the million-case clone
        # (bench/clone_cases.py), whatever the few rows here would say.
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'cases_case'")
        for idx, stat in MILLION_STATS.items():
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('cases_case', %s, %s)", [idx, stat])
        cursor.execute("ANALYZE sqlite_schema")  # reload them
        for sql in grouped:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            # A range on the opening date, not the whole organisation (which index
            # serves it depends on the table's real size: at 1,000,000 cases, the
            # covering `case_org_opened_period`).
            assert "(organisation_id=? AND opened>? AND opened<?)" in plan, plan
