"""Writes of the exposure app: identifiers, list imports with matching, provocateurs,
alerts. Each is atomic and records its audit entry in the same transaction.

Matching runs on blind indexes only: the list's identifiers are normalised, indexed
by the key agent in one round trip per kind, and looked up with indexed `IN` queries
in batches (SQLite allows at most 999 parameters a query).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import User
from corridor.accounts.permissions import MATRIX, Perm, Role
from corridor.audit.services import record
from corridor.crypto.keys import blind_indexes, new_data_key
from corridor.crypto.models import DataKey
from corridor.crypto.normalize import NotAnIdentifier, normalise
from corridor.exposure import parsing
from corridor.exposure.events import ExposureEvent
from corridor.exposure.models import (
    ExposureAlert,
    ExposureImport,
    ExposureMatch,
    Identifier,
    Kind,
    Provocateur,
    Purpose,
    SeizedIndex,
)

BATCH = 900
RISK_EXPOSED = 4
RISK_MAX = 5

IDENTIFIER_ERRORS = {
    "phone": _("This is not a phone number we can read."),
    "handle": _("This is not a messenger handle (one word, with or without @)."),
    "email": _("This is not an e-mail address."),
    "passport": _("A passport number has only letters and digits."),
}


def _batches(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def normalise_identifier(kind: str, raw: str) -> str:
    if kind not in Kind.values:
        raise ValidationError(_("Unknown kind of identifier."), code="kind")
    try:
        return normalise(kind, raw)
    except NotAnIdentifier:
        raise ValidationError(IDENTIFIER_ERRORS[kind], code="identifier") from None


def index_pairs(values: dict[str, list[str]]) -> dict[tuple[str, str], bytes]:
    """(kind, normalised value) → blind index; one agent round trip per kind."""
    out: dict[tuple[str, str], bytes] = {}
    for kind, items in values.items():
        if items:
            for value, index in zip(items, blind_indexes(kind, items, normalised=True), strict=True):
                out[(kind, value)] = index
    return out


# --- finding our people ---------------------------------------------------------------
@dataclass
class Hits:
    people: dict = field(default_factory=dict)  # person id -> identifier kind
    contacts: dict = field(default_factory=dict)  # contact id -> kind
    provocateurs: list = field(default_factory=list)  # [(Provocateur, kind)]
    seized: list = field(default_factory=list)  # ExposureImport ids the identifiers were in


def find(organisation, indexes: list[tuple[str, bytes]], *, seized: bool = False) -> Hits:
    hits = Hits()
    by_kind: dict[str, list[bytes]] = defaultdict(list)
    for kind, index in indexes:
        by_kind[kind].append(index)
    everything = [index for _, index in indexes]
    kind_of = {index: kind for kind, index in indexes}
    person_model = apps.get_model("cases", "Person")
    for batch in _batches(by_kind.get("phone", [])):
        for pid, index in person_model.objects.filter(
            organisation=organisation, erased__isnull=True, phone_index__in=batch
        ).values_list("id", "phone_index"):
            hits.people.setdefault(pid, kind_of.get(bytes(index), "phone"))
    _person_identifiers(organisation, by_kind, hits)
    for batch in _batches(everything):
        rows = Identifier.objects.filter(organisation=organisation, index__in=batch).values_list(
            "person_id", "contact_id", "contact__erased", "kind")
        for person_id, contact_id, contact_erased, kind in rows:
            if person_id:
                hits.people.setdefault(person_id, kind)
            elif contact_id and contact_erased is None:
                hits.contacts.setdefault(contact_id, kind)
        for prov in Provocateur.objects.filter(organisation=organisation, index__in=batch):
            hits.provocateurs.append((prov, prov.kind))
        if seized:
            hits.seized.extend(SeizedIndex.objects.filter(organisation=organisation, index__in=batch)
                               .values_list("source_id", flat=True).distinct())
    hits.seized = sorted(set(hits.seized), key=str)
    return hits


def _person_identifiers(organisation, by_kind: dict[str, list[bytes]], hits: Hits) -> None:
    """Further phones and handles kept by the cases app, if it has them."""
    try:
        model = apps.get_model("cases", "PersonIdentifier")
    except LookupError:
        return
    for kind, column in (("phone", "phone_index"), ("handle", "handle_index")):
        if not any(f.name == column for f in model._meta.fields):
            continue
        for batch in _batches(by_kind.get(kind, [])):
            for pid in model.objects.filter(
                person__organisation=organisation, person__erased__isnull=True, **{f"{column}__in": batch}
            ).values_list("person_id", flat=True):
                hits.people.setdefault(pid, kind)


# --- identifiers --------------------------------------------------------------------------
def identifier_add(*, actor, organisation, kind: str, raw: str, data_key: DataKey, contact=None,
                   person=None) -> Identifier:
    value = normalise_identifier(kind, raw)
    (index,) = blind_indexes(kind, [value], normalised=True)
    with transaction.atomic():
        ident = Identifier(organisation=organisation, kind=kind, index=index, data_key=data_key,
                           contact=contact, person=person)
        ident.value = value
        ident.save(force_insert=True)
        record(ExposureEvent.IDENTIFIER_ADDED, actor=actor, organisation=organisation, obj=ident, kind=kind,
               owner=str(contact.pk) if contact is not None else getattr(person, "code", ""))
    return ident


# --- provocateurs -------------------------------------------------------------------------
def provocateur_add(*, actor, organisation, kind: str, raw: str, note: str = "") -> Provocateur:
    value = normalise_identifier(kind, raw)
    (index,) = blind_indexes(kind, [value], normalised=True)
    with transaction.atomic():
        if Provocateur.objects.filter(organisation=organisation, index=index).exists():
            raise ValidationError(_("This identifier is already on the list."), code="duplicate")
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation)
        prov = Provocateur(organisation=organisation, kind=kind, index=index, data_key=dk, added_by=actor)
        prov.value = value
        prov.note = note
        prov.save(force_insert=True)
        record(ExposureEvent.PROVOCATEUR_ADDED, actor=actor, organisation=organisation, obj=prov, kind=kind)
    return prov


def provocateur_remove(*, actor, provocateur: Provocateur) -> None:
    with transaction.atomic():
        record(ExposureEvent.PROVOCATEUR_REMOVED, actor=actor, organisation=str(provocateur.organisation_id),
               obj=provocateur)
        provocateur.delete()


# --- list import ----------------------------------------------------------------------------
def list_import(*, actor, organisation, data: bytes | str, filename: str = "", purpose: str,
                label: str = "") -> ExposureImport:
    """Parse, index and match a contact list; raises parsing.ListError if the file
    cannot be read at all. The plaintext never leaves this function's memory."""
    if purpose not in Purpose.values:
        raise ValidationError(_("Choose what this list is."), code="purpose")
    started = time.perf_counter()
    parsed = parsing.parse(data, filename)
    unique = parsed.unique()
    values: dict[str, list[str]] = defaultdict(list)
    for kind, value in unique:
        values[kind].append(value)
    indexed = index_pairs(values)
    pairs = [(kind, indexed[(kind, value)]) for kind, value in unique]
    hits = find(organisation, pairs)
    with transaction.atomic():
        imp = ExposureImport(
            organisation=organisation, actor=actor if isinstance(actor, User) else None, purpose=purpose,
            fmt=parsed.fmt, data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation),
            lines=parsed.lines, entries=len(parsed.entries), unique=len(unique), failed=parsed.failed,
            failures=[list(f) for f in parsed.failures], matched_people=len(hits.people),
            matched_contacts=len(hits.contacts), matched_provocateurs=len(hits.provocateurs),
        )
        imp.label = label
        imp.save(force_insert=True)
        if purpose == Purpose.SEIZED:
            SeizedIndex.objects.bulk_create(
                [SeizedIndex(source=imp, organisation=organisation, kind=k, index=i) for k, i in pairs],
                batch_size=2000)
        if purpose == Purpose.PROVOCATEURS:
            _add_provocateurs(actor, imp, unique, indexed, {p.index for p, _ in hits.provocateurs})
        _record_matches(actor, imp, hits, raise_risk=purpose == Purpose.SEIZED)
        imp.duration_ms = int((time.perf_counter() - started) * 1000)
        imp.save(update_fields=["duration_ms"])
        record(ExposureEvent.LIST_IMPORTED, actor=actor, organisation=organisation, obj=imp, purpose=purpose,
               fmt=parsed.fmt, lines=parsed.lines, unique=len(unique), failed=parsed.failed,
               people=len(hits.people), contacts=len(hits.contacts), provocateurs=len(hits.provocateurs))
    return imp


def _add_provocateurs(actor, imp: ExposureImport, unique, indexed, known: set[bytes]) -> None:
    rows = []
    for kind, value in unique:
        index = indexed[(kind, value)]
        if index in known:
            continue
        known.add(index)
        prov = Provocateur(organisation=imp.organisation, kind=kind, index=index, data_key=imp.data_key,
                           added_by=actor if isinstance(actor, User) else None)
        prov.value = value  # sealed by the field's pre_save during bulk_create
        prov.note = ""
        rows.append(prov)
    Provocateur.objects.bulk_create(rows, batch_size=1000)
    record(ExposureEvent.PROVOCATEURS_IMPORTED, actor=actor, organisation=imp.organisation, obj=imp, added=len(rows))


def _roles_with(perm: Perm) -> list[str]:
    return [role for role, perms in MATRIX.items() if perm in perms]


def _record_matches(actor, imp: ExposureImport, hits: Hits, *, raise_risk: bool) -> None:
    org = imp.organisation
    person_model = apps.get_model("cases", "Person")
    case_model = apps.get_model("cases", "Case")
    matches: list[ExposureMatch] = []
    people = list(person_model.objects.filter(pk__in=list(hits.people)))
    for person in people:
        before = person.risk
        after = min(RISK_MAX, max(before + 1, RISK_EXPOSED)) if raise_risk else before
        person.risk = after
        matches.append(ExposureMatch(source=imp, organisation=org, target=ExposureMatch.Target.PERSON,
                                     kind=hits.people[person.pk], person=person, risk_before=before,
                                     risk_after=after))
    if raise_risk and people:
        person_model.objects.bulk_update(people, ["risk"])
    contact_ids = list(hits.contacts)
    for cid in contact_ids:
        matches.append(ExposureMatch(source=imp, organisation=org, target=ExposureMatch.Target.CONTACT,
                                     kind=hits.contacts[cid], contact_id=cid))
    for prov, kind in hits.provocateurs:
        matches.append(ExposureMatch(source=imp, organisation=org, target=ExposureMatch.Target.PROVOCATEUR,
                                     kind=kind, provocateur=prov))
    ExposureMatch.objects.bulk_create(matches)
    if hits.provocateurs:
        record(ExposureEvent.PROVOCATEUR_MATCHED, actor=actor, organisation=org, obj=imp,
               count=len(hits.provocateurs))
    if not raise_risk:
        return
    if contact_ids:
        from corridor.intake.models import Contact

        Contact.objects.filter(pk__in=contact_ids).update(flag_exposed=True, last_activity=timezone.now())
    workers: dict = defaultdict(set)
    for person_id, worker_id in case_model.objects.filter(
        person_id__in=list(hits.people), closed__isnull=True, worker__isnull=False
    ).values_list("person_id", "worker_id"):
        workers[person_id].add(worker_id)
    active = User.objects.filter(organisation=org, is_active=True)
    coordinators = list(active.filter(role=Role.COORDINATOR).values_list("id", flat=True))
    triage = list(active.filter(role__in=_roles_with(Perm.TRIAGE)).values_list("id", flat=True))
    alerts = []
    for match in matches:
        if match.target == ExposureMatch.Target.PERSON:
            recipients = workers.get(match.person_id) or coordinators
            record(ExposureEvent.PERSON_EXPOSED, actor=actor, organisation=org, obj=match.person,
                   source=str(imp.pk), kind=match.kind, risk=match.risk_after)
        elif match.target == ExposureMatch.Target.CONTACT:
            recipients = triage
            record(ExposureEvent.CONTACT_EXPOSED, actor=actor, organisation=org, object_type="intake.contact",
                   object_id=str(match.contact_id), source=str(imp.pk), kind=match.kind)
        else:
            continue
        alerts += [ExposureAlert(organisation=org, recipient_id=uid, match=match) for uid in set(recipients)]
    ExposureAlert.objects.bulk_create(alerts)


def alert_acknowledge(*, actor, alert: ExposureAlert) -> None:
    with transaction.atomic():
        ExposureAlert.objects.filter(pk=alert.pk, acknowledged__isnull=True).update(acknowledged=timezone.now())
        record(ExposureEvent.ALERT_ACKNOWLEDGED, actor=actor, organisation=str(alert.organisation_id), obj=alert)
