"""The sliding idle timeout written at most once a minute: page views within a
minute write nothing, a later one slides the expiry, an idle session still ends,
and a changed session is saved at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _session(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _writes(client, url="/staff/cases/alerts/") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]
            and not q["sql"].lstrip().upper().startswith("SELECT")]


def test_page_views_within_a_minute_write_no_session(cast, staff_client):
    c = staff_client(cast.alice)
    c.get("/staff/cases/alerts/")
    assert _writes(c) == []
    assert _writes(c) == []


def test_a_page_view_after_a_minute_slides_the_expiry(cast, staff_client):
    c = staff_client(cast.alice)
    c.get("/staff/cases/alerts/")
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # as if the last write were 90 seconds ago
    Session.objects.filter(pk=_session(c).pk).update(expire_date=timezone.now() + age - timedelta(seconds=90))
    writes = _writes(c)
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
    assert _session(c).expire_date > timezone.now() + age - timedelta(seconds=5)


def test_an_idle_session_still_ends(cast, staff_client):
    c = staff_client(cast.alice)
    c.get("/staff/cases/alerts/")
    # the last write was 31 minutes ago, and nothing since was ever more than a minute's slide
    Session.objects.filter(pk=_session(c).pk).update(expire_date=timezone.now() - timedelta(minutes=1))
    response = c.get("/staff/cases/alerts/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_stored_expiry_is_never_later_than_a_save_on_every_request(cast, staff_client):
    c = staff_client(cast.alice)
    for _ in range(3):
        c.get("/staff/cases/alerts/")
        assert _session(c).expire_date <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_a_changed_session_is_saved_at_once(cast, staff_client):
    c = staff_client(cast.alice)
    c.get("/staff/cases/alerts/")
    c.post("/staff/language/", {"language": "ru", "next": "/staff/"})
    assert c.session["django_language"] == "ru"
    c.post("/staff/language/", {"language": "en", "next": "/staff/"})  # within the same minute
    assert c.session["django_language"] == "en"
