"""Retention: what Corridor erases by itself once it is no longer needed.

Every rule names what it takes, is configurable (a period of 0 turns it off) and
erases the way a person's decision would, cryptographically and with an audit
entry naming only pseudonyms, ids and counts, in the same transaction:

* `closed_cases`: a case that left the journey (closed, declined, returned…)
  more than `CORRIDOR_RETENTION_CLOSED_CASE_MONTHS` months ago (default 24): the
  person is erased as by an approved person erasure (identity, identifiers,
  documents, check-ins, services, linked contacts, testimonies), unless the
  person has another open case or a lodged court filing names them (then it is
  held, and counted as held);
* `intake_contacts`: contacts that never became a case, after
  `CORRIDOR_CONTACT_RETENTION_DAYS` of inactivity (default 90);
* `receipts`: receipts unused for `CORRIDOR_RECEIPT_EXPIRY_DAYS` (default 90),
  with the replies sealed to them;
* `exposure_imports`: a seized list's blind indexes and label, after
  `CORRIDOR_RETENTION_EXPOSURE_IMPORT_DAYS` (default 365); the counts and the
  matches found (they belong to our people) stay;
* `delivered_bundles`: the age file of an evidence bundle downloaded at least
  once, `CORRIDOR_RETENTION_BUNDLE_DAYS` (default 30) after it was built; the
  custody entries and hashes stay, so it can still be verified by whoever holds it.

`run(dry_run=True)` counts without changing anything (`corridor retention
--dry-run`); `periodic()` runs everything from the `serve` ticker at most once an
hour. Nothing here needs an unsealed key agent: erasure destroys keys, it does
not read them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from corridor.conf import env_int

SYSTEM = "system:retention"
EVERY_SECONDS = 3600
_last_run = 0.0


def _period(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default, minimum=0)


def closed_case_months() -> int:
    return _period("CORRIDOR_RETENTION_CLOSED_CASE_MONTHS", 24)


def exposure_import_days() -> int:
    return _period("CORRIDOR_RETENTION_EXPOSURE_IMPORT_DAYS", 365)


def bundle_days() -> int:
    return _period("CORRIDOR_RETENTION_BUNDLE_DAYS", 30)


@dataclass
class Outcome:
    rule: str
    period: str
    due: int
    erased: int = 0
    held: int = 0


# --- closed cases ------------------------------------------------------------------
def _closed_case_people(now, organisation=None):
    from corridor.cases.models import Case, Person
    from corridor.cases.models.cases import EXITS

    months = closed_case_months()
    if not months:
        return []
    cutoff = now - timedelta(days=30 * months)
    done = Case.objects.filter(stage__in=EXITS, closed__lt=cutoff, person__erased__isnull=True)
    still_open = Case.objects.exclude(stage__in=EXITS).values("person_id")
    people = Person.objects.filter(pk__in=done.values("person_id")).exclude(pk__in=still_open)
    if organisation is not None:
        people = people.filter(organisation=organisation)
    return list(people.select_related("data_key", "organisation").order_by("code"))


def closed_cases(*, dry_run: bool, now) -> Outcome:
    from corridor.cases.events import CaseEvent
    from corridor.cases.services.erasure import erasure_plan
    from corridor.cases.services.people import person_erase
    from corridor.crypto.keys import destroy_data_keys
    from corridor.intake.services.housekeeping import contact_erase

    people = _closed_case_people(now)
    outcome = Outcome("closed_cases", f"{closed_case_months()} months", due=len(people))
    if dry_run:
        outcome.held = sum(1 for p in people if erasure_plan(p, include_household=False).court_needed)
        return outcome
    for person in people:
        plan = erasure_plan(person, include_household=False)
        if plan.court_needed:
            outcome.held += 1
            continue
        files: list[str] = []  # removed from the file store when the erasure commits
        with transaction.atomic():
            for contact in plan.contacts:
                files += contact_erase(actor=SYSTEM, contact=contact, reason="retention of a closed case")
            person_erase(actor=SYSTEM, person=person)
            if plan.testimonies:
                destroy_data_keys([t.data_key for t in plan.testimonies])
            from corridor.audit.services import record

            record(CaseEvent.PERSON_RETENTION_ERASED, actor=SYSTEM, organisation=person.organisation, obj=person,
                   months=closed_case_months(), **plan.counts())
        outcome.erased += 1
    return outcome


# --- intake ------------------------------------------------------------------------
def intake_contacts(*, dry_run: bool, now) -> Outcome:
    from corridor.intake import conf
    from corridor.intake.services.housekeeping import contacts_erase_expired

    result = contacts_erase_expired(dry_run=dry_run, actor=SYSTEM)
    return Outcome("intake_contacts", f"{conf.retention_days()} days", due=result.candidates, erased=result.erased)


def receipts(*, dry_run: bool, now) -> Outcome:
    from corridor.intake import conf
    from corridor.intake.models import Receipt
    from corridor.intake.services.housekeeping import receipts_expire

    cutoff = now - timedelta(days=conf.receipt_expiry_days())
    due = Receipt.objects.filter(last_used__lt=cutoff).count()
    erased = 0 if dry_run else receipts_expire(now=now)
    return Outcome("receipts", f"{conf.receipt_expiry_days()} days", due=due, erased=erased)


# --- exposure ----------------------------------------------------------------------
def exposure_imports(*, dry_run: bool, now) -> Outcome:
    from corridor.audit.services import record
    from corridor.crypto.keys import destroy_data_key
    from corridor.exposure.events import ExposureEvent
    from corridor.exposure.models import ExposureImport, SeizedIndex

    days = exposure_import_days()
    if not days:
        return Outcome("exposure_imports", "off", due=0)
    cutoff = now - timedelta(days=days)
    due = list(ExposureImport.objects.filter(created__lt=cutoff, label__isnull=False).select_related("data_key"))
    outcome = Outcome("exposure_imports", f"{days} days", due=len(due))
    if dry_run:
        return outcome
    for item in due:
        with transaction.atomic():
            removed, _ = SeizedIndex.objects.filter(source=item).delete()
            destroy_data_key(item.data_key)
            ExposureImport.objects.filter(pk=item.pk).update(label=None, failures=[])
            record(ExposureEvent.IMPORT_RETENTION_ERASED, actor=SYSTEM, organisation=item.organisation_id and
                   str(item.organisation_id), obj=item, days=days, seized_indexes=removed)
        outcome.erased += 1
    return outcome


# --- evidence bundles --------------------------------------------------------------
def delivered_bundles(*, dry_run: bool, now) -> Outcome:
    from corridor.audit.models import AuditEntry
    from corridor.audit.services import record
    from corridor.evidence import storage
    from corridor.evidence.events import EvidenceEvent
    from corridor.evidence.models import BundleRequest, BundleStatus

    days = bundle_days()
    if not days:
        return Outcome("delivered_bundles", "off", due=0)
    ready = BundleRequest.objects.filter(status=BundleStatus.READY, blob__isnull=False,
                                         built__lt=now - timedelta(days=days))
    # Delivered = downloaded at least once; audit entries are filtered on indexed columns only.
    downloaded = set(AuditEntry.objects.filter(
        code=int(EvidenceEvent.BUNDLE_DOWNLOADED), object_type="evidence.bundlerequest",
        object_id__in=[b.audit_id for b in ready]).values_list("object_id", flat=True))
    due = [b for b in ready if b.audit_id in downloaded]
    outcome = Outcome("delivered_bundles", f"{days} days", due=len(due))
    if dry_run:
        return outcome
    for bundle in due:
        with transaction.atomic():
            BundleRequest.objects.filter(pk=bundle.pk).update(status=BundleStatus.REMOVED, blob=None)
            record(EvidenceEvent.BUNDLE_REMOVED, actor=SYSTEM, organisation=bundle.organisation, obj=bundle,
                   sha256=bundle.sha256, days=days)
        storage.delete_blob(bundle.blob)  # only once the row no longer points at it
        outcome.erased += 1
    return outcome


def preview(organisation) -> list[Outcome]:
    """What the rules would take now from one organisation (counts only), for its
    administrators' page. Changes nothing."""
    from corridor.evidence.models import BundleRequest, BundleStatus
    from corridor.exposure.models import ExposureImport
    from corridor.intake import conf
    from corridor.intake.models import Receipt
    from corridor.intake.services.housekeeping import retention_candidates

    now = timezone.now()
    people = _closed_case_people(now, organisation)
    imports, bundles = exposure_import_days(), bundle_days()
    return [
        Outcome("closed_cases", f"{closed_case_months()} months", due=len(people)),
        Outcome("receipts", f"{conf.receipt_expiry_days()} days", due=Receipt.objects.filter(
            contact__organisation=organisation,
            last_used__lt=now - timedelta(days=conf.receipt_expiry_days())).count()),
        Outcome("intake_contacts", f"{conf.retention_days()} days", due=retention_candidates(
            days=conf.retention_days(), now=now).filter(organisation=organisation).count()),
        Outcome("exposure_imports", f"{imports} days" if imports else "off", due=ExposureImport.objects.filter(
            organisation=organisation, label__isnull=False,
            created__lt=now - timedelta(days=imports)).count() if imports else 0),
        Outcome("delivered_bundles", f"{bundles} days" if bundles else "off", due=BundleRequest.objects.filter(
            organisation=organisation, status=BundleStatus.READY,
            built__lt=now - timedelta(days=bundles)).count() if bundles else 0),
    ]


RULES: list[Callable[..., Outcome]] = [closed_cases, receipts, intake_contacts, exposure_imports,
                                       delivered_bundles]


def run(*, dry_run: bool = False, now=None) -> list[Outcome]:
    from corridor.audit.events import CoreEvent
    from corridor.audit.services import record
    from corridor.crypto.context import acting_as

    now = now or timezone.now()
    with acting_as(SYSTEM):
        outcomes = [rule(dry_run=dry_run, now=now) for rule in RULES]
        if not dry_run and any(o.erased for o in outcomes):
            with transaction.atomic():
                record(CoreEvent.RETENTION_RUN, actor=SYSTEM,
                       **{o.rule: {"erased": o.erased, "held": o.held} for o in outcomes})
    return outcomes


def periodic() -> None:
    """From the `serve` ticker: at most once an hour."""
    global _last_run
    if time.time() - _last_run < EVERY_SECONDS:
        return
    _last_run = time.time()
    run()
