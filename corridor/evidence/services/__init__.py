"""Every write of the evidence app: `<entity>_<verb>(*, actor, ...)`, atomic, audited."""

from corridor.evidence.services.bundles import (
    EXPORT_KINDS,
    bundle_approve,
    bundle_download,
    bundle_export_as,
    bundle_rebuild,
    bundle_refuse,
    bundle_request,
    parse_recipients,
)
from corridor.evidence.services.common import EvidenceError
from corridor.evidence.services.files import (
    file_read,
    file_refused,
    file_register,
    file_strip,
    file_transfer,
    file_view,
)
from corridor.evidence.services.filings import filing_create, filing_step_add, filing_update
from corridor.evidence.services.testimonies import (
    testimony_record,
    testimony_update,
    testimony_viewed,
)
from corridor.evidence.services.violations import (
    act_add,
    perpetrator_create,
    place_create,
    source_add,
    term_add,
    violation_create,
    violation_update,
    wave_create,
)

__all__ = [
    "EXPORT_KINDS", "EvidenceError", "act_add", "bundle_approve", "bundle_download", "bundle_export_as", "bundle_rebuild",
    "bundle_refuse", "bundle_request", "file_read", "file_refused", "file_register", "file_strip", "file_transfer",
    "file_view",
    "filing_create", "filing_step_add", "filing_update", "parse_recipients", "perpetrator_create",
    "place_create", "source_add", "term_add", "testimony_record", "testimony_update", "testimony_viewed",
    "violation_create", "violation_update", "wave_create",
]
