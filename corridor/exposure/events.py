"""Audit codes of the exposure app (3000–3999). Entries hold pseudonym codes,
contact ids and counts, never a phone number or a name."""

from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class ExposureEvent(IntEnum):
    IDENTIFIER_ADDED = 3001
    LIST_IMPORTED = 3010
    PERSON_EXPOSED = 3011
    CONTACT_EXPOSED = 3012
    PROVOCATEUR_MATCHED = 3013
    ALERT_ACKNOWLEDGED = 3014
    PROVOCATEUR_ADDED = 3020
    PROVOCATEUR_REMOVED = 3021
    PROVOCATEURS_IMPORTED = 3022
    IMPORT_RETENTION_ERASED = 3030


register(ExposureEvent, range(3000, 4000))
