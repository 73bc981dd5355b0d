from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class ReportEvent(IntEnum):
    REPORT_PUBLISHED = 8001
    REPORT_WITHDRAWN = 8002
    REPORT_PREVIEWED = 8003


register(ReportEvent, range(8000, 9000))
