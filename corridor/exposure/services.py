"""Writes of the exposure app: identifiers, list imports with matching, provocateurs,
alerts. Each is atomic and records its audit entry in the same transaction.

Matching runs on blind indexes only: the list's identifiers are normalised, indexed
by the key agent in one round trip per kind, and looked up with indexed `IN` queries
in as few statements as the database allows.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
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

RISK_EXPOSED = 4
RISK_MAX = 5

IDENTIFIER_ERRORS = {
    "phone": _("This is not a phone number we can read."),
    "handle": _("This is not a messenger handle (one word, with or without @)."),
    "email": _("This is not an e-mail address."),
    "passport": _("A passport number has only letters and digits."),
}


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


def _param_limit() -> int:
    """How many blind indexes one statement may carry on this database."""
    if connection.vendor != "sqlite":
        return 50_000  # passed as one array parameter (= ANY), not one parameter each
    connection.ensure_connection()
    try:
        import sqlite3

        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except (AttributeError, ImportError):  # Python without getlimit: SQLite's old default
        limit = 999
    return max(100, min(limit, 32_766) - 10)


def _rows_matching(sql: str, params: list, indexes: list[bytes]):
    """Run `sql`, whose `{match}` stands for `<column> IN (indexes)`, in as few
    statements as the database allows (one, for a seized list of 5,000 on SQLite 3.32+
    or PostgreSQL). Raw SQL because building 5,000 ORM parameters costs more than the
    indexed lookup itself (BENCHMARKS.md, exposure)."""
    size = _param_limit() - len(params)
    with connection.cursor() as cursor:
        for start in range(0, len(indexes), size):
            batch = indexes[start:start + size]
            if connection.vendor == "sqlite":
                match = "IN (" + ",".join(["%s"] * len(batch)) + ")"
                cursor.execute(sql.format(match=match), [*params, *batch])
            else:
                cursor.execute(sql.format(match="= ANY(%s)"), [*params, batch])
            yield from cursor.fetchall()


def find(organisation, indexes: list[tuple[str, bytes]], *, seized: bool = False) -> Hits:
    hits = Hits()
    by_kind: dict[str, list[bytes]] = defaultdict(list)
    for kind, index in indexes:
        by_kind[kind].append(index)
    everything = list(dict.fromkeys(index for _, index in indexes))
    kind_of = {index: kind for kind, index in indexes}
    org = organisation.pk if hasattr(organisation, "pk") else organisation
    org_param = Identifier._meta.get_field("organisation").get_db_prep_value(org, connection)
    person_model = apps.get_model("cases", "Person")
    person = _sql_names(person_model)
    phones = by_kind.get("phone", [])
    if phones:
        sql = (f'SELECT {person["id"]}, {person["phone_index"]} FROM {person[""]} WHERE {person["organisation"]} = %s'  # noqa: S608 (quoted model names only)
               f' AND {person["erased"]} IS NULL AND {person["phone_index"]} {{match}}')
        for pid, index in _rows_matching(sql, [org_param], phones):
            hits.people.setdefault(_uuid(pid), kind_of.get(bytes(index), "phone"))
    _person_identifiers(org_param, person, by_kind, hits)
    if everything:
        ident, contact = _sql_names(Identifier), _sql_names(apps.get_model("intake", "Contact"))
        sql = (f'SELECT i.{ident["person"]}, i.{ident["contact"]}, c.{contact["erased"]}, i.{ident["kind"]}'  # noqa: S608 (quoted model names only)
               f' FROM {ident[""]} i LEFT JOIN {contact[""]} c ON c.{contact["id"]} = i.{ident["contact"]}'
               f' WHERE i.{ident["organisation"]} = %s AND i.{ident["index"]} {{match}}')
        for person_id, contact_id, contact_erased, kind in _rows_matching(sql, [org_param], everything):
            if person_id:
                hits.people.setdefault(_uuid(person_id), kind)
            elif contact_id and contact_erased is None:
                hits.contacts.setdefault(_uuid(contact_id), kind)
        prov = _sql_names(Provocateur)
        sql = f'SELECT {prov["id"]} FROM {prov[""]} WHERE {prov["organisation"]} = %s AND {prov["index"]} {{match}}'  # noqa: S608 (quoted model names only)
        found = [_uuid(pk) for (pk,) in _rows_matching(sql, [org_param], everything)]
        if found:
            hits.provocateurs = [(p, p.kind) for p in Provocateur.objects.filter(pk__in=found)]
        if seized:
            si = _sql_names(SeizedIndex)
            sql = (f'SELECT DISTINCT {si["source"]} FROM {si[""]} WHERE {si["organisation"]} = %s'  # noqa: S608 (quoted model names only)
                   f' AND {si["index"]} {{match}}')
            hits.seized = [_uuid(pk) for (pk,) in _rows_matching(sql, [org_param], everything)]
    hits.seized = sorted(set(hits.seized), key=str)
    return hits


def _sql_names(model) -> dict[str, str]:
    """Quoted table ("") and column names of a model, so the raw lookups follow renames."""
    quote = connection.ops.quote_name
    names = {"": quote(model._meta.db_table)}
    for f in model._meta.concrete_fields:
        names[f.name] = quote(f.column)
    return names


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _person_identifiers(org_param, person: dict[str, str], by_kind: dict[str, list[bytes]], hits: Hits) -> None:
    """Further phones and handles kept by the cases app, if it has them."""
    try:
        model = apps.get_model("cases", "PersonIdentifier")
    except LookupError:
        return
    pi = _sql_names(model)
    for kind, column in (("phone", "phone_index"), ("handle", "handle_index")):
        if column not in pi or not by_kind.get(kind):
            continue
        sql = (f'SELECT pi.{pi["person"]} FROM {pi[""]} pi JOIN {person[""]} p ON p.{person["id"]} = pi.{pi["person"]}'  # noqa: S608 (quoted model names only)
               f' WHERE p.{person["organisation"]} = %s AND p.{person["erased"]} IS NULL AND pi.{pi[column]} {{match}}')
        for (pid,) in _rows_matching(sql, [org_param], by_kind[kind]):
            hits.people.setdefault(_uuid(pid), kind)


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
