"""Error pages (403, 404, 500, sealed) keep the shell the person was in, speak
their language and offer a way back; a case handed over to another organisation
says where it went to the sending side's coordinators, and nothing to others.

This module doubles as a URL map: the real one plus two staff pages that fail on
purpose (a refused action and a crash)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone

from corridor.accounts.services import user_set_language
from corridor.cases import services as cases
from corridor.urls import handler403, handler404, handler500  # noqa: F401
from corridor.urls import urlpatterns as base

pytestmark = [pytest.mark.django_db, pytest.mark.urls("corridor.web.tests.test_error_pages")]


def _refuse(request):
    raise PermissionDenied


def _crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("staff/test-refused/", _refuse), path("staff/test-crash/", _crash), *base]


def _page(response) -> str:
    return response.content.decode()


def test_a_missing_staff_page_is_in_the_shell_in_russian_with_a_way_back(cast, staff_client):
    response = staff_client(cast.alice).get("/staff/cases/K-9999/")
    assert response.status_code == 404
    page = _page(response)
    assert 'class="mainnav"' in page and 'lang="ru"' in page
    assert "Не найдено" in page and 'href="/staff/"' in page
    assert "Not Found" not in page


def test_the_error_pages_follow_the_persons_language(cast, staff_client):
    user_set_language(user=cast.alice, language="en")
    client = staff_client(cast.alice)
    session = client.session
    session["django_language"] = "en"
    session.save()
    page = _page(client.get("/staff/no-such-page/"))
    assert "Not found" in page and "Back to the start page" in page and 'lang="en"' in page


def test_a_refused_action_is_a_403_in_the_shell(cast, staff_client):
    response = staff_client(cast.operator).get("/staff/test-refused/")
    assert response.status_code == 403
    page = _page(response)
    assert 'class="mainnav"' in page and "Доступ закрыт" in page and 'href="/staff/"' in page


def test_a_crash_is_a_500_in_the_shell_that_says_what_to_do(cast, staff_client):
    client = staff_client(cast.alice)
    client.raise_request_exception = False
    response = client.get("/staff/test-crash/")
    assert response.status_code == 500
    page = _page(response)
    assert 'class="mainnav"' in page and "Что-то пошло не так" in page and "a bug" not in page


def test_a_500_without_a_database_still_answers(cast, rf, monkeypatch):
    from corridor.web import errors

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(errors, "render", broken)
    request = rf.get("/staff/cases/")
    request.user = cast.alice
    response = errors.server_error(request)
    assert response.status_code == 500 and b"/staff/" in response.content


def test_a_public_404_keeps_the_quick_exit(db):
    from django.test import Client

    response = Client().get("/no-such-page/?lang=ru")
    assert response.status_code == 404
    page = _page(response)
    assert "quick-exit" in page and "Написать нам" in page and "mainnav" not in page
    assert response.cookies == {} or not response.cookies


def test_a_sealed_server_keeps_the_staff_shell(fresh_agent, cast, staff_client):
    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ислам"},
                                 notes="секрет")
    case = cases.case_open(actor="system:test", person=person, worker=cast.alice)
    client = staff_client(cast.alice)
    fresh_agent.agent.seal("test")
    from corridor.crypto import context

    context.cache_clear()
    response = client.get(f"/staff/cases/{case.code}/")
    assert response.status_code == 503
    page = _page(response)
    assert 'class="mainnav"' in page and "запечатан" in page and 'href="/staff/"' in page
    assert "секрет" not in page


@pytest.fixture
def transferred(cast):
    person = cases.person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Мадина"})
    case = cases.case_open(actor="system:test", person=person, worker=cast.alice)
    old_code = case.code
    referral = cases.referral_create(actor=cast.coordinator, case=case, to_org=cast.other_org, consent="written",
                                     consent_at=timezone.localdate(), note="")
    cases.referral_accept(actor=cast.partner_coordinator, referral=referral)
    return old_code, referral


def test_a_transferred_case_says_where_it_went_to_the_sending_coordinator(cast, staff_client, transferred):
    old_code, referral = transferred
    response = staff_client(cast.coordinator).get(f"/staff/cases/{old_code}/")
    assert response.status_code == 404
    page = _page(response)
    assert f"{old_code} теперь в другой организации" in page
    assert cast.other_org.name in page and f"/staff/cases/referrals/{referral.pk}/" in page
    assert "Мадина" not in page


@pytest.mark.parametrize("who", ["alice", "operator", "partner_coordinator"])
def test_others_get_a_plain_not_found_for_a_transferred_case(cast, staff_client, transferred, who):
    old_code, _referral = transferred
    page = _page(staff_client(getattr(cast, who)).get(f"/staff/cases/{old_code}/"))
    assert "в другой организации" not in page and cast.other_org.name not in page.split("</header>")[1]
    assert "Не найдено" in page


def test_a_forged_audit_entry_cannot_point_at_another_organisations_referral(cast, staff_client, transferred):
    """Someone with database write access plants a transfer entry for a code of
    the other organisation: the page still only names referrals sent by the
    reader's own organisation."""
    from django.db import transaction

    from corridor.audit.services import record
    from corridor.cases.events import CaseEvent

    _old, referral = transferred
    with transaction.atomic():
        record(CaseEvent.CASE_TRANSFERRED_OUT, actor="system:test", organisation=str(cast.other_org.pk),
               object_type="cases.case", object_id="P-0001", referral=str(referral.pk))
    page = _page(staff_client(cast.partner_coordinator).get("/staff/cases/P-0001/"))
    assert "в другой организации" not in page
