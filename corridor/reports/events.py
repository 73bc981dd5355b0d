from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class ReportEvent(IntEnum):
    REPORT_PUBLISHED = 8001
    REPORT_WITHDRAWN = 8002
    REPORT_PREVIEWED = 8003
    REPORT_CORRECTED = 8004
    REPORT_OVERLAP_REFUSED = 8005


register(ReportEvent, range(8000, 9000))
