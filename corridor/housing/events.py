from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class HousingEvent(IntEnum):
    HOUSE_CREATED = 5001
    HOUSE_UPDATED = 5002
    HOUSE_ADDRESS_VIEWED = 5003
    STAY_STARTED = 5010
    STAY_ENDED = 5011
    STAY_MOVED = 5012


register(HousingEvent, range(5000, 6000))
