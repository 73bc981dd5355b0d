"""Audit codes of the evidence app (6000–6999). Stable forever: they are in the log.

Custody events (6020–6029) carry the file's SHA-256 and id, so the Merkle log itself
is the chain of custody and a bundle can prove each step offline.
"""

from __future__ import annotations

from enum import IntEnum

from corridor.audit.events import register


class EvidenceEvent(IntEnum):
    TESTIMONY_RECORDED = 6001
    TESTIMONY_UPDATED = 6002
    TESTIMONY_CONSENT_CHANGED = 6003
    TESTIMONY_VIEWED = 6004
    VIOLATION_CREATED = 6010
    VIOLATION_UPDATED = 6011
    ACT_ADDED = 6012
    SOURCE_ADDED = 6013
    PERPETRATOR_CREATED = 6014
    PLACE_CREATED = 6015
    TERM_ADDED = 6016
    WAVE_CREATED = 6017
    # chain of custody
    FILE_RECEIVED = 6020
    FILE_VIEWED = 6021
    FILE_EXPORTED = 6022
    FILE_TRANSFERRED = 6023
    FILE_REFUSED = 6024
    FILE_STRIPPED = 6025
    FILING_CREATED = 6030
    FILING_UPDATED = 6031
    FILING_STEP_ADDED = 6032
    BUNDLE_REQUESTED = 6040
    BUNDLE_APPROVED = 6041
    BUNDLE_REFUSED = 6042
    BUNDLE_SEALED = 6043
    BUNDLE_BUILT = 6044
    BUNDLE_DOWNLOADED = 6045
    BUNDLE_FAILED = 6046
    # an approved export downloaded as HURIDOCS-shaped JSON or an Uwazi CSV
    BUNDLE_EXPORTED_AS = 6047
    BUNDLE_REMOVED = 6048


CUSTODY_CODES = frozenset(
    {EvidenceEvent.FILE_RECEIVED, EvidenceEvent.FILE_VIEWED, EvidenceEvent.FILE_EXPORTED,
     EvidenceEvent.FILE_TRANSFERRED, EvidenceEvent.FILE_STRIPPED}
)

register(EvidenceEvent, range(6000, 7000))
