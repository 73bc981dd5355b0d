from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class CaseEvent(IntEnum):
    PERSON_CREATED = 4001
    PERSON_UPDATED = 4002
    PERSON_ERASED = 4003
    CASE_OPENED = 4010
    CASE_STAGE_CHANGED = 4011
    CASE_ASSIGNED = 4012
    CASE_VIEWED = 4013
    CASE_BREAK_GLASS = 4014
    HOUSEHOLD_CREATED = 4020


register(CaseEvent, range(4000, 5000))
