"""Everything the case page shows, loaded with a fixed number of queries.

All of a person's records share the person's data key, so the page costs one
unwrap however long the history. Sub-records get the loaded case and person
attached, so reading their `data_key` needs no further query.
"""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.cases import transitions
from corridor.cases.checklists import checklists_for
from corridor.cases.models import (
    Alert,
    Application,
    BreakGlass,
    Case,
    CheckIn,
    ChecklistTick,
    Document,
    Note,
    PersonIdentifier,
    Referral,
    Relative,
    Service,
    Stage,
    StageChange,
)
from corridor.cases.models.people import HouseholdRole
from corridor.cases.selectors.access import access_via, locked_expr


def _attach(objs, **relations):
    for obj in objs:
        for name, value in relations.items():
            setattr(obj, name, value)
    return objs


def _at(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time(12)))


def _parsed(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def household_members(user, case: Case) -> list[dict]:
    if not case.household_id:
        return []
    members = (Case.objects.filter(household_id=case.household_id, organisation_id=case.organisation_id)
               .exclude(pk=case.pk).select_related("person__data_key").annotate(locked=locked_expr())
               .order_by("opened"))
    out = []
    for member in members:
        visible = access_via(user, member) in ("organisation", "assigned")
        role = member.person.household_role
        out.append({
            "code": member.code, "stage": member.stage_label, "visible": visible,
            "name": member.person.display_name if visible else "",
            "role": HouseholdRole(role).label if role in HouseholdRole.values else "",
        })
    return out


def case_detail(user, case: Case) -> dict:
    person = case.person
    changes = _attach(list(StageChange.objects.filter(case=case).select_related("actor").order_by("at", "recorded")), case=case)
    notes = _attach(list(Note.objects.filter(case=case).select_related("actor")), case=case)
    checkins = _attach(list(CheckIn.objects.filter(case=case).select_related("recorded_by")[:50]), case=case)
    services = _attach(list(Service.objects.filter(case=case)), case=case)
    applications = _attach(list(Application.objects.filter(case=case).select_related("country", "embassy")),
                           case=case)
    documents = _attach(list(Document.objects.filter(person=person)), person=person)
    identifiers = _attach(list(PersonIdentifier.objects.filter(person=person)), person=person)
    relatives = _attach(list(Relative.objects.filter(person=person)), person=person)
    ticks = {t.key: t for t in ChecklistTick.objects.filter(case=case).select_related("done_by")}
    alerts = list(Alert.objects.filter(case=case, resolved__isnull=True))
    danger = _danger(case)
    timeline = _timeline(changes, notes, checkins, services, applications, documents, danger["exposures"])
    is_coordinator = user.can(Perm.CASE_VIEW_ALL)
    targets = transitions.targets(case)
    context = {
        "case": case, "person": person, "identity": person.identity if isinstance(person.identity, dict) else {},
        "erased": person.erased is not None,
        "identifiers": identifiers, "relatives": relatives, "documents": documents, "services": services,
        "applications": applications, "checkins": checkins[:5], "alerts": alerts, "timeline": timeline,
        "checklists": checklists_for(case, ticks, wanted=person.wanted),
        "targets": targets, "blocked": _blocked(case, targets), "household": household_members(user, case),
        "danger_relatives": [r for r in relatives if r.is_danger], "danger": danger,
        "can_edit": user.can(Perm.CASE_EDIT), "can_assign": user.can(Perm.CASE_ASSIGN),
        "perms_erase": user.can(Perm.CASE_EXPORT_APPROVE),
        "can_refer": user.can(Perm.CASE_REFER), "is_coordinator": is_coordinator,
        "break_glass": [],
        "referral": Referral.objects.filter(case=case, status=Referral.Status.PENDING).select_related("to_org").first(),
        "stays": _stays(person),
        "intake": _intake(case) if person.erased is None else None,
    }
    if is_coordinator:
        openings = list(BreakGlass.objects.filter(case=case, organisation_id=case.organisation_id)
                        .select_related("user", "data_key")[:20])
        context["break_glass"] = openings
    return context


def _blocked(case: Case, targets: list[str]) -> list[dict]:
    """Next steps that are possible in principle but not yet, and why: the worker
    sees what is missing before trying."""
    out = []
    for stage in targets:
        if stage in transitions.GUARDS:
            reasons = transitions.refusals(case, stage)
            if reasons:
                out.append({"stage": stage, "label": Stage(stage).label, "reasons": reasons})
    return out


def _intake(case: Case) -> dict | None:
    """What triage knew when the case was opened from a contact (kept under the
    person's key), with its dates parsed and its codes labelled for the page."""
    from corridor.intake.models import Channel, VettingItem, VettingOutcome

    record = case.intake
    if not isinstance(record, dict):
        return None
    vetting = [{**c, "at": _parsed(c["at"]), "item_label": VettingItem(c["item"]).label
                if c.get("item") in VettingItem.values else c.get("item", ""),
                "outcome_label": VettingOutcome(c["outcome"]).label
                if c.get("outcome") in VettingOutcome.values else c.get("outcome", "")}
               for c in record.get("vetting", [])]
    story = [{**m, "at": _parsed(m["at"])} for m in record.get("story", [])]
    channel = record.get("channel", "")
    return {**record, "vetting": vetting, "story": story, "received": _parsed(record.get("received")),
            "channel_label": Channel(channel).label if channel in Channel.values else channel}


def _stays(person) -> list:
    from corridor.housing.selectors import stays_for_person

    return stays_for_person(person)


def _danger(case: Case) -> dict:
    """Matches staff must see first: the person's identifiers in a seized contact list
    (each one raised the risk, and is also a timeline entry), and a provocateur match
    on the contact the case was opened from."""
    from django.apps import apps

    match_model = apps.get_model("exposure", "ExposureMatch")
    exposures = list(match_model.objects.filter(person=case.person_id, target="person", source__purpose="seized")
                     .order_by("-created")[:20])
    contact_model = apps.get_model("intake", "Contact")
    check_model = apps.get_model("intake", "VettingCheck")
    provocateur = False
    for contact_id in contact_model.objects.filter(case=case).values_list("pk", flat=True):
        latest = check_model.objects.filter(contact=contact_id, item="provocateur").order_by("-at").first()
        provocateur = provocateur or bool(latest and latest.outcome == "failed")
    return {"exposures": exposures, "provocateur": provocateur}


def _timeline(changes, notes, checkins, services, applications, documents, exposures=()) -> list[dict]:
    """One list, newest first, of everything that happened on the case."""
    items: list[dict] = []
    for m in exposures:
        items.append({"at": m.created, "kind": "risk", "match": m, "actor": None})
    for c in changes:
        items.append({"at": c.at, "kind": "stage", "change": c, "actor": c.actor})
    for n in notes:
        items.append({"at": n.at, "kind": "note", "note": n, "actor": n.actor})
    for ci in checkins:
        items.append({"at": ci.at, "kind": "checkin", "checkin": ci, "actor": ci.recorded_by})
    for s in services:
        items.append({"at": _at(s.started), "kind": "service", "service": s, "actor": None})
    for a in applications:
        items.append({"at": _at(a.submitted), "kind": "application", "application": a, "actor": None})
        if a.decided:
            items.append({"at": _at(a.decided), "kind": "decision", "application": a, "actor": None})
    for d in documents:
        items.append({"at": d.updated, "kind": "document", "document": d, "actor": None})
    # Newest first; entries of the same moment (steps given at once) newest-recorded
    # first too: reversed before the stable sort.
    items.reverse()
    items.sort(key=lambda i: i["at"], reverse=True)
    return items
