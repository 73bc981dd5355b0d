"""Referral of a case (with its household) to another organisation of the network.

On acceptance every record under each person's data key is re-encrypted under
fresh key material whose wrap is bound to the receiving organisation, the people
get the receiver's pseudonym codes, and the sending organisation loses access:
its staff get 404, and ciphertexts it may have copied no longer open.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.cases import summaries
from corridor.cases.events import CaseEvent
from corridor.cases.models import (
    EXITS,
    Alert,
    Application,
    Case,
    CheckIn,
    Document,
    Household,
    Note,
    Person,
    PersonIdentifier,
    Referral,
    Relative,
    Service,
    StageChange,
)
from corridor.cases.services._common import clean_text
from corridor.cases.services.people import next_code
from corridor.crypto.keys import new_data_key, rekey
from corridor.crypto.models import DataKey


def _household_cases(case: Case) -> list[Case]:
    if not case.household_id:
        return [case]
    members = list(Case.objects.filter(household_id=case.household_id, organisation_id=case.organisation_id)
                   .select_related("person__data_key").order_by("opened"))
    return sorted(members, key=lambda c: c.pk != case.pk)  # the referred case first


def referral_create(*, actor, case: Case, to_org: Organisation, consent: str, consent_at: date,
                    note: str = "") -> Referral:
    if not actor.can(Perm.CASE_REFER) or actor.organisation_id != case.organisation_id:
        raise ValidationError(_("Only a coordinator of this organisation can refer the case."))
    if to_org.pk == case.organisation_id:
        raise ValidationError({"to_org": _("Choose another organisation.")})
    if consent not in Referral.Consent.values:
        raise ValidationError({"consent": _("Record how the person agreed to the referral: without consent it cannot go.")})
    if consent_at is None or consent_at > timezone.localdate():
        raise ValidationError({"consent_at": _("When did the person agree? The date cannot be in the future.")})
    if case.stage in EXITS:
        raise ValidationError(_("A closed case cannot be referred; reopen it first."))
    with transaction.atomic():
        if Referral.objects.filter(case=case, status=Referral.Status.PENDING).exists():
            raise ValidationError(_("This case already waits for another organisation's answer."))
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=to_org)
        referral = Referral(case=case, from_org_id=case.organisation_id, to_org=to_org, from_code=case.code,
                            stage=case.stage, members=len(_household_cases(case)), consent=consent,
                            consent_at=consent_at, data_key=dk, created_by=actor)
        referral.note = clean_text(note)
        referral.save(force_insert=True)
        record(CaseEvent.REFERRAL_CREATED, actor=actor, organisation=str(case.organisation_id), obj=case,
               referral=str(referral.pk), to_org=str(to_org.pk), consent=consent)
        record(CaseEvent.REFERRAL_CREATED, actor=actor, organisation=str(to_org.pk), obj=referral,
               from_org=str(case.organisation_id))
    return referral


def _check_receiver(actor, referral: Referral) -> None:
    if not actor.can(Perm.CASE_REFER) or actor.organisation_id != referral.to_org_id:
        raise ValidationError(_("Only a coordinator of the receiving organisation can decide."))
    if referral.status != Referral.Status.PENDING:
        raise ValidationError(_("This referral was already decided."))


def _records_under_key(person: Person, case: Case) -> list:
    """Every row whose encrypted fields use this person's data key, all pointing at
    the same key object (rekey bumps its version in place, and each row's
    associated data must name the new version)."""
    objects: list = [person, case]
    for model in (PersonIdentifier, Relative, Document):
        for obj in model.objects.filter(person=person):
            obj.person = person
            objects.append(obj)
    for model in (StageChange, Note, CheckIn, Service, Application):
        for obj in model.objects.filter(case=case):
            obj.case = case
            objects.append(obj)
    return objects


def referral_accept(*, actor, referral: Referral) -> Case:
    """Move the case and its household to the receiving organisation, in one transaction."""
    _check_receiver(actor, referral)
    to_org = referral.to_org
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status != Referral.Status.PENDING:
            raise ValidationError(_("This referral was already decided."))
        case = Case.objects.select_related("person__data_key", "household").get(pk=referral.case_id)
        members = _household_cases(case)
        new_household = None
        if case.household_id:
            new_household = Household.objects.create(organisation=to_org, code=next_code(to_org, Household))
        moved: list[tuple[str, str]] = []
        for member in members:
            person = member.person
            old_code = member.code
            new_code = next_code(to_org)
            rekey(person.data_key, objects=_records_under_key(person, member), organisation=to_org)
            locked_case = Case.objects.select_for_update().only(
                "organisation", "stage", "reached", "stage_since", "worker").get(pk=member.pk)
            counted = summaries.snapshot(locked_case)
            summaries.applications_moved([member.pk], from_org=member.organisation_id, to_org=to_org.pk)
            Person.objects.filter(pk=person.pk).update(organisation=to_org, code=new_code, household=new_household)
            Case.objects.filter(pk=member.pk).update(organisation=to_org, code=new_code, household=new_household,
                                                     worker=None, version=member.version + 1)
            # The sending organisation's embassy contacts stay with it.
            Application.objects.filter(case=member).update(embassy=None)
            Alert.objects.filter(case=member).update(organisation=to_org)
            locked_case.organisation_id, locked_case.worker_id = to_org.pk, None
            summaries.case_changed(counted, locked_case)
            record(CaseEvent.CASE_TRANSFERRED_OUT, actor=actor, organisation=str(referral.from_org_id),
                   object_type="cases.case", object_id=old_code, referral=str(referral.pk))
            record(CaseEvent.CASE_TRANSFERRED_IN, actor=actor, organisation=str(to_org.pk),
                   object_type="cases.case", object_id=new_code, referral=str(referral.pk))
            moved.append((old_code, new_code))
        locked.status = Referral.Status.ACCEPTED
        locked.to_code = moved[0][1]
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "to_code", "decided_by", "decided_at"])
        for org_id in (referral.from_org_id, to_org.pk):
            record(CaseEvent.REFERRAL_ACCEPTED, actor=actor, organisation=str(org_id), obj=locked,
                   members=len(moved))
    referral.refresh_from_db()
    return Case.objects.get(pk=referral.case_id)


def referral_decline(*, actor, referral: Referral, reason: str) -> Referral:
    _check_receiver(actor, referral)
    reason = clean_text(reason, limit=2000)
    if not reason:
        raise ValidationError({"reason": _("Say why, so the other organisation can find another way.")})
    with transaction.atomic():
        referral.status = Referral.Status.DECLINED
        referral.decline_reason = reason
        referral.decided_by = actor
        referral.decided_at = timezone.now()
        referral.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
        for org_id in (referral.from_org_id, referral.to_org_id):
            record(CaseEvent.REFERRAL_DECLINED, actor=actor, organisation=str(org_id), obj=referral)
    return referral


def referral_withdraw(*, actor, referral: Referral) -> Referral:
    if not actor.can(Perm.CASE_REFER) or actor.organisation_id != referral.from_org_id:
        raise ValidationError(_("Only a coordinator of the sending organisation can withdraw it."))
    if referral.status != Referral.Status.PENDING:
        raise ValidationError(_("This referral was already decided."))
    with transaction.atomic():
        referral.status = Referral.Status.WITHDRAWN
        referral.decided_by = actor
        referral.decided_at = timezone.now()
        referral.save(update_fields=["status", "decided_by", "decided_at"])
        for org_id in (referral.from_org_id, referral.to_org_id):
            record(CaseEvent.REFERRAL_WITHDRAWN, actor=actor, organisation=str(org_id), obj=referral)
    return referral

