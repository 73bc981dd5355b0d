"""Erasing a person with two people: request with a reason, approval by another
coordinator or an administrator, legal hold for testimonies a lodged filing needs."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import ErasureRequest, Person
from corridor.cases.services.erasure import (
    erasure_decide,
    erasure_legal_hold,
    erasure_plan,
    erasure_request,
)
from corridor.crypto import context
from corridor.crypto.fields import ERASED
from corridor.crypto.keys import keyd
from corridor.crypto.models import DataKey
from corridor.keyd.errors import UnwrapFailed

pytestmark = pytest.mark.django_db
REASON = "The person asked us in writing to delete everything."


def _household_case(cast, make_case):
    case = make_case(cast.org, worker=cast.alice, phone="+79281234567")
    household = services.household_create(actor="system:test", head=case.person)
    member_case = services.household_add_member(actor="system:test", household=household,
                                                identity={"name_cyrillic": "Мария"}, role="partner")
    case.person.refresh_from_db()
    return case, member_case.person


def test_a_coordinator_asks_and_a_second_one_erases_the_household(cast, make_case, django_capture_on_commit_callbacks):
    case, member = _household_case(cast, make_case)
    head = case.person
    services.identifier_add(actor="system:test", person=head, kind="phone", value="+79280001122")
    stolen = [(bytes(p.data_key.wrapped), p.data_key.wrap_ad(), 0) for p in (head, member)]
    req = erasure_request(actor=cast.coordinator, person=head, reason=REASON, include_household=True)
    plan = erasure_plan(head, include_household=True)
    assert {p.code for p in plan.people} == {head.code, member.code} and plan.identifiers == 1
    with pytest.raises(ValidationError, match="second person"):
        erasure_decide(actor=cast.coordinator, request=req, approve=True)
    for outsider in (cast.alice, cast.legal, cast.partner_coordinator):
        with pytest.raises(ValidationError):
            erasure_decide(actor=outsider, request=req, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_decide(actor=cast.admin, request=req, approve=True)
    req.refresh_from_db()
    assert req.status == ErasureRequest.Status.DONE and req.summary["people"] == 2
    context.cache_clear()
    for p in (head, member):
        loaded = Person.objects.get(pk=p.pk)
        assert loaded.erased and loaded.identity is ERASED
    for item in stolen:
        with pytest.raises(UnwrapFailed):
            keyd().unwrap("attacker", [item])
    # The reason named the person: its key is gone too.
    assert DataKey.objects.get(pk=req.data_key_id).wrapped is None
    # Statistics keep the skeleton: the case row, its code and stage survive.
    case.refresh_from_db()
    assert case.code and case.stage
    # Audit entries carry only pseudonyms and counts.
    entries = AuditEntry.objects.filter(code__in=[CaseEvent.PERSON_ERASURE_REQUESTED, CaseEvent.PERSON_ERASURE_APPROVED])
    assert entries.count() == 2
    for entry in entries:
        text = str(entry.payload) if hasattr(entry, "payload") else str(entry.__dict__)
        assert "Иван" not in text and "Мария" not in text and "79281234567" not in text and REASON not in text


def test_declining_erases_nothing(cast, make_case):
    case = make_case(cast.org, worker=cast.alice)
    req = erasure_request(actor=cast.coordinator, person=case.person, reason=REASON)
    erasure_decide(actor=cast.coordinator2, request=req, approve=False)
    context.cache_clear()
    assert Person.objects.get(pk=case.person.pk).erased is None
    with pytest.raises(ValidationError, match="already decided"):
        erasure_decide(actor=cast.coordinator2, request=req, approve=True)


def test_a_short_reason_and_a_non_coordinator_are_refused(cast, make_case):
    case = make_case(cast.org, worker=cast.alice)
    with pytest.raises(ValidationError):
        erasure_request(actor=cast.coordinator, person=case.person, reason="because")
    with pytest.raises(ValidationError):
        erasure_request(actor=cast.alice, person=case.person, reason=REASON)


def test_testimonies_a_lodged_filing_needs_wait_for_a_legal_officer(cast, make_case, django_capture_on_commit_callbacks):
    from corridor.evidence.services.filings import filing_create
    from corridor.evidence.services.testimonies import testimony_record

    case = make_case(cast.org, worker=cast.alice)
    person = case.person
    testimony = testimony_record(actor=cast.legal, person=person, language="ru", transcript="what I saw",
                                 interviewer=cast.legal, interviewed_on=date(2026, 1, 5), consent_legal=True)
    filing_create(actor=cast.legal, body="echr", title="Application", status="lodged",
                  lodged_on=date(2026, 2, 1), people=[person])
    req = erasure_request(actor=cast.coordinator, person=person, reason=REASON)
    with pytest.raises(ValidationError, match="legal officer"):
        erasure_decide(actor=cast.coordinator2, request=req, approve=True)
    with pytest.raises(ValidationError):
        erasure_legal_hold(actor=cast.coordinator2, request=req)
    erasure_legal_hold(actor=cast.legal, request=req)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_decide(actor=cast.coordinator2, request=req, approve=True)
    assert DataKey.objects.get(pk=testimony.data_key_id).wrapped is not None  # kept for the court
    assert DataKey.objects.get(pk=person.data_key_id).wrapped is None


def test_a_testimony_no_filing_needs_goes_with_the_person(cast, make_case, django_capture_on_commit_callbacks):
    from corridor.evidence.services.testimonies import testimony_record

    case = make_case(cast.org, worker=cast.alice)
    testimony = testimony_record(actor=cast.legal, person=case.person, language="ru", transcript="t",
                                 interviewer=cast.legal, interviewed_on=date(2026, 1, 5))
    req = erasure_request(actor=cast.coordinator, person=case.person, reason=REASON)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_decide(actor=cast.coordinator2, request=req, approve=True)
    assert DataKey.objects.get(pk=testimony.data_key_id).wrapped is None


def test_the_confirmation_page_says_what_goes_and_the_list_lets_another_approve(cast, make_case, staff_client,
                                                                             django_capture_on_commit_callbacks):
    case, member = _household_case(cast, make_case)
    coord = staff_client(cast.coordinator)
    page = coord.get(f"/staff/cases/{case.code}/erase/?household=1")
    assert page.status_code == 200
    body = page.content.decode()
    assert case.person.code in body and member.code in body and "cannot be undone" in body
    # Case workers and other organisations cannot even see it.
    assert staff_client(cast.alice).get(f"/staff/cases/{case.code}/erase/").status_code in (403, 404)
    assert staff_client(cast.partner_coordinator).get(f"/staff/cases/{case.code}/erase/").status_code in (403, 404)
    # Without ticking "I understand" nothing is asked.
    coord.post(f"/staff/cases/{case.code}/erase/", {"reason": REASON})
    assert not ErasureRequest.objects.exists()
    resp = coord.post(f"/staff/cases/{case.code}/erase/", {"reason": REASON, "include_household": "on",
                                                            "confirm": "on"})
    assert resp.status_code == 302
    req = ErasureRequest.objects.get()
    assert req.include_household
    listing = staff_client(cast.coordinator2).get("/staff/cases/erasures/").content.decode()
    assert "Approve and erase" in listing and REASON in listing
    assert staff_client(cast.alice).get("/staff/cases/erasures/").status_code == 404
    assert coord.get(f"/staff/cases/erasures/{req.pk}/decide/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        staff_client(cast.coordinator2).post(f"/staff/cases/erasures/{req.pk}/decide/", {"approve": "1"})
    req.refresh_from_db()
    assert req.status == ErasureRequest.Status.DONE


def test_the_cli_requests_and_approves(cast, make_case, django_capture_on_commit_callbacks):
    case = make_case(cast.org, worker=cast.alice)
    out = StringIO()
    call_command("erase_person", "request", case.person.code, "--by", "cora", "--reason", REASON,
                 "--organisation", cast.org.slug, stdout=out)
    req = ErasureRequest.objects.get()
    assert str(req.pk) in out.getvalue() and "people" in out.getvalue()
    with pytest.raises(Exception, match="second person"):
        call_command("erase_person", "approve", str(req.pk), "--by", "cora", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_person", "approve", str(req.pk), "--by", "colin", stdout=StringIO())
    assert Person.objects.get(pk=case.person.pk).erased
