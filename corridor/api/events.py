"""Audit codes of the API (9000–9999). Codes never change meaning."""

from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class ApiEvent(IntEnum):
    TOKEN_CREATED = 9001
    TOKEN_REVOKED = 9002


register(ApiEvent, range(9000, 10000))
