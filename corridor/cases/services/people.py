"""Writes for people, their identifiers and relatives, and households."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import (
    Case,
    CodeCounter,
    Document,
    Household,
    Person,
    PersonIdentifier,
    Relative,
)
from corridor.cases.models.people import HouseholdRole
from corridor.cases.services._common import claim_version, clean_text
from corridor.crypto.keys import blind_index, destroy_data_key, new_data_key
from corridor.crypto.models import DataKey
from corridor.crypto.normalize import NotAnIdentifier, normalise

IDENTITY_KEYS = ("name_cyrillic", "name_latin", "aliases", "date_of_birth", "gender_identity",
                 "languages", "health")


def _prefix(organisation, model) -> str:
    return f"{organisation.code_prefix}H" if model is Household else organisation.code_prefix


def _highest_existing(organisation, model) -> int:
    # Only when the counter row is first made: codes compare as numbers, not as
    # strings ("K-9999" < "K-10000").
    prefix = _prefix(organisation, model) + "-"
    highest = 0
    for code in model.objects.filter(organisation=organisation, code__startswith=prefix).values_list("code", flat=True):
        tail = code[len(prefix):]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return highest


def next_code(organisation, model=Person, width: int = 4) -> str:
    """The next pseudonym code, e.g. K-0413 (people) or KH-0031 (households).
    Must run inside the transaction that uses the code."""
    kind = model._meta.model_name
    counter = CodeCounter.objects.select_for_update().filter(organisation=organisation, kind=kind).first()
    if counter is None:
        # The organisation's first code: two transactions may both find no row
        # (there is nothing to lock yet). Both insert with ON CONFLICT DO NOTHING;
        # the loser waits for the winner's row and then locks it like any later
        # caller, instead of failing on code_counter_unique.
        CodeCounter.objects.bulk_create(
            [CodeCounter(organisation=organisation, kind=kind, last=_highest_existing(organisation, model))],
            ignore_conflicts=True,
        )
        counter = CodeCounter.objects.select_for_update().get(organisation=organisation, kind=kind)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{_prefix(organisation, model)}-{counter.last:0{width}d}"


def clean_identity(identity: dict) -> dict:
    """Keep the known keys; names are what a worker searches by, so trim them."""
    out: dict = {}
    for key in IDENTITY_KEYS:
        value = identity.get(key)
        if isinstance(value, str):
            value = value.strip()
        if key in ("aliases", "languages"):
            if isinstance(value, str):
                value = [v.strip() for v in re.split(r"[,;\n]", value) if v.strip()]
            value = list(value or [])
        out[key] = value if value is not None else ("" if key not in ("aliases", "languages") else [])
    return out


def _phone_index(phone: str) -> bytes:
    try:
        return blind_index("phone", phone)
    except NotAnIdentifier:
        raise ValidationError({"phone": _("This does not look like a phone number.")}) from None


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
            person.phone_index = _phone_index(phone)
        person.save(force_insert=True)
        record(CaseEvent.PERSON_CREATED, actor=actor, organisation=organisation, obj=person)
    return person


def person_update(*, actor, person: Person, identity: dict | None = None, phone: str | None = None,
                  notes: str | None = None, risk: int | None = None,
                  expected_version: int | None = None) -> Person:
    changed: list[str] = []
    with transaction.atomic():
        claim_version(Person, person, expected_version)
        if identity is not None:
            person.identity = clean_identity(identity)
            changed.append("identity")
        if phone is not None:
            phone = phone.strip()
            person.phone = phone
            person.phone_index = _phone_index(phone) if phone else None
            changed += ["phone", "phone_index"]
        if notes is not None:
            person.notes = clean_text(notes)
            changed.append("notes")
        if risk is not None:
            if not 1 <= int(risk) <= 5:
                raise ValidationError({"risk": _("Risk is from 1 (low) to 5 (extreme).")})
            person.risk = int(risk)
            changed.append("risk")
        person.save(update_fields=changed or None)
        record(CaseEvent.PERSON_UPDATED, actor=actor, organisation=str(person.organisation_id), obj=person,
               fields=sorted(set(changed) - {"phone_index"}))
    return person


def identifier_add(*, actor, person: Person, kind: str, value: str, label: str = "") -> PersonIdentifier:
    if kind not in PersonIdentifier.Kind.values:
        raise ValidationError({"kind": _("Choose a phone or a messenger handle.")})
    value = (value or "").strip()
    try:
        normalised = normalise(kind, value)
        index = blind_index(kind, value)
    except NotAnIdentifier:
        message = _("This does not look like a phone number.") if kind == "phone" else _(
            "This does not look like a messenger handle.")
        raise ValidationError({"value": message}) from None
    field = "phone_index" if kind == "phone" else "handle_index"
    with transaction.atomic():
        if PersonIdentifier.objects.filter(person=person, **{field: index}).exists():
            raise ValidationError({"value": _("This is already recorded for this person.")})
        ident = PersonIdentifier(person=person, kind=kind, label=clean_text(label, limit=40))
        ident.value = normalised
        setattr(ident, field, index)
        ident.save(force_insert=True)
        record(CaseEvent.IDENTIFIER_ADDED, actor=actor, organisation=str(person.organisation_id), obj=person,
               kind=kind)
    return ident


def identifier_remove(*, actor, identifier: PersonIdentifier) -> None:
    with transaction.atomic():
        person = identifier.person
        identifier.delete()
        record(CaseEvent.IDENTIFIER_REMOVED, actor=actor, organisation=str(person.organisation_id), obj=person,
               kind=identifier.kind)


def relative_add(*, actor, person: Person, relation: str, danger: str, details: str = "") -> Relative:
    if relation not in Relative.Relation.values:
        raise ValidationError({"relation": _("Choose how they are related.")})
    if danger not in Relative.Danger.values:
        raise ValidationError({"danger": _("Choose whether this relative is a danger.")})
    with transaction.atomic():
        rel = Relative(person=person, relation=relation, danger=danger)
        rel.details = clean_text(details)
        rel.save(force_insert=True)
        record(CaseEvent.RELATIVE_ADDED, actor=actor, organisation=str(person.organisation_id), obj=person,
               relation=relation, danger=danger)
    return rel


def person_set_wanted(*, actor, person: Person, wanted: bool, note: str = "") -> Person:
    with transaction.atomic():
        person.wanted = bool(wanted)
        person.wanted_note = clean_text(note)
        person.save(update_fields=["wanted", "wanted_note"])
        record(CaseEvent.PERSON_WANTED_FLAG, actor=actor, organisation=str(person.organisation_id), obj=person,
               wanted=person.wanted)
    return person


def household_create(*, actor, head: Person) -> Household:
    """A household around `head` (the main applicant); members join later."""
    with transaction.atomic():
        if head.household_id:
            raise ValidationError(_("This person already belongs to a household."))
        household = Household.objects.create(organisation=head.organisation,
                                             code=next_code(head.organisation, Household))
        head.household = household
        head.household_role = HouseholdRole.HEAD
        head.save(update_fields=["household", "household_role"])
        Case.objects.filter(person=head).update(household=household)
        record(CaseEvent.HOUSEHOLD_CREATED, actor=actor, organisation=head.organisation, obj=household,
               head=head.code)
    return household


def household_add_member(*, actor, household: Household, identity: dict, role: str, phone: str = "",
                         worker=None) -> Case:
    """A new person who travels with the household, with a case of their own (each
    member needs their own documents and visa), assigned to the same worker."""
    from corridor.cases.services.cases import case_open

    if role not in HouseholdRole.values or role == HouseholdRole.HEAD:
        raise ValidationError({"role": _("Choose how this person belongs to the household.")})
    with transaction.atomic():
        person = person_create(actor=actor, organisation=household.organisation, identity=clean_identity(identity),
                               phone=phone, household=household, household_role=role)
        case = case_open(actor=actor, person=person, worker=worker, household=household)
        record(CaseEvent.HOUSEHOLD_MEMBER_ADDED, actor=actor, organisation=household.organisation, obj=household,
               member=person.code, role=role)
    return case


def person_erase(*, actor, person: Person) -> None:
    """Cryptographic erasure: destroy the data key; every encrypted value of this
    person (identity, phones, notes, case summaries, reasons) becomes unreadable."""
    with transaction.atomic():
        destroy_data_key(person.data_key)
        Person.objects.filter(pk=person.pk).update(erased=timezone.now(), phone_index=None)
        # Blind indexes would still let a guessed number be confirmed; they go too.
        PersonIdentifier.objects.filter(person=person).update(phone_index=None, handle_index=None)
        Document.objects.filter(person=person).update(number_index=None)
        record(CaseEvent.PERSON_ERASED, actor=actor, organisation=person.organisation, obj=person)
