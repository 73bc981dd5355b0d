"""Writes for violation events, acts, sources, perpetrators, places and vocabularies."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import (
    Act,
    ActPerpetrator,
    DatePrecision,
    Involvement,
    Perpetrator,
    Place,
    Reliability,
    Source,
    Term,
    ViolationEvent,
    Vocabulary,
    Wave,
)
from corridor.evidence.services.common import EvidenceError, same_org, save_with_code


def _check_term(term: Term, vocabulary: str, organisation) -> None:
    if term.vocabulary != vocabulary or term.organisation_id not in (None, organisation.pk):
        raise EvidenceError(_("Choose a term from the list."))


def _check_dates(starts, starts_precision, ends, ends_precision) -> None:
    for precision in (starts_precision, ends_precision):
        if precision not in DatePrecision.values:
            raise EvidenceError(_("Unknown date precision."))
    if starts and ends and ends < starts:
        raise EvidenceError(_("The end date is before the start date."))


def violation_create(
    *, actor, title: str, description: str = "", starts: date | None = None,
    starts_precision: str = DatePrecision.DAY, ends: date | None = None, ends_precision: str = DatePrecision.DAY,
    place: Place | None = None, wave: Wave | None = None,
) -> ViolationEvent:
    from corridor.evidence.selectors import wave_for_date

    organisation = actor.organisation
    if not title.strip():
        raise EvidenceError(_("Give the event a title."))
    _check_dates(starts, starts_precision, ends, ends_precision)
    same_org(organisation, place)
    if wave is not None and wave.organisation_id not in (None, organisation.pk):
        raise EvidenceError(_("Choose a wave from the list."))
    with transaction.atomic():
        event = ViolationEvent(
            organisation=organisation, starts=starts, starts_precision=starts_precision, ends=ends,
            ends_precision=ends_precision, place=place, wave=wave or wave_for_date(organisation, starts),
            created_by=actor, data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation),
        )
        event.title = title
        event.description = description
        save_with_code(event, "E")
        record(EvidenceEvent.VIOLATION_CREATED, actor=actor, organisation=organisation, obj=event,
               wave=str(event.wave_id or ""))
    return event


def violation_update(*, actor, event: ViolationEvent, **changes) -> ViolationEvent:
    allowed = {"title", "description", "starts", "starts_precision", "ends", "ends_precision", "place", "wave"}
    if set(changes) - allowed:
        raise EvidenceError("unknown field")
    merged = {k: changes.get(k, getattr(event, k)) for k in ("starts", "starts_precision", "ends", "ends_precision")}
    _check_dates(**merged)
    same_org(event.organisation, changes.get("place"))
    with transaction.atomic():
        for name, value in changes.items():
            setattr(event, name, value)
        event.save()
        record(EvidenceEvent.VIOLATION_UPDATED, actor=actor, organisation=event.organisation, obj=event,
               fields=sorted(changes))
    return event


def act_add(
    *, actor, event: ViolationEvent, act_type: Term, victim=None, victim_label: str = "", description: str = "",
    places: list[Place] = (), perpetrators: list[tuple[Perpetrator, str]] = (),
) -> Act:
    organisation = event.organisation
    _check_term(act_type, Vocabulary.ACT_TYPE, organisation)
    same_org(organisation, victim, *places, *(p for p, _ in perpetrators))
    if any(inv not in Involvement.values for _, inv in perpetrators):
        raise EvidenceError(_("Unknown degree of involvement."))
    with transaction.atomic():
        act = Act(event=event, act_type=act_type, victim=victim)
        act.victim_label = victim_label
        act.description = description
        act.save(force_insert=True)
        act.places.set(places)
        ActPerpetrator.objects.bulk_create(
            [ActPerpetrator(act=act, perpetrator=p, involvement=inv) for p, inv in perpetrators]
        )
        record(EvidenceEvent.ACT_ADDED, actor=actor, organisation=organisation, obj=event, act=str(act.id),
               type=act_type.code, victim=victim.code if victim else "")
    return act


def source_add(
    *, actor, event: ViolationEvent, act: Act | None = None, testimony=None, file=None,
    reliability: str = Reliability.UNKNOWN, note: str = "",
) -> Source:
    organisation = event.organisation
    if (testimony is None) == (file is None):
        raise EvidenceError(_("A source is either a testimony or a document."))
    if act is not None and act.event_id != event.pk:
        raise EvidenceError(_("That act belongs to another event."))
    if reliability not in Reliability.values:
        raise EvidenceError(_("Unknown reliability."))
    same_org(organisation, testimony, file)
    with transaction.atomic():
        source = Source(event=event, act=act, testimony=testimony, file=file, reliability=reliability)
        source.note = note
        source.save(force_insert=True)
        record(EvidenceEvent.SOURCE_ADDED, actor=actor, organisation=organisation, obj=event,
               act=str(act.id) if act else "", testimony=testimony.code if testimony else "",
               file=str(file.id) if file else "", reliability=reliability)
    return source


def place_create(*, actor, name: str, kind: Term, unofficial: bool = False) -> Place:
    organisation = actor.organisation
    _check_term(kind, Vocabulary.PLACE_KIND, organisation)
    if not name.strip():
        raise EvidenceError(_("Name the place."))
    with transaction.atomic():
        place = Place(organisation=organisation, kind=kind, unofficial=unofficial or kind.code == "unofficial_detention",
                      data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation))
        place.name = name
        place.save(force_insert=True)
        record(EvidenceEvent.PLACE_CREATED, actor=actor, organisation=organisation, obj=place, kind=kind.code)
    return place


def perpetrator_create(*, actor, name: str, kind: Term, description: str = "") -> Perpetrator:
    organisation = actor.organisation
    _check_term(kind, Vocabulary.PERPETRATOR_KIND, organisation)
    if not name.strip():
        raise EvidenceError(_("Name or describe the perpetrator."))
    with transaction.atomic():
        perpetrator = Perpetrator(organisation=organisation, kind=kind,
                                  data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation))
        perpetrator.name = name
        perpetrator.description = description
        perpetrator.save(force_insert=True)
        record(EvidenceEvent.PERPETRATOR_CREATED, actor=actor, organisation=organisation, obj=perpetrator,
               kind=kind.code)
    return perpetrator


def term_add(*, actor, vocabulary: str, label_en: str, label_ru: str, code: str = "") -> Term:
    """Extend a vocabulary for one organisation; shipped terms stay as they are."""
    organisation = actor.organisation
    if vocabulary not in Vocabulary.values:
        raise EvidenceError(_("Unknown vocabulary."))
    if not label_en.strip() or not label_ru.strip():
        raise EvidenceError(_("Give the term in both Russian and English."))
    code = slugify(code or label_en).replace("-", "_")[:60]
    if not code:
        raise EvidenceError(_("Give the term a code in Latin letters."))
    from corridor.evidence.selectors import all_terms_for

    if all_terms_for(organisation).filter(vocabulary=vocabulary, code=code).exists():
        raise EvidenceError(_("This vocabulary already has that term."))
    with transaction.atomic():
        term = Term.objects.create(vocabulary=vocabulary, code=code, label_en=label_en.strip(),
                                   label_ru=label_ru.strip(), organisation=organisation)
        record(EvidenceEvent.TERM_ADDED, actor=actor, organisation=organisation, obj=term,
               vocabulary=vocabulary, code=code)
    return term


def wave_create(*, actor, name_en: str, name_ru: str, starts: date, ends: date) -> Wave:
    organisation = actor.organisation
    if ends < starts:
        raise EvidenceError(_("The end date is before the start date."))
    with transaction.atomic():
        wave = Wave.objects.create(organisation=organisation, name_en=name_en, name_ru=name_ru, starts=starts,
                                   ends=ends)
        record(EvidenceEvent.WAVE_CREATED, actor=actor, organisation=organisation, obj=wave)
    return wave
