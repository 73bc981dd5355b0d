"""Evidence exports: requested by one person, approved by another, then built.

The two-person rule is enforced here, not in the view: the approver must hold
EVIDENCE_APPROVE_EXPORT, belong to the same organisation and not be the requester.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyrage import x25519

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey
from corridor.evidence import storage
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import Audience, BundleRequest, BundleStatus
from corridor.evidence.services.common import EvidenceError, same_org, save_with_code

log = logging.getLogger("corridor.evidence")
MAX_RECIPIENTS = 20


def parse_recipients(text: str) -> list[str]:
    """age X25519 public keys, one per line (comments with #)."""
    keys = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            x25519.Recipient.from_str(line)
        except Exception:
            raise EvidenceError(_("%(key)s is not an age public key (it starts with age1).") % {"key": line[:24]}) from None
        keys.append(line)
    if not keys:
        raise EvidenceError(_("Give at least one recipient's age public key."))
    if len(keys) > MAX_RECIPIENTS:
        raise EvidenceError(_("Too many recipients."))
    return list(dict.fromkeys(keys))


def bundle_request(*, actor, audience: str, recipients: list[str], events=(), files=(), purpose: str = "") -> BundleRequest:
    if not actor.can(Perm.EVIDENCE_EXPORT):
        raise EvidenceError(_("Your role may not export evidence."))
    if audience not in Audience.values:
        raise EvidenceError(_("Choose who receives the bundle."))
    if not events and not files:
        raise EvidenceError(_("Choose at least one event or file."))
    organisation = actor.organisation
    same_org(organisation, *events, *files)
    recipients = parse_recipients("\n".join(recipients))
    with transaction.atomic():
        bundle = BundleRequest(organisation=organisation, audience=audience, recipients=recipients,
                               requested_by=actor,
                               data_key=new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation))
        bundle.purpose = purpose
        save_with_code(bundle, "B")
        bundle.events.set(events)
        bundle.files.set(files)
        record(EvidenceEvent.BUNDLE_REQUESTED, actor=actor, organisation=organisation, obj=bundle, audience=audience,
               events=sorted(e.code for e in events), files=sorted(f.code for f in files),
               recipients=len(recipients))
    return bundle


def _decide(actor, bundle: BundleRequest) -> BundleRequest:
    if not actor.can(Perm.EVIDENCE_APPROVE_EXPORT) or actor.organisation_id != bundle.organisation_id:
        raise EvidenceError(_("Your role may not approve exports."))
    if actor.pk == bundle.requested_by_id:
        raise EvidenceError(_("A second person must approve: you cannot approve your own export."))
    locked = BundleRequest.objects.select_for_update().get(pk=bundle.pk)
    if locked.status != BundleStatus.PENDING:
        raise EvidenceError(_("This export was already decided."))
    return locked


def bundle_refuse(*, actor, bundle: BundleRequest) -> BundleRequest:
    with transaction.atomic():
        locked = _decide(actor, bundle)
        locked.status, locked.decided_by, locked.decided = BundleStatus.REFUSED, actor, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided"])
        record(EvidenceEvent.BUNDLE_REFUSED, actor=actor, organisation=locked.organisation, obj=locked)
    return locked


def bundle_approve(*, actor, bundle: BundleRequest) -> BundleRequest:
    """Approve, then build at once. A failed build is recorded and can be retried."""
    from corridor.evidence.bundle_build import build

    with transaction.atomic():
        locked = _decide(actor, bundle)
        locked.status, locked.decided_by, locked.decided = BundleStatus.APPROVED, actor, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided"])
        record(EvidenceEvent.BUNDLE_APPROVED, actor=actor, organisation=locked.organisation, obj=locked,
               requested_by=locked.requested_by.principal)
    return _build(actor, locked, build)


def bundle_rebuild(*, actor, bundle: BundleRequest) -> BundleRequest:
    from corridor.evidence.bundle_build import build

    if bundle.status != BundleStatus.FAILED or actor.pk not in (bundle.decided_by_id, bundle.requested_by_id):
        raise EvidenceError(_("Only a failed export can be built again."))
    return _build(actor, bundle, build)


def _build(actor, bundle: BundleRequest, build) -> BundleRequest:
    try:
        return build(bundle=bundle, actor=actor)
    except Exception as exc:
        log.exception("bundle %s failed to build", bundle.code)
        with transaction.atomic():
            BundleRequest.objects.filter(pk=bundle.pk).update(status=BundleStatus.FAILED)
            record(EvidenceEvent.BUNDLE_FAILED, actor=actor, organisation=bundle.organisation, obj=bundle,
                   error=exc.__class__.__name__)
        bundle.status = BundleStatus.FAILED
        return bundle


def bundle_download(*, actor, bundle: BundleRequest):
    """The age file, encrypted to the recipients: only they can open it."""
    if bundle.status != BundleStatus.READY or not bundle.blob:
        raise EvidenceError(_("This export is not ready."))
    with transaction.atomic():
        record(EvidenceEvent.BUNDLE_DOWNLOADED, actor=actor, organisation=bundle.organisation, obj=bundle,
               sha256=bundle.sha256)
    return storage.open_blob(bundle.blob)


EXPORT_KINDS = {"huridocs": ("huridocs-esf.json", "application/json"), "uwazi": ("uwazi.csv", "text/csv")}


def bundle_export_as(*, actor, bundle: BundleRequest, kind: str) -> bytes:
    """The approved export as HURIDOCS-shaped JSON or an Uwazi CSV, age-encrypted to
    the bundle's recipients (only they can open it), and recorded.

    Only a bundle a second person approved (and that was built) can be exported this
    way; consent is applied again now, for the bundle's audience, so a consent
    withdrawn since the approval is honoured.
    """
    import hashlib
    import json

    import pyrage

    from corridor.evidence import huridocs
    from corridor.evidence.bundle_build import select_contents

    if kind not in EXPORT_KINDS:
        raise EvidenceError(_("Unknown export format."))
    if bundle.status != BundleStatus.READY or bundle.decided_by_id is None:
        raise EvidenceError(_("This export is not ready."))
    contents = select_contents(bundle)
    if kind == "huridocs":
        plain = json.dumps(huridocs.esf_document(bundle, contents), ensure_ascii=False, indent=1,
                           sort_keys=True).encode("utf-8")
    else:
        plain = huridocs.uwazi_csv(contents).encode("utf-8")
    sealed = pyrage.encrypt(plain, [x25519.Recipient.from_str(r) for r in bundle.recipients])
    with transaction.atomic():
        record(EvidenceEvent.BUNDLE_EXPORTED_AS, actor=actor, organisation=bundle.organisation, obj=bundle,
               kind=kind, sha256=hashlib.sha256(sealed).hexdigest(), events=len(contents["events"]),
               acts=len(contents["acts"]))
    return sealed
