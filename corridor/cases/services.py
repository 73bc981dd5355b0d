"""Writes for people and cases. Each is atomic and records its audit entry."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Person, Stage, StageChange
from corridor.crypto.keys import blind_index, destroy_data_key, new_data_key
from corridor.crypto.models import DataKey


def next_code(organisation, model=Person, width: int = 4) -> str:
    prefix = organisation.code_prefix
    last = model.objects.filter(organisation=organisation, code__startswith=f"{prefix}-").aggregate(m=Max("code"))["m"]
    number = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}-{number:0{width}d}"


def person_create(*, actor, organisation, identity: dict, phone: str = "", notes: str = "",
                  household=None, household_role: str = "", risk: int = 1) -> Person:
    with transaction.atomic():
        dk = new_data_key(scope=DataKey.Scope.PERSON, organisation=organisation)
        person = Person(
            organisation=organisation, code=next_code(organisation), data_key=dk, household=household,
            household_role=household_role, risk=risk,
        )
        person.identity = identity
        person.notes = notes
        if phone:
            person.phone = phone
            person.phone_index = blind_index("phone", phone)
        person.save(force_insert=True)
        record(CaseEvent.PERSON_CREATED, actor=actor, organisation=organisation, obj=person)
    return person


def case_open(*, actor, person: Person, summary: str = "", worker=None, household=None) -> Case:
    with transaction.atomic():
        case = Case(
            organisation=person.organisation, code=person.code, person=person, worker=worker,
            household=household or person.household, stage=Stage.CONTACTED,
        )
        case.summary = summary
        case.save(force_insert=True)
        change = StageChange(case=case, from_stage="", to_stage=Stage.CONTACTED, actor=actor)
        change.reason = ""
        change.save(force_insert=True)
        record(CaseEvent.CASE_OPENED, actor=actor, organisation=person.organisation, obj=case)
    return case


def person_erase(*, actor, person: Person) -> None:
    """Cryptographic erasure: destroy the data key; every encrypted value of this
    person (identity, phones, notes, case summaries, reasons) becomes unreadable."""
    with transaction.atomic():
        destroy_data_key(person.data_key)
        Person.objects.filter(pk=person.pk).update(erased=timezone.now(), phone_index=None)
        record(CaseEvent.PERSON_ERASED, actor=actor, organisation=person.organisation, obj=person)
