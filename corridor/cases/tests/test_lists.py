"""List pages: a fixed number of queries however many rows, one agent round trip for
the page's keys, and only what is shown decrypted."""

from __future__ import annotations

import pytest

from corridor.cases import services
from corridor.cases.models import Stage
from corridor.crypto import context, keys
from corridor.crypto.fields import EncryptedField

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(cast, make_case):
    made = [make_case(cast.org, worker=cast.alice if i % 2 else cast.bob, name=f"Человек {i}",
                      stage=[Stage.CONTACTED, Stage.VETTING, Stage.SHELTERED][i % 3]) for i in range(12)]
    services.checkin_schedule(actor="system:test", case=made[2], every_hours=6)
    return made


@pytest.fixture
def spy(monkeypatch):
    """Count agent round trips and decrypted fields."""
    calls = {"unwrap": 0, "opened": []}
    real_unwrap = keys.keyd().unwrap
    real_open = EncryptedField.open

    def unwrap(principal, items):
        calls["unwrap"] += 1
        return real_unwrap(principal, items)

    def open_(self, instance, raw):
        calls["opened"].append(f"{instance._meta.model_name}.{self.name}")
        return real_open(self, instance, raw)

    monkeypatch.setattr(keys.keyd(), "unwrap", unwrap)
    monkeypatch.setattr(EncryptedField, "open", open_)
    return calls


def _get(client, url, **params):
    context.cache_clear()
    return client.get(url, params)


@pytest.mark.parametrize("who", ["coordinator", "alice"])
def test_the_case_list_has_a_fixed_query_count(cast, staff_client, many, who, django_assert_max_num_queries, spy):
    client = staff_client(getattr(cast, who))
    _get(client, "/staff/cases/")  # warm the session
    spy["unwrap"], spy["opened"] = 0, []
    # session, user, second factor, total (from the running totals), rows, alerts,
    # workers, countries; the session is not written within a minute of the last write
    with django_assert_max_num_queries(9):
        r = _get(client, "/staff/cases/")
    rows = len(r.context["rows"])
    assert rows == (12 if who == "coordinator" else 6)
    assert spy["unwrap"] == 1  # every row's key in one round trip
    assert spy["opened"] == ["person.identity"] * rows  # names only: no notes, phones or summaries


def test_the_case_list_query_count_does_not_grow(cast, staff_client, many, make_case, django_assert_num_queries):
    client = staff_client(cast.coordinator)
    _get(client, "/staff/cases/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        _get(client, "/staff/cases/")
    for i in range(10):
        make_case(cast.org, worker=cast.alice, name=f"ещё {i}")
    with django_assert_num_queries(len(before.captured_queries)):
        _get(client, "/staff/cases/")


def test_a_search_by_phone_has_a_fixed_query_count(cast, staff_client, many, django_assert_max_num_queries):
    client = staff_client(cast.coordinator)
    _get(client, "/staff/cases/")
    with django_assert_max_num_queries(15):  # + the audit entry of an identifier search (5)
        _get(client, "/staff/cases/", q="+79280000000")


# Each includes 3 for the session, the user and the second factor (the session is
# written at most once a minute, see corridor/web/sessions.py).
@pytest.mark.parametrize("url,limit", [
    ("/staff/cases/board/", 17), ("/staff/cases/alerts/", 5), ("/staff/cases/countries/", 8),
    ("/staff/cases/access/", 4), ("/staff/cases/exports/", 5), ("/staff/cases/referrals/", 4),
    ("/staff/housing/", 9),
])
def test_other_list_pages_have_a_fixed_query_count(cast, staff_client, many, url, limit,
                                                   django_assert_max_num_queries):
    client = staff_client(cast.coordinator)
    _get(client, url)
    with django_assert_max_num_queries(limit):
        assert _get(client, url).status_code == 200


def test_the_case_page_has_a_fixed_query_count(cast, staff_client, make_case, django_assert_max_num_queries, spy):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.DEPARTED)
    for i in range(5):
        services.note_add(actor=cast.alice, case=case, kind="note", text=f"note {i}")
    client = staff_client(cast.alice)
    _get(client, f"/staff/cases/{case.code}/")
    spy["unwrap"] = 0
    with django_assert_max_num_queries(40):
        _get(client, f"/staff/cases/{case.code}/")
    assert spy["unwrap"] == 1  # one person, one key, however long the history


@pytest.mark.parametrize("panel,limit", [("my_work", 4), ("pipeline_panel", 4)])
def test_dashboard_panels_have_a_fixed_query_count(cast, many, rf, panel, limit, django_assert_max_num_queries):
    from corridor.cases import panels

    request = rf.get("/staff/")
    request.user = cast.coordinator
    with django_assert_max_num_queries(limit):
        getattr(panels, panel)(request)
