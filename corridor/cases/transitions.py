"""The stage machine: which moves are possible, and what each one requires.

One table, read by the service that moves a case and by the page that offers the
moves, so the buttons a worker sees are exactly the moves that will be accepted.
Every refusal is a translated sentence a tired worker can act on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from corridor.cases.models import EXITS, JOURNEY, Application, Case, ChecklistTick, Document, Stage
from corridor.cases.models.destinations import ENTRY_PROGRAMMES, PROTECTION_PROGRAMMES

S = Stage
# Journey moves: forward along the route, or one step back when a plan fails (the
# border was closed, a document was refused). ACCEPTED → SHELTERED is for people
# who already got out of the region on their own.
MOVES: dict[str, set[str]] = {
    S.CONTACTED: {S.VETTING},
    S.VETTING: {S.ACCEPTED, S.CONTACTED},
    S.ACCEPTED: {S.LEAVING_REGION, S.SHELTERED, S.VETTING},
    S.LEAVING_REGION: {S.SHELTERED, S.ACCEPTED},
    S.SHELTERED: {S.DOCUMENTS, S.VISA_ASYLUM, S.LEAVING_REGION},
    S.DOCUMENTS: {S.VISA_ASYLUM, S.SHELTERED},
    S.VISA_ASYLUM: {S.DEPARTED, S.DOCUMENTS},
    S.DEPARTED: {S.RESETTLED, S.VISA_ASYLUM},
    S.RESETTLED: {S.CLOSED},
}
# Exits possible from each journey stage. Declining is a vetting decision;
# "returned" means back to the region, so it needs a departure from it first.
EXITS_FROM: dict[str, set[str]] = {
    S.CONTACTED: {S.DECLINED, S.LOST_CONTACT, S.DETAINED, S.DECEASED, S.CLOSED},
    S.VETTING: {S.DECLINED, S.LOST_CONTACT, S.DETAINED, S.DECEASED, S.CLOSED},
    S.ACCEPTED: {S.LOST_CONTACT, S.DETAINED, S.DECEASED, S.CLOSED},
    S.LEAVING_REGION: {S.LOST_CONTACT, S.DETAINED, S.RETURNED, S.DECEASED, S.CLOSED},
    S.SHELTERED: {S.LOST_CONTACT, S.DETAINED, S.RETURNED, S.DECEASED, S.CLOSED},
    S.DOCUMENTS: {S.LOST_CONTACT, S.DETAINED, S.RETURNED, S.DECEASED, S.CLOSED},
    S.VISA_ASYLUM: {S.LOST_CONTACT, S.DETAINED, S.RETURNED, S.DECEASED, S.CLOSED},
    S.DEPARTED: {S.LOST_CONTACT, S.DECEASED, S.CLOSED},
    S.RESETTLED: set(),
}
# From an exit a case can be reopened (contact came back, a detainee was
# released): to first contact, or to the journey stage it left from. Death is final.
REOPENABLE = set(EXITS) - {S.DECEASED}


def previous_journey_stage(case: Case) -> str | None:
    """The journey stage the case was in before its current exit."""
    change = case.stage_changes.filter(to_stage=case.stage).order_by("-at", "-recorded").first()
    if change and change.from_stage in JOURNEY:
        return change.from_stage
    return None


def targets(case: Case) -> list[str]:
    """Every stage this case may move to now, in journey order then exits."""
    if case.stage in JOURNEY:
        allowed = MOVES[case.stage] | EXITS_FROM[case.stage]
    elif case.stage in REOPENABLE:
        allowed = {S.CONTACTED}
        previous = previous_journey_stage(case)
        if previous:
            allowed.add(previous)
        if case.stage != S.CLOSED:
            allowed.add(S.CLOSED)
    else:
        allowed = set()
    order = [*JOURNEY, *EXITS]
    return sorted(allowed, key=order.index)


def insertable(case: Case) -> list[str]:
    """Journey steps the history skipped, before the furthest one recorded: a worker
    may enter one later, dated in its place (see `services.case_transition`)."""
    recorded = set(case.stage_changes.values_list("to_stage", flat=True))
    furthest = max((JOURNEY.index(s) for s in recorded if s in JOURNEY), default=0)
    return [s for s in JOURNEY[1:furthest] if s not in recorded]


def is_forward(case: Case, to_stage: str) -> bool:
    return (case.stage in JOURNEY and to_stage in JOURNEY
            and JOURNEY.index(to_stage) > JOURNEY.index(case.stage))


# --- requirements: each returns a reason the move is refused, or None ---------------
def _route_planned(case: Case) -> str | None:
    ticks = set(ChecklistTick.objects.filter(case=case).values_list("key", flat=True))
    if "route_agreed" not in ticks:
        return _("Agree the route and travel plan first (tick it in the checklist).")
    if case.person.wanted and "wanted_plan" not in ticks:
        return _("This person is on a wanted list: tick that the route avoids checkpoints and airports.")
    return None


def _travel_document(case: Case) -> str | None:
    docs = Document.objects.filter(person_id=case.person_id, kind=Document.Kind.INTERNATIONAL_PASSPORT)
    if not any(d.usable for d in docs):
        return _("A person cannot depart before an international passport is issued and valid. "
                 "Record the passport under Documents.")
    return None


def _entry_granted(case: Case) -> str | None:
    granted = Application.objects.filter(case=case, decision=Application.Decision.GRANTED,
                                         programme__in=ENTRY_PROGRAMMES)
    if not granted.exists():
        return _("A person cannot depart before a visa or an entry programme is granted. "
                 "Record the decision under Applications.")
    return None


def _protection_granted(case: Case) -> str | None:
    granted = Application.objects.filter(case=case, decision=Application.Decision.GRANTED,
                                         programme__in=PROTECTION_PROGRAMMES)
    if not granted.exists():
        return _("“Resettled” needs a granted asylum, resettlement or family-reunion application.")
    return None


GUARDS: dict[str, list[Callable[[Case], str | None]]] = {
    S.LEAVING_REGION: [_route_planned],
    S.DEPARTED: [_travel_document, _entry_granted],
    S.RESETTLED: [_protection_granted],
}


def refusals(case: Case, to_stage: str) -> list[str]:
    """Why `case` cannot move to `to_stage` now (empty when it can)."""
    if to_stage not in Stage.values:
        return [str(_("Unknown stage."))]
    if to_stage == case.stage:
        return [str(_("The case is already at this stage."))]
    if to_stage not in targets(case):
        return [str(_("A case cannot move from “%(from)s” to “%(to)s”.")
                    % {"from": Stage(case.stage).label, "to": Stage(to_stage).label})]
    return [str(problem) for guard in GUARDS.get(to_stage, []) if (problem := guard(case))]
