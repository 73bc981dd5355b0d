"""Reads for the evidence app, and one access function per object type.

Every access function raises Http404 for "missing", "another organisation's" and
"your role may not" alike, so a URL reveals nothing about what exists. Views never
query evidence models directly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from corridor.accounts.permissions import Perm
from corridor.audit.models import AuditEntry
from corridor.evidence import consent
from corridor.evidence.events import CUSTODY_CODES
from corridor.evidence.models import (
    Act,
    BundleRequest,
    EvidenceFile,
    Filing,
    Perpetrator,
    Place,
    Source,
    Term,
    Testimony,
    ViolationEvent,
    Wave,
)


def _check(user, perm: Perm) -> None:
    if not user.can(perm):
        raise Http404


def _get(qs: QuerySet, user, pk):
    try:
        return qs.get(pk=pk, organisation_id=user.organisation_id)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _perm(write: bool) -> Perm:
    return Perm.EVIDENCE_EDIT if write else Perm.EVIDENCE_VIEW


def get_testimony_for_user(user, pk, *, write: bool = False) -> Testimony:
    from corridor.cases.selectors import refuse_if_person_locked

    _check(user, _perm(write))
    testimony = _get(Testimony.objects.select_related("data_key", "person", "interviewer"), user, pk)
    # The witness's case is locked after a duress sign-in: so is what they told us.
    refuse_if_person_locked(user, testimony.person_id)
    return testimony


def get_event_for_user(user, pk, *, write: bool = False) -> ViolationEvent:
    _check(user, _perm(write))
    return _get(ViolationEvent.objects.select_related("data_key", "wave", "place__data_key", "place__kind"), user, pk)


def get_act_for_user(user, pk, *, write: bool = False) -> Act:
    _check(user, _perm(write))
    try:
        return Act.objects.select_related("event__data_key", "act_type").get(
            pk=pk, event__organisation_id=user.organisation_id
        )
    except (Act.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_file_for_user(user, pk, *, write: bool = False) -> EvidenceFile:
    _check(user, _perm(write))
    return _get(EvidenceFile.objects.select_related("data_key"), user, pk)


def get_filing_for_user(user, pk, *, write: bool = False) -> Filing:
    _check(user, _perm(write))
    return _get(Filing.objects.select_related("data_key"), user, pk)


def get_bundle_for_user(user, pk) -> BundleRequest:
    """Requesters and approvers both see a request: approving means reading it."""
    if not (user.can(Perm.EVIDENCE_EXPORT) or user.can(Perm.EVIDENCE_APPROVE_EXPORT)):
        raise Http404
    return _get(BundleRequest.objects.select_related("data_key", "requested_by", "decided_by"), user, pk)


# --- lists -------------------------------------------------------------------


def _org(user) -> Q:
    return Q(organisation_id=user.organisation_id)


def testimonies_for(user) -> QuerySet[Testimony]:
    _check(user, Perm.EVIDENCE_VIEW)
    return Testimony.objects.filter(_org(user)).select_related("data_key", "person", "interviewer")


def events_for(user) -> QuerySet[ViolationEvent]:
    _check(user, Perm.EVIDENCE_VIEW)
    return ViolationEvent.objects.filter(_org(user)).select_related(
        "data_key", "wave", "place__data_key", "place__kind"
    )


def files_for(user) -> QuerySet[EvidenceFile]:
    _check(user, Perm.EVIDENCE_VIEW)
    return EvidenceFile.objects.filter(_org(user)).select_related("data_key")


def filings_for(user) -> QuerySet[Filing]:
    _check(user, Perm.EVIDENCE_VIEW)
    return Filing.objects.filter(_org(user)).select_related("data_key")


def places_for(user) -> QuerySet[Place]:
    _check(user, Perm.EVIDENCE_VIEW)
    return Place.objects.filter(_org(user)).select_related("data_key", "kind")


def perpetrators_for(user) -> QuerySet[Perpetrator]:
    _check(user, Perm.EVIDENCE_VIEW)
    return Perpetrator.objects.filter(_org(user)).select_related("data_key", "kind")


def bundles_for(user) -> QuerySet[BundleRequest]:
    if not (user.can(Perm.EVIDENCE_EXPORT) or user.can(Perm.EVIDENCE_APPROVE_EXPORT)):
        raise Http404
    return BundleRequest.objects.filter(_org(user)).select_related("requested_by", "decided_by")


def terms_for(organisation, vocabulary: str) -> QuerySet[Term]:
    """Shipped terms plus the organisation's own."""
    return Term.objects.filter(Q(organisation__isnull=True) | Q(organisation=organisation),
                               vocabulary=vocabulary, active=True)


def all_terms_for(organisation) -> QuerySet[Term]:
    return Term.objects.filter(Q(organisation__isnull=True) | Q(organisation=organisation))


def waves_for(organisation) -> QuerySet[Wave]:
    return Wave.objects.filter(Q(organisation__isnull=True) | Q(organisation=organisation))


def wave_for_date(organisation, day: date | None) -> Wave | None:
    if day is None:
        return None
    return waves_for(organisation).filter(starts__lte=day, ends__gte=day).first()


def people_for(user):
    """People of the organisation a testimony or act may name (by pseudonym only)."""
    from corridor.cases.models import Person

    return Person.objects.filter(organisation_id=user.organisation_id, erased__isnull=True).order_by("code")


# --- sources, independence and consent -----------------------------------------


def _source_rows(event_ids) -> list[dict]:
    return list(
        Source.objects.filter(event_id__in=list(event_ids)).values(
            "event_id", "act_id", "testimony_id", "testimony__person_id", "file_id",
            "testimony__consent_public", "testimony__consent_legal", "testimony__consent_partners",
        )
    )


def _key(row: dict) -> str:
    if row["testimony_id"]:
        person = row["testimony__person_id"]
        return f"person:{person}" if person else f"testimony:{row['testimony_id']}"
    return f"file:{row['file_id']}"


def independent_counts(event_ids) -> tuple[dict, dict]:
    """(per event, per act) numbers of independent sources, in one query.

    Two testimonies of one witness count once; each document counts; an act
    counts its own sources and the event-level ones of its event.
    """
    rows = _source_rows(event_ids)
    per_event: dict = defaultdict(set)
    event_level: dict = defaultdict(set)
    per_act: dict = defaultdict(set)
    for row in rows:
        per_event[row["event_id"]].add(_key(row))
        if row["act_id"]:
            per_act[row["act_id"]].add(_key(row))
        else:
            event_level[row["event_id"]].add(_key(row))
    acts = Act.objects.filter(event_id__in=list(event_ids)).values_list("id", "event_id")
    act_counts = {a: len(per_act[a] | event_level[e]) for a, e in acts}
    return {e: len(keys) for e, keys in per_event.items()}, act_counts


class _Consent:
    __slots__ = ("consent_public", "consent_legal", "consent_partners")

    def __init__(self, row: dict) -> None:
        self.consent_public = row["testimony__consent_public"]
        self.consent_legal = row["testimony__consent_legal"]
        self.consent_partners = row["testimony__consent_partners"] or []


def permitted_acts(event_ids, use: str) -> set:
    """Ids of the acts of these events that may go to `use` (see `consent`)."""
    rows = _source_rows(event_ids)
    own: dict = defaultdict(list)
    event_level: dict = defaultdict(list)
    for row in rows:
        (own[row["act_id"]] if row["act_id"] else event_level[row["event_id"]]).append(row)
    allowed = set()
    for act_id, event_id in Act.objects.filter(event_id__in=list(event_ids)).values_list("id", "event_id"):
        sources = own[act_id] + event_level[event_id]
        testimonies = [_Consent(r) for r in sources if r["testimony_id"]]
        documents = sum(1 for r in sources if r["file_id"])
        if consent.act_permitted(testimonies, documents, use):
            allowed.add(act_id)
    return allowed


def actor_names(principals, organisation_id) -> dict[str, str]:
    """"user:<uuid>" principals of the organisation's staff, as their display names."""
    from corridor.accounts.models import User

    ids = [p.split(":", 1)[1] for p in set(principals) if p.startswith("user:")]
    users = User.objects.filter(pk__in=ids, organisation_id=organisation_id)
    return {u.principal: str(u) for u in users}


def custody_for(file: EvidenceFile) -> QuerySet[AuditEntry]:
    """The file's chain of custody: its entries in the Merkle log, oldest first."""
    return AuditEntry.objects.filter(
        object_type="evidence.evidencefile", object_id=str(file.id), code__in=[int(c) for c in CUSTODY_CODES]
    ).order_by("seq")


# --- deadlines -----------------------------------------------------------------


def deadlines_for(user, today: date, *, horizon_days: int | None = None) -> list[dict]:
    """Every open deadline of the organisation's filings, soonest first: the ECHR
    time limit of applications not yet lodged, and each filing's next deadline."""
    from corridor.evidence.deadlines import echr_months, echr_time_limit, urgency
    from corridor.evidence.models import Body, FilingStatus

    filings = list(filings_for(user).exclude(status__in=[FilingStatus.CLOSED, FilingStatus.DECIDED,
                                                         FilingStatus.REJECTED]))
    rows = []
    for filing in filings:
        if filing.body == Body.ECHR and filing.final_decision_on and not filing.lodged_on:
            limit = echr_time_limit(filing.final_decision_on)
            rows.append({"filing": filing, "date": limit, "kind": "echr", "months": echr_months(filing.final_decision_on)})
        if filing.next_deadline:
            rows.append({"filing": filing, "date": filing.next_deadline, "kind": "next", "months": None})
    if horizon_days is not None:
        rows = [r for r in rows if (r["date"] - today).days <= horizon_days]
    for row in rows:
        row["urgency"] = urgency(row["date"], today)
        row["days_left"] = (row["date"] - today).days
    rows.sort(key=lambda r: r["date"])
    from corridor.crypto.keys import preload

    preload([r["filing"].data_key for r in rows])
    return rows
