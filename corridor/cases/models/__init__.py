"""The cases app's models, split by topic (each module stays small).

Everything that identifies a person lives in `EncryptedField`s under the person's
own data key; what stays in clear is the pseudonym code, the stage, dates, counts
and the assignment, which the pipeline needs to sort and count without decrypting.
"""

from corridor.cases.models.access import BreakGlass, ErasureRequest, ExportRequest, Referral
from corridor.cases.models.cases import (
    EXITS,
    JOURNEY,
    Case,
    ChecklistTick,
    CodeCounter,
    Note,
    Stage,
    StageChange,
)
from corridor.cases.models.destinations import Application, Country, Embassy, Programme
from corridor.cases.models.locks import CaseLock, LockedCase
from corridor.cases.models.people import Household, Person, PersonIdentifier, Relative
from corridor.cases.models.safety import Alert, CheckIn
from corridor.cases.models.summaries import ApplicationTally, CaseTally, StageDay
from corridor.cases.models.support import Document, Service
from corridor.cases.models.transfers import (
    Partner,
    ReceivingKey,
    Transfer,
    TransferConsent,
    TransferPart,
    TransferReceipt,
)

__all__ = [
    "EXITS", "JOURNEY", "Alert", "Application", "ApplicationTally", "BreakGlass", "Case", "CaseLock", "CaseTally", "CheckIn", "ChecklistTick",
    "CodeCounter", "Country", "Document", "Embassy", "ErasureRequest", "ExportRequest", "Household", "LockedCase", "Note", "Person",
    "Partner", "PersonIdentifier", "Programme", "ReceivingKey", "Referral", "Relative", "Service", "Stage", "StageChange", "StageDay", "Transfer", "TransferConsent",
    "TransferPart", "TransferReceipt",
]
