"""Referral to another organisation: consent, re-encryption, accept or decline, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Document, Note, Person, Referral, Stage, StageChange
from corridor.crypto import context
from corridor.crypto.errors import StaleKeyVersion
from corridor.crypto.models import DataKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(cast, make_case):
    head = make_case(cast.org, worker=cast.alice, name="Мадина Х.", phone="+79281112233", stage=Stage.SHELTERED)
    household = services.household_create(actor=cast.alice, head=head.person)
    child = services.household_add_member(actor=cast.alice, household=household, role="child",
                                          identity={"name_cyrillic": "Амина Х."}, worker=cast.alice)
    services.note_add(actor=cast.alice, case=head, kind="call", text="called from the shelter")
    services.document_add(actor=cast.alice, person=head.person, kind="internal_passport", status="have",
                          number="96 12 345678")
    head.refresh_from_db()
    return head, child


def _refer(cast, case, **kw):
    args = {"actor": cast.coordinator, "case": case, "to_org": cast.other_org, "consent": "written",
            "consent_at": timezone.localdate(), "note": "needs a safe flat in the west"}
    args.update(kw)
    return services.referral_create(**args)


def test_a_referral_needs_consent(cast, family):
    with pytest.raises(ValidationError, match="agreed"):
        _refer(cast, family[0], consent="")
    with pytest.raises(ValidationError, match="future"):
        _refer(cast, family[0], consent_at=timezone.localdate() + timedelta(days=1))


def test_only_coordinators_refer(cast, family):
    with pytest.raises(ValidationError):
        _refer(cast, family[0], actor=cast.alice)


def test_accepting_re_encrypts_for_the_receiving_organisation(cast, staff_client, family):
    head, child = family
    old_code = head.code
    raw_notes = Person.objects.filter(pk=head.person_id).values_list("notes", flat=True).get()
    raw_doc = Document.objects.filter(person_id=head.person_id).values_list("number", flat=True).get()
    referral = _refer(cast, head)
    assert referral.members == 2
    # The receiver reads the note before deciding, nothing else.
    pat = staff_client(cast.partner_coordinator)
    page = pat.get(f"/staff/cases/referrals/{referral.pk}/").content.decode()
    assert "needs a safe flat in the west" in page and "Мадина" not in page
    r = pat.post(f"/staff/cases/referrals/{referral.pk}/decide/", {"action": "accept"})
    assert r.status_code == 302
    moved = Case.objects.select_related("person__data_key").get(pk=head.pk)
    assert moved.organisation == cast.other_org and moved.code.startswith("P-") and moved.worker is None
    dk = DataKey.objects.get(pk=moved.person.data_key_id)
    assert dk.organisation == cast.other_org and dk.version == 2
    assert Case.objects.get(pk=child.pk).organisation == cast.other_org
    assert moved.household.organisation == cast.other_org
    # The new organisation reads everything ...
    context.cache_clear()
    page = pat.get(f"/staff/cases/{moved.code}/").content.decode()
    assert "Мадина Х." in page and "called from the shelter" in page and "96 12 345678" in page
    context.cache_clear()
    moved = Case.objects.select_related("person__data_key").get(pk=head.pk)
    assert moved.person.phone == "+79281112233"
    assert [c.reason for c in StageChange.objects.filter(case=moved).select_related("case__person__data_key")][-1] \
        == "moving to sheltered"
    # ... the old one cannot: 404 by either code, and old ciphertexts no longer open.
    for user in (cast.coordinator, cast.alice):
        client = staff_client(user)
        assert client.get(f"/staff/cases/{old_code}/").status_code == 404
        assert client.get(f"/staff/cases/{moved.code}/").status_code == 404
    Person.objects.filter(pk=head.person_id).update(notes=raw_notes)
    Document.objects.filter(person_id=head.person_id).update(number=raw_doc)
    context.cache_clear()
    with pytest.raises(StaleKeyVersion):
        Person.objects.get(pk=head.person_id).notes  # noqa: B018
    # Both sides have it in their audit log.
    outs = AuditEntry.objects.filter(code=CaseEvent.CASE_TRANSFERRED_OUT)
    ins = AuditEntry.objects.filter(code=CaseEvent.CASE_TRANSFERRED_IN)
    assert {e.organisation for e in outs} == {str(cast.org.pk)} and outs.count() == 2
    assert {e.organisation for e in ins} == {str(cast.other_org.pk)} and ins.count() == 2
    accepted = AuditEntry.objects.filter(code=CaseEvent.REFERRAL_ACCEPTED)
    assert {e.organisation for e in accepted} == {str(cast.org.pk), str(cast.other_org.pk)}
    assert Referral.objects.get().to_code == moved.code


def test_the_sending_side_cannot_accept_its_own_referral(cast, staff_client, family):
    referral = _refer(cast, family[0])
    r = staff_client(cast.coordinator).post(f"/staff/cases/referrals/{referral.pk}/decide/", {"action": "accept"})
    assert r.status_code == 302 and Referral.objects.get().status == "pending"
    assert staff_client(cast.charlie).get(f"/staff/cases/referrals/{referral.pk}/").status_code == 404


def test_declining_keeps_the_case_and_tells_the_sender_why(cast, staff_client, family):
    referral = _refer(cast, family[0])
    pat = staff_client(cast.partner_coordinator)
    assert pat.post(f"/staff/cases/referrals/{referral.pk}/decide/", {"action": "decline"}).status_code == 400
    pat.post(f"/staff/cases/referrals/{referral.pk}/decide/", {"action": "decline", "reason": "no beds this month"})
    assert Referral.objects.get().status == "declined"
    assert Case.objects.get(pk=family[0].pk).organisation == cast.org
    page = staff_client(cast.coordinator).get(f"/staff/cases/referrals/{referral.pk}/").content.decode()
    assert "no beds this month" in page
    assert AuditEntry.objects.filter(code=CaseEvent.REFERRAL_DECLINED).count() == 2


def test_the_referral_form(cast, staff_client, family):
    head = family[0]
    c = staff_client(cast.coordinator)
    r = c.post(f"/staff/cases/{head.code}/refer/", {"to_org": str(cast.other_org.pk), "consent": "spoken",
                                                   "consent_at": timezone.localdate().isoformat(), "note": "hello"})
    assert r.status_code == 302 and Referral.objects.get().consent == "spoken"
    assert AuditEntry.objects.filter(code=CaseEvent.REFERRAL_CREATED).count() == 2
    assert Note.objects.count() == 1


def test_the_story_from_first_contact_moves_with_a_referral(cast, staff_client):
    from corridor.intake.services import contact_open_case, contact_record, vetting_record

    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone",
                             what="Ищут после задержания друга", where="Гудермес")
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed", note="поручилась мать")
    case = contact_open_case(actor=cast.coordinator, contact=contact, name="Ислам")
    case = Case.objects.select_related("person__data_key").get(pk=case.pk)
    raw = Case.objects.filter(pk=case.pk).values_list("intake", flat=True).get()
    referral = _refer(cast, case)
    services.referral_accept(actor=cast.partner_coordinator, referral=referral)
    context.cache_clear()
    moved = Case.objects.select_related("person__data_key").get(pk=case.pk)
    page = staff_client(cast.partner_coordinator).get(f"/staff/cases/{moved.code}/").content.decode()
    assert "Ищут после задержания друга" in page and "поручилась мать" in page
    # The old ciphertext, put back by someone with the database, no longer opens.
    Case.objects.filter(pk=case.pk).update(intake=raw)
    context.cache_clear()
    with pytest.raises(StaleKeyVersion):
        Case.objects.select_related("person__data_key").get(pk=case.pk).intake  # noqa: B018
