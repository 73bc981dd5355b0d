"""One vetting: a case opened from a vetted contact starts at "accepted", carries
the story and the vetting record; skipping vetting needs a written override."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Stage, StageChange
from corridor.crypto import context
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Contact, Status, StatusChange
from corridor.intake.services import (
    contact_open_case,
    contact_record,
    contact_set_status,
    vetting_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _call(cast, **kwargs):
    return contact_record(actor=cast.operator, organisation=cast.org, channel="phone",
                          what="Брата забрали ночью, меня ищут", where="Аргун", reach="Signal, после 22:00",
                          **kwargs)


def test_a_vetted_contact_opens_at_accepted_with_its_history(cast, staff_client):
    received = timezone.now() - timedelta(days=3)
    contact = _call(cast, received=received)
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed", note="поручилась сестра")
    vetting_record(actor=cast.operator, contact=contact, item="consistency", outcome="passed")
    case = contact_open_case(actor=cast.coordinator, contact=contact, name="Адам", worker=cast.alice)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.stage == Stage.ACCEPTED and fresh.reached == 2
    assert fresh.opened == received
    steps = list(StageChange.objects.filter(case=case).order_by("at").values_list("from_stage", "to_stage"))
    assert steps == [("", "contacted"), ("contacted", "vetting"), ("vetting", "accepted")]
    contact.refresh_from_db()
    assert contact.status == Status.ACCEPTED
    # The worker does not vet again: the next moves are out of the region, not vetting.
    from corridor.cases import transitions
    assert Stage.LEAVING_REGION in transitions.targets(fresh) and Stage.ACCEPTED not in transitions.targets(fresh)
    context.cache_clear()
    body = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert "Брата забрали ночью, меня ищут" in body and "Signal, после 22:00" in body
    assert "поручилась сестра" in body and contact.ref in body


def test_the_story_and_vetting_are_kept_under_the_persons_key(cast):
    contact = _call(cast)
    vetting_record(actor=cast.operator, contact=contact, item="consistency", outcome="passed", note="сходится")
    case = contact_open_case(actor=cast.coordinator, contact=contact, name="Адам")
    raw = Case.objects.filter(pk=case.pk).values_list("intake", flat=True).get()
    assert b"\xd0\x90\xd1\x80\xd0\xb3\xd1\x83\xd0\xbd" not in bytes(raw)  # "Аргун" is not in clear
    context.cache_clear()
    record = Case.objects.get(pk=case.pk).intake
    assert record["story"][0]["what"].startswith("Брата забрали")
    assert [(c["item"], c["outcome"], c["by"]) for c in record["vetting"]] == [
        ("consistency", "passed", cast.operator.username)]
    assert record["override"] == ""


def test_no_vetting_decision_needs_a_written_override(cast):
    contact = _call(cast)
    with pytest.raises(ValidationError) as err:
        contact_open_case(actor=cast.coordinator, contact=contact, name="Адам")
    assert "override" in err.value.error_dict
    with pytest.raises(ValidationError):
        contact_open_case(actor=cast.coordinator, contact=contact, name="Адам", override="срочно")
    assert not Case.objects.exists() and Contact.objects.get(pk=contact.pk).status == Status.NEW
    case = contact_open_case(actor=cast.coordinator, contact=contact, name="Адам",
                             override="в отделе прямо сейчас, проверять некогда")
    context.cache_clear()
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.stage == Stage.ACCEPTED and fresh.intake["override"].startswith("в отделе")
    steps = list(StageChange.objects.filter(case=case).order_by("at").values_list("to_stage", flat=True))
    assert steps == ["contacted", "accepted"]
    entry = AuditEntry.objects.filter(code=IntakeEvent.CASE_OPENED_FROM_CONTACT).get()
    assert entry.data["overridden"] is True and entry.data["vetting_decisions"] == 0
    assert "в отделе" not in bytes(entry.leaf).decode()
    assert StatusChange.objects.filter(contact=contact, to_status=Status.ACCEPTED).get().reason.startswith("в отделе")


def test_an_automatic_check_alone_is_not_vetting(cast):
    contact = _call(cast, identifiers=[("phone", "+7 928 000-00-11")])  # the provocateur check passes
    with pytest.raises(ValidationError, match="Nobody has recorded"):
        contact_open_case(actor=cast.coordinator, contact=contact, name="Адам")


def test_a_failed_check_needs_an_override_even_after_other_decisions(cast):
    contact = _call(cast)
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed")
    vetting_record(actor=cast.operator, contact=contact, item="consistency", outcome="failed", note="не сходится")
    with pytest.raises(ValidationError, match="failed"):
        contact_open_case(actor=cast.coordinator, contact=contact, name="Адам")


def test_an_operator_cannot_override(cast):
    from django.core.exceptions import PermissionDenied

    contact = _call(cast)
    with pytest.raises(PermissionDenied):
        contact_open_case(actor=cast.operator, contact=contact, override="я так решил, и всё тут")


def test_a_suspected_provocation_needs_a_reason(cast):
    contact = _call(cast)
    for reason in ("", "   ", "так"):
        with pytest.raises(ValidationError) as err:
            contact_set_status(actor=cast.coordinator, contact=contact, status=Status.PROVOCATION, reason=reason)
        assert "reason" in err.value.error_dict
    assert Contact.objects.get(pk=contact.pk).status == Status.NEW
    contact_set_status(actor=cast.coordinator, contact=contact, status=Status.PROVOCATION,
                       reason="спрашивал адреса квартир, номер из другого региона")
    assert Contact.objects.get(pk=contact.pk).status == Status.PROVOCATION
    with pytest.raises(ValidationError):
        vetting_record(actor=cast.operator, contact=_call(cast), item="provocateur", outcome="failed", note="")


def test_the_acceptance_can_be_dated_between_contact_and_now(cast):
    received = timezone.now() - timedelta(days=10)
    contact = _call(cast, received=received)
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed")
    with pytest.raises(ValidationError):
        contact_open_case(actor=cast.coordinator, contact=contact, when=received - timedelta(days=1))
    with pytest.raises(ValidationError):
        contact_open_case(actor=cast.coordinator, contact=contact, when=timezone.now() + timedelta(days=1))
    accepted = received + timedelta(days=2)
    case = contact_open_case(actor=cast.coordinator, contact=contact, when=accepted)
    steps = dict(StageChange.objects.filter(case=case).values_list("to_stage", "at"))
    # The vetting decision was typed today, after the acceptance it led to: it is
    # placed no later than the acceptance, so the history stays in order.
    assert steps["contacted"] == received and steps["accepted"] == accepted
    assert received <= steps["vetting"] <= accepted
    entry = AuditEntry.objects.filter(code=CaseEvent.CASE_OPENED).get()
    assert entry.data["happened"] == received.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_contact_written_up_the_next_morning_keeps_the_night(cast):
    night = timezone.now() - timedelta(hours=9)
    contact = _call(cast, received=night)
    assert Contact.objects.get(pk=contact.pk).received == night
    entry = AuditEntry.objects.filter(code=IntakeEvent.CONTACT_RECORDED).get()
    assert entry.data["happened"] == night.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry.ts_us > int(night.timestamp() * 1_000_000) + 8 * 3600 * 1_000_000
    with pytest.raises(ValidationError):
        _call(cast, received=timezone.now() + timedelta(days=1))


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_opening_at_once_make_one_case(cast):
    import contextvars
    import threading

    from django.db import connection

    contact = _call(cast)
    vetting_record(actor=cast.operator, contact=contact, item="referee", outcome="passed")
    barrier = threading.Barrier(2)
    outcomes: list = []

    def open_it(actor):
        try:
            barrier.wait()
            fresh = Contact.objects.select_related("data_key").get(pk=contact.pk)
            outcomes.append(contact_open_case(actor=actor, contact=fresh, name="Адам").code)
        except ValidationError as exc:
            outcomes.append(exc)
        except Exception as exc:  # noqa: BLE001 - SQLite refuses the second writer outright
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(open_it, actor))
               for actor in (cast.coordinator, cast.coordinator2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Case.objects.count() == 1
    assert len([o for o in outcomes if isinstance(o, str)]) == 1
    assert Contact.objects.get(pk=contact.pk).case.code in outcomes
