"""Consent rules: which testimony may be used where, and what that means for acts.

Pure functions on plain attributes, so the bundle builder, the public statistics
and the tests all apply exactly the same rule:

* A testimony's uses are independent: anonymised public reports, legal
  proceedings with the witness named, and each named partner. None given is
  "internal only", which never leaves the organisation in any form.
* An act may go to an audience only if it has at least one source and, when any
  of its sources is a testimony, at least one of those testimonies permits that
  use. An act whose only testimony is internal only therefore never reaches a
  bundle for outside partners nor a public aggregate, even if a document supports
  it too (the document was given in the same confidence). An act with documents
  only may go. An act with no source at all never goes: it is not evidence yet.
* The sources of an act are its own plus the event-level ones of its event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

PUBLIC = "public"
ADVOCACY = "advocacy"
LEGAL = "legal"
PARTNERS = ("osce", "echr", "un", "journalist")
USES = (PUBLIC, LEGAL, *PARTNERS)


class HasConsent(Protocol):
    consent_public: bool
    consent_legal: bool
    consent_partners: list[str]


def testimony_permits(testimony: HasConsent, use: str) -> bool:
    if use in (PUBLIC, ADVOCACY):
        # An advocacy campaign publishes what it receives: the public consent governs it.
        return bool(testimony.consent_public)
    if use == LEGAL:
        return bool(testimony.consent_legal)
    if use == "echr":
        # The ECHR is a court: consent to be named in legal proceedings covers it.
        return bool(testimony.consent_legal) or "echr" in (testimony.consent_partners or [])
    if use in PARTNERS:
        return use in (testimony.consent_partners or [])
    return False


def act_permitted(testimonies: Iterable[HasConsent], documents: int, use: str) -> bool:
    testimonies = list(testimonies)
    if not testimonies:
        return documents > 0
    return any(testimony_permits(t, use) for t in testimonies)
