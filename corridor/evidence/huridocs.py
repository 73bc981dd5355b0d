"""Violation exports for documentation partners, from an approved export (bundle).

Two shapes of the same consent-filtered selection (`bundle_build.select_contents`,
so exactly what the bundle's audience may receive):

* `esf_document`: JSON following the record types of the HURIDOCS Events Standard
  Formats (Dueck, Guzman, Verstappen, 2001): **Event**, **Act**, **Involvement**,
  **Person** and **Information** records, each with a record number, linked by those
  numbers. Victims are Person records named by pseudonym only (`K-0413`); a group or
  unidentified victim carries our `victim_description`. Documented in docs/evidence.md.
* `uwazi_csv`: one row per act for Uwazi's CSV import (UTF-8, comma-separated,
  header row of property names, `title` required, several values joined with `|`,
  dates as `YYYY-MM-DD`, select values by their English label).

Testimony texts and files never go in either: an Information record names the
testimony or file by code (and a file by SHA-256), which the bundle itself carries.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from corridor.crypto.keys import preload
from corridor.evidence import selectors

FORMAT = "corridor-huridocs-esf/1"
UWAZI_COLUMNS = [
    "title", "event", "event_title", "date", "end_date", "date_precision", "act_type", "victim",
    "victim_description", "place", "perpetrators", "perpetrator_types", "involvement", "wave",
    "independent_sources", "sources", "reliability",
]


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _prepare(contents: dict) -> None:
    # Record numbers follow the events' codes and the acts' order of entry: the same
    # selection always exports the same file.
    contents["events"].sort(key=lambda e: e.code)
    order = {e.id: i for i, e in enumerate(contents["events"])}
    contents["acts"].sort(key=lambda a: (order.get(a.event_id, 0), a.created, str(a.id)))
    events, acts = contents["events"], contents["acts"]
    places = [e.place for e in events if e.place] + [p for a in acts for p in a.places.all()]
    perpetrators = [link.perpetrator for a in acts for link in a.perpetrator_links.all()]
    preload([e.data_key for e in events] + [p.data_key for p in places] + [p.data_key for p in perpetrators])


def _act_numbers(contents: dict) -> dict:
    numbers, per_event = {}, {}
    for act in contents["acts"]:
        n = per_event[act.event_id] = per_event.get(act.event_id, 0) + 1
        numbers[act.id] = f"{act.event.code}/A{n}"
    return numbers


def _kept_sources(contents: dict) -> list:
    testimonies_ok = {t.id for t in contents["testimonies"]}
    kept_events = {e.id for e in contents["events"]}
    kept_acts = {a.id for a in contents["acts"]}
    return [s for s in contents["sources"]
            if s.event_id in kept_events and (s.act_id is None or s.act_id in kept_acts)
            and (s.testimony_id is None or s.testimony_id in testimonies_ok)]


def esf_document(bundle, contents: dict) -> dict:
    _prepare(contents)
    events, acts = contents["events"], contents["acts"]
    by_id = {e.id: e for e in events}
    for act in acts:
        act.event = by_id[act.event_id]
    numbers = _act_numbers(contents)
    counts = selectors.independent_counts([e.id for e in events])
    persons: dict[str, dict] = {}
    involvements = []
    for act in acts:
        if act.victim_id:
            persons.setdefault(act.victim.code, {"record_number": act.victim.code, "counting_unit": "person",
                                                 "name": act.victim.code, "role": ["victim"]})
        for link in act.perpetrator_links.all():
            perp = link.perpetrator
            number = f"PERP-{perp.id}"
            persons.setdefault(number, {"record_number": number, "counting_unit": "group_or_person",
                                        "name": perp.name or "", "role": ["perpetrator"],
                                        "type_of_perpetrator": {"code": perp.kind.code, "en": perp.kind.label_en,
                                                                "ru": perp.kind.label_ru}})
            involvements.append({
                "record_number": f"{numbers[act.id]}/I{len(involvements) + 1}", "act": numbers[act.id],
                "perpetrator": number, "degree_of_involvement": link.involvement,
            })
    information = [{
        "record_number": f"{by_id[s.event_id].code}/S{i}", "event": by_id[s.event_id].code,
        "act": numbers.get(s.act_id) if s.act_id else None,
        "source_type": "testimony" if s.testimony_id else "document",
        "source": s.testimony.code if s.testimony_id else (str(s.file_id) if s.file_id else None),
        "reliability": s.reliability,
    } for i, s in enumerate(_kept_sources(contents), start=1)]
    return {
        "format": FORMAT,
        "standard": "HURIDOCS Events Standard Formats: Event, Act, Involvement, Person, Information",
        "export": {
            "bundle": bundle.code, "audience": bundle.audience, "requested_by": bundle.requested_by.principal,
            "approved_by": bundle.decided_by.principal if bundle.decided_by else None,
            "created": timezone.now().isoformat(timespec="seconds"),
        },
        "events": [{
            "record_number": e.code, "event_title": e.title or "", "event_description": e.description or "",
            "initial_date": _iso(e.starts), "initial_date_type": e.starts_precision,
            "final_date": _iso(e.ends), "final_date_type": e.ends_precision,
            "geographical_term": str(e.place.name) if e.place else None,
            "wave": e.wave.name_en if e.wave else None,
            "independent_sources": counts[0].get(e.id, 0),
            "acts": [numbers[a.id] for a in acts if a.event_id == e.id],
        } for e in events],
        "acts": [{
            "record_number": numbers[a.id], "event": a.event.code,
            "victim": a.victim.code if a.victim_id else None, "victim_description": a.victim_label or "",
            "type_of_act": {"code": a.act_type.code, "en": a.act_type.label_en, "ru": a.act_type.label_ru},
            "act_description": a.description or "", "place_of_act": [str(p.name) for p in a.places.all()],
            "initial_date": _iso(a.event.starts), "final_date": _iso(a.event.ends),
            "independent_sources": counts[1].get(a.id, 0),
        } for a in acts],
        "involvements": involvements,
        "persons": list(persons.values()),
        "information": information,
        "withheld_for_consent": contents["excluded"],
    }


def uwazi_csv(contents: dict) -> str:
    _prepare(contents)
    by_id = {e.id: e for e in contents["events"]}
    for act in contents["acts"]:
        act.event = by_id[act.event_id]
    numbers = _act_numbers(contents)
    counts = selectors.independent_counts(list(by_id))
    sources = _kept_sources(contents)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=UWAZI_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for act in contents["acts"]:
        event = act.event
        links = list(act.perpetrator_links.all())
        own = [s for s in sources if s.act_id == act.id or (s.act_id is None and s.event_id == event.id)]
        writer.writerow({
            "title": f"{numbers[act.id]} {act.act_type.label_en}",
            "event": event.code, "event_title": event.title or "", "date": _iso(event.starts) or "",
            "end_date": _iso(event.ends) or "", "date_precision": event.starts_precision,
            "act_type": act.act_type.label_en, "victim": act.victim.code if act.victim_id else "",
            "victim_description": act.victim_label or "",
            "place": "|".join(str(p.name) for p in act.places.all()) or (str(event.place.name) if event.place else ""),
            "perpetrators": "|".join(str(link.perpetrator.name or "") for link in links),
            "perpetrator_types": "|".join(link.perpetrator.kind.label_en for link in links),
            "involvement": "|".join(link.involvement for link in links),
            "wave": event.wave.name_en if event.wave else "",
            "independent_sources": counts[1].get(act.id, 0),
            "sources": "|".join(s.testimony.code if s.testimony_id else str(s.file_id) for s in own),
            "reliability": "|".join(s.reliability for s in own),
        })
    return out.getvalue()
