"""Duress locks on cases, tried as the coercer, as a colleague who wants in anyway,
and as one person who would like to unlock alone."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from corridor.accounts import duress
from corridor.accounts.tests.test_duress import DURESS, _sign_in
from corridor.accounts.tests.test_login import PASSWORD
from corridor.api.services import token_create
from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import BreakGlass, Case, CaseLock, Document, LockedCase
from corridor.cases.services import locks

pytestmark = pytest.mark.django_db
LOCKED_TEXT = "is locked"


@pytest.fixture
def world(cast, make_case):
    """Alice's two cases, Bob's two (alice holds a break-glass opening on one), and
    a case of the other organisation."""
    from types import SimpleNamespace

    w = SimpleNamespace(
        a1=make_case(cast.org, worker=cast.alice, name="Алиса Первая"),
        a2=make_case(cast.org, worker=cast.alice, name="Алиса Вторая"),
        b1=make_case(cast.org, worker=cast.bob, name="Борис Первый"),
        b2=make_case(cast.org, worker=cast.bob, name="Борис Второй"),
        unassigned=make_case(cast.org, name="Никто Ничей"),
        other=make_case(cast.other_org, worker=cast.charlie, name="Чужой Человек"),
    )
    services.break_glass_open(actor=cast.alice, case=w.b2, reason="the family called me at night, urgent")
    return w


def _locked_ids() -> set:
    return set(LockedCase.objects.values_list("case_id", flat=True))


def _duress(user):
    from django.utils import translation

    duress.duress_passphrase_set(actor=user, user=user, passphrase=DURESS)
    client = Client()
    _sign_in(client, user.username, DURESS, user)
    translation.activate("en")  # the sign-in switched to the account's language
    return client


def _entries(code) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(code=code).order_by("seq"))


# --- what the lock covers --------------------------------------------------------------
def test_a_workers_duress_sign_in_locks_exactly_what_they_could_reach(cast, world):
    _duress(cast.alice)
    # Assigned cases and the live break-glass opening; not Bob's other case, not the
    # unassigned one, not another organisation's.
    assert _locked_ids() == {world.a1.pk, world.a2.pk, world.b2.pk}
    lock = CaseLock.objects.get()
    assert lock.user == cast.alice and lock.cases == 3 and lock.status == CaseLock.Status.LOCKED
    (entry,) = _entries(CaseEvent.CASES_LOCKED_BY_DURESS)
    assert entry.object_id == str(lock.pk) and entry.data == {"user": str(cast.alice.pk), "cases": 3}
    assert entry.actor == "system:duress"


def test_an_expired_break_glass_opening_is_not_reach(cast, world):
    BreakGlass.objects.filter(user=cast.alice).update(expires=timezone.now() - timedelta(minutes=1))
    _duress(cast.alice)
    assert _locked_ids() == {world.a1.pk, world.a2.pk}


def test_a_coordinators_duress_sign_in_locks_the_organisation_and_nothing_else(cast, world):
    _duress(cast.coordinator)
    assert _locked_ids() == set(Case.objects.filter(organisation=cast.org).values_list("pk", flat=True))
    assert world.other.pk not in _locked_ids()


def test_the_lock_is_written_in_the_duress_transaction(cast, world, monkeypatch):
    def broken():
        raise RuntimeError("alert channel down")

    monkeypatch.setattr("corridor.accounts.notify.alert_email", broken)
    with pytest.raises(RuntimeError):
        duress.duress_sign_in(user=cast.alice, via="passphrase")
    # Nothing of the reaction survives on its own: no lock without its audit entries.
    assert not LockedCase.objects.exists() and not CaseLock.objects.exists()
    assert not _entries(CaseEvent.CASES_LOCKED_BY_DURESS)


def test_the_lock_is_one_statement_whatever_the_number_of_cases(cast, make_case, django_assert_max_num_queries):
    for i in range(30):
        make_case(cast.org, worker=cast.alice, name=f"Человек {i}")
    from django.db import transaction

    # create the lock, INSERT ... SELECT, store the count, and the audit entry's few queries
    with django_assert_max_num_queries(12), transaction.atomic():
        lock = locks.cases_lock_for_duress(user=cast.coordinator)
    assert lock.cases == 30


def test_seal_mode_locks_nothing_and_an_account_without_cases_gets_no_lock(fresh_agent, cast, world, settings):
    _duress(cast.operator)
    assert not CaseLock.objects.exists()
    settings.CORRIDOR_DURESS_ACTION = "seal"
    _duress(cast.bob)
    assert not CaseLock.objects.exists()


def test_a_restricted_account_signing_in_again_is_locked_again_once_unlocked(cast, world):
    _duress(cast.alice)
    lock = CaseLock.objects.get()
    # Signing in again with the real password while restricted: a duress sign-in, and
    # the lock still in force is not doubled.
    _sign_in(Client(), "alice", PASSWORD, cast.alice)
    assert CaseLock.objects.count() == 1
    locks.case_unlock_request(actor=cast.coordinator, lock=lock)
    locks.case_unlock_approve(actor=cast.admin, lock=CaseLock.objects.get())
    assert not _locked_ids()
    _sign_in(Client(), "alice", PASSWORD, cast.alice)
    assert CaseLock.objects.exclude(status=CaseLock.Status.UNLOCKED).count() == 1
    assert _locked_ids() == {world.a1.pk, world.a2.pk, world.b2.pk}


# --- nobody reads a locked case ------------------------------------------------------------
def _paths(case, document) -> list[tuple[str, str]]:
    return [("get", f"/staff/cases/{case.code}/"), ("get", f"/staff/cases/{case.code}/edit/"),
            ("get", f"/staff/cases/{case.code}/person/"), ("get", f"/staff/cases/{case.code}/transfer/"),
            ("get", f"/staff/cases/{case.code}/documents/{document.pk}/"),
            ("post", f"/staff/cases/{case.code}/notes/"), ("post", f"/staff/cases/{case.code}/documents/"),
            ("get", f"/staff/cases/{case.code}/break-glass/")]


def _document(case):
    return services.document_add(actor="system:test", person=case.person, kind=Document.Kind.INTERNAL_PASSPORT,
                                 status=Document.Status.HAVE, number="45 07 123456")


@pytest.mark.parametrize("who", ["coordinator", "coordinator2", "bob", "legal", "admin"])
def test_colleagues_get_the_locked_page_on_every_page_of_the_case(cast, world, staff_client, who):
    document = _document(world.a1)
    _duress(cast.alice)
    client = staff_client(getattr(cast, who))
    before = AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED).count()
    for method, path in _paths(world.a1, document):
        response = getattr(client, method)(path, {"body": "a note", "reason": "x" * 40})
        html = response.content.decode()
        assert response.status_code == 403, (who, path)
        assert LOCKED_TEXT in html and 'class="mainnav"' in html, (who, path)
        for secret in ("Алиса", "45 07", "secret-notes"):
            assert secret not in html, (who, path, secret)
    assert AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED).count() == before
    assert not world.a1.notes.exists()


def test_the_locked_page_is_in_russian_too(cast, world, staff_client):
    _duress(cast.alice)
    html = staff_client(cast.coordinator, lang="ru").get(f"/staff/cases/{world.a1.code}/").content.decode()
    assert "заблокировано" in html and "Заблокированные дела" in html


def test_a_locked_case_leaves_every_list(cast, world, staff_client):
    _duress(cast.alice)
    html = staff_client(cast.coordinator).get("/staff/cases/").content.decode()
    assert world.a1.code not in html and world.b2.code not in html and world.b1.code in html
    assert world.b2.code not in staff_client(cast.bob).get("/staff/cases/").content.decode()


def test_the_coerced_account_never_learns_of_the_lock(cast, world, staff_client):
    forced = _duress(cast.alice)
    for path in (f"/staff/cases/{world.a1.code}/", "/staff/cases/locks/", "/staff/"):
        response = forced.get(path)
        assert response.status_code in (200, 404)
        html = response.content.decode().replace(f'value="{path}"', "")
        assert "lock" not in html.lower() and "заблокир" not in html.lower(), path
    # Even a session that is not a decoy (one made before the duress sign-in would
    # have ended): "not found", like any case that is not yours.
    cast.alice.refresh_from_db()
    response = staff_client(cast.alice).get(f"/staff/cases/{world.a1.code}/")
    assert response.status_code == 404 and "lock" not in response.content.decode().lower()


def test_the_api_answers_case_locked_and_the_coerced_token_only_not_found(cast, world):
    document = _document(world.a1)
    _t, coordinator_secret = token_create(actor=cast.coordinator, name="t", scope=["case_view_all", "case_view_assigned"],
                                          write=False, days=7)
    _t, alice_secret = token_create(actor=cast.alice, name="t", scope=["case_view_assigned"], write=False, days=7)
    _duress(cast.alice)
    colleague = Client(headers={"Authorization": f"Bearer {coordinator_secret}"})
    for path in (f"/api/v1/cases/{world.a1.code}", f"/api/v1/cases/{world.a1.code}/documents",
                 f"/api/v1/cases/{world.a1.code}/services", f"/api/v1/cases/{world.a1.code}/checkins"):
        response = colleague.get(path)
        assert response.status_code == 403 and response.json() == {"detail": "case_locked"}, path
        assert "45 07" not in response.content.decode() and str(document.pk) not in response.content.decode()
    listed = colleague.get("/api/v1/cases").content.decode()
    assert world.a1.code not in listed and world.b1.code in listed
    coerced = Client(headers={"Authorization": f"Bearer {alice_secret}"})
    response = coerced.get(f"/api/v1/cases/{world.a1.code}")
    assert response.status_code == 404 and "locked" not in response.content.decode()
    assert world.a1.code not in coerced.get("/api/v1/cases").content.decode()


def test_other_organisations_cases_stay_open(cast, world, staff_client):
    _duress(cast.coordinator)
    assert staff_client(cast.charlie).get(f"/staff/cases/{world.other.code}/").status_code == 200
    # ...and another organisation cannot see or touch this one's locks.
    lock = CaseLock.objects.get()
    assert staff_client(cast.partner_coordinator).post(f"/staff/cases/locks/{lock.pk}/request/").status_code == 404
    assert str(lock.pk) not in staff_client(cast.partner_coordinator).get("/staff/cases/locks/").content.decode()


# --- two people unlock -----------------------------------------------------------------------
def test_one_asks_another_approves_and_the_cases_open_again(cast, world, staff_client):
    _duress(cast.alice)
    lock = CaseLock.objects.get()
    cora, colin = staff_client(cast.coordinator), staff_client(cast.coordinator2)
    assert cora.post(f"/staff/cases/locks/{lock.pk}/request/").status_code == 302
    # The asker cannot approve their own request, even by posting the form by hand.
    cora.post(f"/staff/cases/locks/{lock.pk}/approve/")
    assert _locked_ids() and CaseLock.objects.get().status == CaseLock.Status.REQUESTED
    assert cora.get(f"/staff/cases/{world.a1.code}/").status_code == 403
    assert colin.post(f"/staff/cases/locks/{lock.pk}/approve/").status_code == 302
    assert not _locked_ids() and CaseLock.objects.get().status == CaseLock.Status.UNLOCKED
    assert cora.get(f"/staff/cases/{world.a1.code}/").status_code == 200
    (asked,) = _entries(CaseEvent.CASE_UNLOCK_REQUESTED)
    (done,) = _entries(CaseEvent.CASES_UNLOCKED)
    assert asked.actor == f"user:{cast.coordinator.pk}" and asked.object_id == str(lock.pk)
    assert done.actor == f"user:{cast.coordinator2.pk}" and done.data["requested_by"] == str(cast.coordinator.pk)


def test_one_person_alone_cannot_unlock(cast, world):
    _duress(cast.alice)
    lock = CaseLock.objects.get()
    with pytest.raises(ValidationError):
        locks.case_unlock_approve(actor=cast.coordinator, lock=lock)  # nobody asked
    locks.case_unlock_request(actor=cast.coordinator, lock=lock)
    with pytest.raises(ValidationError, match="other than the person who asked"):
        locks.case_unlock_approve(actor=cast.coordinator, lock=CaseLock.objects.get())
    with pytest.raises(ValidationError):
        locks.case_unlock_request(actor=cast.coordinator, lock=CaseLock.objects.get())  # asking twice
    assert _locked_ids() and not _entries(CaseEvent.CASES_UNLOCKED)


def test_the_coerced_account_cannot_take_part(cast, world):
    _duress(cast.coordinator)
    lock = CaseLock.objects.get()
    for service in (locks.case_unlock_request, locks.case_unlock_cancel, locks.case_unlock_approve):
        with pytest.raises(ValidationError, match="under duress"):
            service(actor=cast.coordinator, lock=lock)
    locks.case_unlock_request(actor=cast.coordinator2, lock=lock)
    with pytest.raises(ValidationError, match="under duress"):
        locks.case_unlock_approve(actor=cast.coordinator, lock=CaseLock.objects.get())
    assert _locked_ids()


def test_roles_without_the_permission_get_no_page_and_no_step(cast, world, staff_client):
    _duress(cast.alice)
    lock = CaseLock.objects.get()
    locks.case_unlock_request(actor=cast.admin, lock=lock)
    for who in ("bob", "legal", "operator", "finance", "auditor"):
        client = staff_client(getattr(cast, who))
        assert client.get("/staff/cases/locks/").status_code == 404, who
        assert client.post(f"/staff/cases/locks/{lock.pk}/approve/").status_code == 404, who
        with pytest.raises(ValidationError):
            locks.case_unlock_approve(actor=getattr(cast, who), lock=CaseLock.objects.get())
    assert _locked_ids()


def test_a_cancelled_request_keeps_the_cases_locked_and_can_be_asked_again(cast, world):
    _duress(cast.alice)
    lock = CaseLock.objects.get()
    locks.case_unlock_request(actor=cast.coordinator, lock=lock)
    locks.case_unlock_cancel(actor=cast.admin, lock=CaseLock.objects.get())
    lock = CaseLock.objects.get()
    assert lock.status == CaseLock.Status.LOCKED and lock.requested_by is None and _locked_ids()
    with pytest.raises(ValidationError):
        locks.case_unlock_approve(actor=cast.admin, lock=lock)
    (cancelled,) = _entries(CaseEvent.CASE_UNLOCK_CANCELLED)
    assert cancelled.data["requested_by"] == str(cast.coordinator.pk)
    locks.case_unlock_request(actor=cast.admin, lock=lock)
    locks.case_unlock_approve(actor=cast.coordinator, lock=CaseLock.objects.get())
    assert not _locked_ids()


def test_the_dashboard_tells_coordinators_not_the_coerced(cast, world, staff_client):
    forced = _duress(cast.alice)
    assert "/staff/cases/locks/" in staff_client(cast.coordinator).get("/staff/").content.decode()
    assert "/staff/cases/locks/" in staff_client(cast.admin).get("/staff/").content.decode()
    assert "/staff/cases/locks/" not in forced.get("/staff/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_unlock_once(cast, make_case):
    make_case(cast.org, worker=cast.alice)
    duress.duress_sign_in(user=cast.alice, via="passphrase")
    lock = CaseLock.objects.get()
    locks.case_unlock_request(actor=cast.coordinator, lock=lock)
    approvers = [cast.coordinator2, cast.admin] * 2
    barrier = threading.Barrier(len(approvers))
    results: list = []

    def go(user):
        import time as _time

        from django.db import OperationalError, connection

        barrier.wait()
        try:
            for _ in range(200):
                try:
                    locks.case_unlock_approve(actor=user, lock=CaseLock.objects.get(pk=lock.pk))
                    results.append("unlocked")
                    return
                except ValidationError:
                    results.append("refused")
                    return
                except OperationalError:  # SQLite's shared in-memory database: "table is locked", retry
                    _time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused"] * 3 + ["unlocked"]
    assert len(_entries(CaseEvent.CASES_UNLOCKED)) == 1 and not _locked_ids()


def test_the_testimony_of_a_locked_cases_person_is_locked_too(cast, world, staff_client):
    from datetime import date

    from corridor.evidence import services as evidence

    testimony = evidence.testimony_record(
        actor=cast.legal, person=world.a1.person, language="ru", transcript="Held three days in a basement.",
        interviewer=cast.legal, interviewed_on=date(2017, 5, 2))
    other = evidence.testimony_record(
        actor=cast.legal, person=world.b1.person, language="ru", transcript="Saw him taken.",
        interviewer=cast.legal, interviewed_on=date(2017, 5, 3))
    _duress(cast.alice)
    lena = staff_client(cast.legal)
    response = lena.get(f"/staff/evidence/testimonies/{testimony.pk}/")
    html = response.content.decode()
    assert response.status_code == 403 and LOCKED_TEXT in html and "basement" not in html
    assert lena.get(f"/staff/evidence/testimonies/{testimony.pk}/edit/").status_code == 403
    assert lena.get(f"/staff/evidence/testimonies/{other.pk}/").status_code == 200
