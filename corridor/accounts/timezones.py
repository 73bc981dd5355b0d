"""Time zones: which one a page shows, and how its times are labelled.

Everything is stored in UTC. A page is shown in the zone of the person reading it:
their own choice if they made one, otherwise their organisation's (set at `init`,
changed by administrators). Times typed into forms are read in that same zone, so
"14:00" means 14:00 where the worker is, and every shown time carries its zone.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

DEFAULT_ZONE = "Europe/Moscow"


@functools.cache
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones()
                        if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")))
                 + ["UTC"])


def is_zone(name: str) -> bool:
    return name in all_zones()


def zone_choices() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in all_zones()]


def zone_name_for(user) -> str:
    """The zone a signed-in person's pages use."""
    own = getattr(user, "time_zone", "") or ""
    if own and is_zone(own):
        return own
    return zone_name_for_organisation(getattr(user, "organisation", None))


def zone_label(local: datetime) -> str:
    """A short label for an aware local time: MSK, CET, CEST, or UTC+5 where the
    zone database has no letters (Asia/Yekaterinburg says "+05")."""
    name = local.tzname() or ""
    if name and name[0] in "+-":
        sign, digits = name[0], name[1:]
        hours, minutes = digits[:2], digits[2:]
        label = f"UTC{sign}{int(hours)}"
        return f"{label}:{minutes}" if minutes and minutes != "00" else label
    return name or "UTC"


def zone_name_for_organisation(organisation) -> str:
    name = getattr(organisation, "time_zone", "") or ""
    return name if is_zone(name) else "UTC"
