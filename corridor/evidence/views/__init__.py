"""Thin views: parse, check access (selectors), call a service, render."""

from corridor.evidence.views.aggregate import aggregate
from corridor.evidence.views.bundles import (
    bundle_approve,
    bundle_create,
    bundle_detail,
    bundle_download,
    bundle_export_as,
    bundle_list,
    bundle_rebuild,
    bundle_refuse,
)
from corridor.evidence.views.files import (
    file_detail,
    file_download,
    file_list,
    file_transfer,
    file_upload,
)
from corridor.evidence.views.filings import (
    deadlines,
    filing_create,
    filing_detail,
    filing_edit,
    filing_list,
    filing_step_create,
)
from corridor.evidence.views.overview import index
from corridor.evidence.views.testimonies import (
    testimony_create,
    testimony_detail,
    testimony_edit,
    testimony_list,
)
from corridor.evidence.views.violations import (
    act_create,
    event_create,
    event_detail,
    event_edit,
    event_list,
    perpetrator_create,
    place_create,
    registry,
    source_create,
    term_create,
    wave_create,
)

__all__ = [
    "act_create", "aggregate", "bundle_approve", "bundle_create", "bundle_detail", "bundle_download", "bundle_export_as",
    "bundle_list", "bundle_rebuild", "bundle_refuse", "deadlines", "event_create", "event_detail", "event_edit",
    "event_list", "file_detail", "file_download", "file_list", "file_transfer", "file_upload", "filing_create",
    "filing_detail", "filing_edit", "filing_list", "filing_step_create", "index", "perpetrator_create",
    "place_create", "registry", "source_create", "term_create", "testimony_create", "testimony_detail",
    "testimony_edit", "testimony_list", "wave_create",
]
