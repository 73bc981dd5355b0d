"""Evidence models: vocabularies, testimonies, violation events, files, filings, bundles.

Everything that could identify a person or reveal content is an `EncryptedField`
under a per-record data key; what stays in clear is codes, dates, choices and
hashes, which lists, deadlines and statistics need without decrypting.
"""

from corridor.evidence.models.bundles import (
    ORIGINALS_AUDIENCES,
    Audience,
    BundleRequest,
    BundleStatus,
    receives_originals,
)
from corridor.evidence.models.files import EvidenceFile
from corridor.evidence.models.filings import Body, Filing, FilingStatus, FilingStep, StepKind
from corridor.evidence.models.testimonies import Partner, Testimony
from corridor.evidence.models.violations import (
    Act,
    ActPerpetrator,
    DatePrecision,
    Involvement,
    Perpetrator,
    Place,
    Reliability,
    Source,
    ViolationEvent,
    Wave,
)
from corridor.evidence.models.vocab import Term, Vocabulary

__all__ = [
    "ORIGINALS_AUDIENCES", "receives_originals", "Act", "ActPerpetrator", "Audience", "Body", "BundleRequest", "BundleStatus", "FilingStatus", "StepKind", "DatePrecision", "EvidenceFile",
    "Filing", "FilingStep", "Involvement", "Partner", "Perpetrator", "Place", "Reliability",
    "Source", "Term", "Testimony", "ViolationEvent", "Vocabulary", "Wave",
]
