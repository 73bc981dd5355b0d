"""What must be done at each stage, as ticks a worker can see at a glance.

Keys are stable (stored in `ChecklistTick.key`); labels are translated. Some
transitions require ticks (see `transitions.GUARDS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from corridor.cases.models import Stage


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    wanted_only: bool = False  # shown only when the person is on a wanted list


CHECKLISTS: dict[str, tuple[str, list[Item]]] = {
    Stage.LEAVING_REGION: (_("Route and travel plan"), [
        Item("route_agreed", _("Route and travel plan agreed with the person")),
        Item("wanted_plan", _("Route avoids checkpoints and airports (wanted list)"), wanted_only=True),
        Item("transport", _("Transport arranged")),
        Item("phone_clean", _("Phone cleaned, new SIM card")),
        Item("arrival_contact", _("Someone meets them on arrival")),
    ]),
    Stage.SHELTERED: (_("Shelter"), [
        Item("shelter_place", _("Bed in a safe house")),
        Item("medical_check", _("Medical check")),
        Item("psych_support", _("Psychologist offered")),
    ]),
    Stage.DOCUMENTS: (_("Documents"), [
        Item("internal_passport", _("Internal passport in hand or replaced")),
        Item("intl_passport", _("International passport applied for")),
        Item("children_docs", _("Children's birth certificates")),
        Item("copies", _("Translated and certified copies")),
    ]),
    Stage.VISA_ASYLUM: (_("Visa"), [
        Item("programme", _("Country and programme chosen")),
        Item("appointment", _("Embassy appointment booked")),
        Item("submitted", _("Application submitted")),
        Item("visa", _("Visa in the passport")),
        Item("tickets", _("Tickets bought")),
    ]),
}

ALL_KEYS = {item.key for _title, items in CHECKLISTS.values() for item in items}


def checklists_for(case, ticks: dict[str, object], *, wanted: bool) -> list[dict]:
    """The checklists to show on a case page, current stage first."""
    out = []
    for stage, (title, items) in CHECKLISTS.items():
        rows = [
            {"key": i.key, "label": i.label, "tick": ticks.get(i.key)}
            for i in items if wanted or not i.wanted_only
        ]
        out.append({
            "stage": stage, "title": title, "items": rows, "current": case.stage == stage,
            "done": sum(1 for r in rows if r["tick"]), "total": len(rows),
        })
    out.sort(key=lambda c: not c["current"])
    return out
