"""Case transfer to another Corridor installation (docs/transfer.md).

Sending: an administrator records the partner and its keys; a coordinator
records the person's dated consent to go to that partner; a coordinator asks
for a package of chosen parts; a second coordinator approves (every export of
case content needs two people, as bundles and list exports do), which seals
the manifest in the audit log, signs a checkpoint over it and encrypts the
package to the partner's age key. Receiving: a coordinator uploads it; it is
checked against the partner's recorded log key and imported under a new
pseudonym with the sender's consent record attached.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyrage import x25519

from corridor.accounts.permissions import Perm
from corridor.audit.checkpoint import verifier_key
from corridor.audit.models import AuditEntry
from corridor.audit.services import inclusion_proof, latest_checkpoint, make_checkpoint, record
from corridor.cases import transfer_package as pkg
from corridor.cases.events import CaseEvent
from corridor.cases.models import (
    EXITS,
    Case,
    Document,
    Note,
    Partner,
    ReceivingKey,
    Referral,
    Transfer,
    TransferConsent,
    TransferPart,
    TransferReceipt,
)
from corridor.crypto.keys import keyd, new_data_key
from corridor.crypto.models import DataKey


def _require(actor, perm: Perm, message: str) -> None:
    if not actor.can(perm):
        raise ValidationError(message)


def own_log_key() -> str:
    public_key, origin = keyd().public_key()
    return verifier_key(origin, public_key)


def receiving_key_ensure(*, actor, organisation) -> ReceivingKey:
    """This organisation's age identity for incoming packages, made once."""
    with transaction.atomic():
        existing = ReceivingKey.objects.select_for_update().filter(organisation=organisation).first()
        if existing:
            return existing
        identity = x25519.Identity.generate()
        rk = ReceivingKey(organisation=organisation, recipient=str(identity.to_public()),
                          data_key=new_data_key(scope=DataKey.Scope.ORGANISATION, organisation=organisation))
        rk.secret = str(identity)
        rk.save(force_insert=True)
        record(CaseEvent.RECEIVING_KEY_CREATED, actor=actor, organisation=organisation, object_type="cases.receivingkey",
               object_id=str(organisation.pk), recipient=rk.recipient)
    return rk


def partner_create(*, actor, name: str, recipient: str, log_key: str) -> Partner:
    _require(actor, Perm.MANAGE_USERS, _("Only an administrator can record a partner installation."))
    name, recipient, log_key = (name or "").strip(), (recipient or "").strip(), (log_key or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the partner organisation.")
    try:
        x25519.Recipient.from_str(recipient)
    except Exception:
        errors["recipient"] = _("This is not an age public key (it starts with “age1”).")
    try:
        from corridor.audit.checkpoint import parse_verifier_key

        parse_verifier_key(log_key)
    except (ValueError, TypeError):
        errors["log_key"] = _("This is not a log key (name+hash+key, as the partner's installation shows it).")
    if errors:
        raise ValidationError(errors)
    organisation = actor.organisation
    with transaction.atomic():
        if Partner.objects.filter(organisation=organisation, recipient=recipient).exists() or \
                Partner.objects.filter(organisation=organisation, log_key=log_key).exists():
            raise ValidationError(_("A partner with this key is already recorded."))
        partner = Partner.objects.create(organisation=organisation, name=name, recipient=recipient,
                                         log_key=log_key, created_by=actor)
        record(CaseEvent.PARTNER_RECORDED, actor=actor, organisation=organisation, obj=partner,
               recipient=recipient, log_key=log_key)
    receiving_key_ensure(actor=actor, organisation=organisation)
    return partner


def _same_org(actor, case: Case, partner: Partner) -> None:
    if actor.organisation_id != case.organisation_id or partner.organisation_id != case.organisation_id:
        raise ValidationError(_("Only a coordinator of this organisation can transfer the case."))


def transfer_consent_record(*, actor, case: Case, partner: Partner, how: str, given_on: date) -> TransferConsent:
    _require(actor, Perm.CASE_REFER, _("Only a coordinator can record consent to a transfer."))
    _same_org(actor, case, partner)
    if how not in Referral.Consent.values:
        raise ValidationError({"how": _("Record how the person agreed: without consent the case cannot go.")})
    if given_on is None or given_on > timezone.localdate():
        raise ValidationError({"given_on": _("When did the person agree? The date cannot be in the future.")})
    with transaction.atomic():
        consent = TransferConsent.objects.create(case=case, partner=partner, how=how, given_on=given_on,
                                                 recorded_by=actor)
        record(CaseEvent.TRANSFER_CONSENT_RECORDED, actor=actor, organisation=case.organisation_id, obj=case,
               partner=str(partner.pk), how=how, given_on=given_on.isoformat())
    return consent


def transfer_request(*, actor, case: Case, partner: Partner, parts: list[str]) -> Transfer:
    _require(actor, Perm.CASE_REFER, _("Only a coordinator can transfer a case."))
    _same_org(actor, case, partner)
    parts = [p for p in TransferPart.values if p in set(parts or [])]
    if not parts or len(parts) != len(set(parts or [])):
        raise ValidationError({"parts": _("Choose what goes: at least one part of the case.")})
    if case.stage in EXITS:
        raise ValidationError(_("A closed case cannot be transferred; reopen it first."))
    consent = TransferConsent.objects.filter(case=case, partner=partner).first()
    if consent is None:
        raise ValidationError(_("The person's consent to a transfer to %(partner)s is not recorded: record it "
                                "first. Consent to another partner does not count.") % {"partner": partner.name})
    with transaction.atomic():
        transfer = Transfer.objects.create(organisation_id=case.organisation_id, case=case, case_code=case.code,
                                           partner=partner, consent=consent, parts=parts, requested_by=actor)
        record(CaseEvent.TRANSFER_REQUESTED, actor=actor, organisation=case.organisation_id, obj=case,
               transfer=str(transfer.pk), partner=str(partner.pk), parts=parts, consent=str(consent.pk))
    return transfer


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _parts(case: Case, parts: list[str]) -> dict[str, object]:
    person = case.person
    out: dict[str, object] = {}
    if TransferPart.IDENTITY in parts:
        out["identity"] = {
            "identity": person.identity if isinstance(person.identity, dict) else {},
            "phone": person.phone or "", "notes": person.notes or "", "risk": person.risk,
            "wanted": person.wanted, "wanted_note": person.wanted_note or "",
            "identifiers": [{"kind": i.kind, "value": i.value, "label": i.label or ""}
                            for i in person.identifiers.all()],
            "summary": case.summary or "", "stage": case.stage, "opened": _iso(case.opened),
        }
    if TransferPart.DOCUMENTS in parts:
        out["documents"] = [
            {"kind": d.kind, "status": d.status, "number": d.number or "", "issued": _iso(d.issued),
             "expires": _iso(d.expires), "problems": d.problems or ""}
            for d in Document.objects.filter(person=person).order_by("updated")
        ]
    if TransferPart.SERVICES in parts:
        out["services"] = [
            {"kind": s.kind, "provider": s.provider or "", "started": _iso(s.started), "ended": _iso(s.ended),
             "cost": str(s.cost) if s.cost is not None else None, "currency": s.currency, "outcome": s.outcome,
             "details": s.details or ""}
            for s in case.services.order_by("started", "created")
        ]
    if TransferPart.TESTIMONIES in parts:
        from corridor.evidence.models import Testimony

        out["testimonies"] = [
            {"language": t.language, "transcript": t.transcript or "", "summary": t.summary or "",
             "interviewed_on": _iso(t.interviewed_on), "consent_public": t.consent_public,
             "consent_legal": t.consent_legal, "consent_note": t.consent_note or ""}
            for t in Testimony.objects.filter(person=person).select_related("data_key").order_by("interviewed_on")
        ]
    return out


def transfer_decline(*, actor, transfer: Transfer) -> Transfer:
    _require(actor, Perm.CASE_EXPORT_APPROVE, _("Only a coordinator can decide on a transfer."))
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != Transfer.Status.PENDING or transfer.decided_by_id:
            raise ValidationError(_("This transfer was already decided."))
        transfer.status, transfer.decided_by, transfer.decided_at = Transfer.Status.DECLINED, actor, timezone.now()
        transfer.save(update_fields=["status", "decided_by", "decided_at"])
        record(CaseEvent.TRANSFER_DECLINED, actor=actor, organisation=transfer.organisation_id, obj=transfer)
    return transfer


def transfer_approve(*, actor, transfer: Transfer) -> Transfer:
    """Approve and build. Runs outside any transaction: the sealing entry must be
    committed before keyd signs a checkpoint over it (a signed head that a later
    rollback undid would make keyd refuse every later checkpoint)."""
    _require(actor, Perm.CASE_EXPORT_APPROVE, _("Only a coordinator can approve a transfer."))
    if actor.organisation_id != transfer.organisation_id:
        raise ValidationError(_("Only a coordinator of this organisation can approve the transfer."))
    if actor.pk == transfer.requested_by_id:
        raise ValidationError(_("A second coordinator must approve: you asked for this transfer."))
    partner = transfer.partner
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.status != Transfer.Status.PENDING or locked.decided_by_id:
            raise ValidationError(_("This transfer was already decided."))
        case = Case.objects.select_related("person__data_key").filter(pk=locked.case_id).first()
        consent = TransferConsent.objects.filter(pk=locked.consent_id, partner=partner).first()
        if case is None or consent is None:
            raise ValidationError(_("The case or its consent record is gone: this transfer can no longer go."))
        parts = _parts(case, locked.parts)
        bodies = {name: pkg.dumps(value) for name, value in parts.items()}
        manifest = pkg.dumps({
            "format": pkg.FORMAT, "transfer": str(locked.pk),
            "sender": {"organisation": str(locked.organisation.name), "log_key": own_log_key()},
            "recipient": {"name": partner.name, "age": partner.recipient},
            "case": {"code": case.code, "stage": case.stage, "household_members": 1},
            "consent": {"to": partner.name, "how": consent.how, "given_on": consent.given_on.isoformat(),
                        "recorded_by": consent.recorded_by.principal,
                        "recorded": consent.created.astimezone(UTC).isoformat(timespec="seconds")},
            "requested_by": locked.requested_by.principal, "approved_by": actor.principal,
            "created": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
            "parts": {name: {"path": pkg.part_path(name), "sha256": hashlib.sha256(body).hexdigest(),
                             "size": len(body)} for name, body in bodies.items()},
        })
        manifest_sha = hashlib.sha256(manifest).hexdigest()
        locked.decided_by, locked.decided_at, locked.manifest_sha256 = actor, timezone.now(), manifest_sha
        locked.save(update_fields=["decided_by", "decided_at", "manifest_sha256"])
        sealed = record(CaseEvent.TRANSFER_SEALED, actor=actor, organisation=locked.organisation_id, obj=locked,
                        manifest_sha256=manifest_sha, recipient=partner.recipient, partner=str(partner.pk),
                        case=case.code, parts=sorted(bodies))
    make_checkpoint()
    checkpoint = latest_checkpoint()
    if checkpoint is None or checkpoint.size <= sealed.seq:
        raise ValidationError(_("The audit log could not sign a checkpoint; try again once the server is unsealed."))
    leaf = bytes(AuditEntry.objects.get(seq=sealed.seq).leaf)
    members = [(pkg.MANIFEST, manifest), *[(pkg.part_path(n), b) for n, b in sorted(bodies.items())],
               (pkg.PROOFS, pkg.proofs_json(tree_size=checkpoint.size, seq=sealed.seq, leaf=leaf,
                                            proof=inclusion_proof(sealed.seq, checkpoint.size))),
               (pkg.CHECKPOINT, checkpoint.note.encode("utf-8") if isinstance(checkpoint.note, str)
                else bytes(checkpoint.note)),
               (pkg.LOG_KEY, (own_log_key() + "\n").encode())]
    package = pkg.seal(members, partner.recipient, int(datetime.now(UTC).timestamp()))
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        locked.package, locked.sha256 = package, hashlib.sha256(package).hexdigest()
        locked.status = Transfer.Status.READY
        locked.save(update_fields=["package", "sha256", "status"])
        record(CaseEvent.TRANSFER_BUILT, actor=actor, organisation=locked.organisation_id, obj=locked,
               sha256=locked.sha256, size=len(package), checkpoint=checkpoint.size, case=locked.case_code,
               partner=str(partner.pk))
        record(CaseEvent.CASE_TRANSFERRED_OUT, actor=actor, organisation=locked.organisation_id,
               object_type="cases.case", object_id=locked.case_code, transfer=str(locked.pk),
               partner=str(partner.pk), parts=sorted(bodies))
    return locked


def transfer_download(*, actor, transfer: Transfer) -> bytes:
    if actor.pk not in (transfer.requested_by_id, transfer.decided_by_id) or transfer.status != Transfer.Status.READY:
        raise ValidationError(_("Only the coordinators who asked for and approved this transfer can download it."))
    with transaction.atomic():
        record(CaseEvent.TRANSFER_DOWNLOADED, actor=actor, organisation=transfer.organisation_id, obj=transfer,
               sha256=transfer.sha256)
    return bytes(transfer.package)


def _refuse(actor, reason: str, message: str, package_sha: str):
    with transaction.atomic():
        record(CaseEvent.TRANSFER_REFUSED, actor=actor, organisation=actor.organisation_id,
               object_type="cases.transferreceipt", object_id=package_sha[:16], reason=reason, sha256=package_sha)
    raise ValidationError(message)


def transfer_import(*, actor, data: bytes) -> TransferReceipt:
    """Check a package and create the case under a new pseudonym of this organisation."""
    _require(actor, Perm.CASE_REFER, _("Only a coordinator can import a transferred case."))
    organisation = actor.organisation
    package_sha = hashlib.sha256(data).hexdigest()
    rk = ReceivingKey.objects.filter(organisation=organisation).first()
    if rk is None:
        raise ValidationError(_("This organisation has no receiving key yet: an administrator records a partner first."))
    try:
        members, log_key = pkg.open_package(data, identity=rk.secret)
        partner = Partner.objects.filter(organisation=organisation, log_key=log_key).first()
        if partner is None:
            raise pkg.TransferRefused(_("The package comes from an installation that is not a recorded partner."))
        opened = pkg.verify(members, log_key=partner.log_key, recipient=rk.recipient)
    except pkg.TransferRefused as exc:
        _refuse(actor, "unverified", str(exc), package_sha)
    transfer_id = str(opened.manifest["transfer"])
    earlier = TransferReceipt.objects.filter(organisation=organisation).filter(
        manifest_sha256=opened.manifest_sha256).first() or TransferReceipt.objects.filter(
        organisation=organisation, partner=partner, transfer_id=transfer_id).first()
    if earlier:
        _refuse(actor, "replay", _("This package was already imported, as %(code)s.") % {"code": earlier.case_code},
                package_sha)
    try:
        with transaction.atomic():
            receipt = _create_case(actor, partner, opened, transfer_id, package_sha)
    except IntegrityError:
        _refuse(actor, "replay", _("This package was already imported."), package_sha)
    except (ValidationError, ValueError, KeyError, TypeError):
        _refuse(actor, "content", _("The package verifies but its contents cannot be imported."), package_sha)
    return receipt


def _date(value):
    return date.fromisoformat(value) if value else None


def _create_case(actor, partner: Partner, opened: pkg.Opened, transfer_id: str, package_sha: str) -> TransferReceipt:
    from decimal import Decimal

    from corridor.cases.services.cases import case_open, note_add
    from corridor.cases.services.people import identifier_add, person_create, person_set_wanted
    from corridor.cases.services.support import document_add, service_add

    organisation = actor.organisation
    parts = opened.parts
    who = parts.get("identity") or {}
    person = person_create(actor=actor, organisation=organisation, identity=dict(who.get("identity") or {}),
                           phone=who.get("phone", ""), notes=who.get("notes", ""), risk=int(who.get("risk", 1)))
    if who.get("wanted"):
        person_set_wanted(actor=actor, person=person, wanted=True, note=who.get("wanted_note", ""))
    for ident in who.get("identifiers", []):
        identifier_add(actor=actor, person=person, kind=ident["kind"], value=ident["value"],
                       label=ident.get("label", ""))
    case = case_open(actor=actor, person=person, summary=who.get("summary", ""))
    for d in parts.get("documents", []):
        document_add(actor=actor, person=person, kind=d["kind"], status=d["status"], number=d.get("number", ""),
                     issued=_date(d.get("issued")), expires=_date(d.get("expires")), problems=d.get("problems", ""))
    for s in parts.get("services", []):
        service_add(actor=actor, case=case, kind=s["kind"], started=_date(s["started"]), provider=s.get("provider", ""),
                    ended=_date(s.get("ended")), cost=Decimal(s["cost"]) if s.get("cost") else None,
                    currency=s.get("currency") or "RUB", outcome=s["outcome"], details=s.get("details", ""))
    if parts.get("testimonies"):
        from corridor.evidence.services.testimonies import testimony_record

        for t in parts["testimonies"]:
            testimony_record(actor=actor, person=person, language=t["language"], transcript=t["transcript"],
                             summary=t.get("summary", ""), interviewer=actor,
                             interviewed_on=_date(t["interviewed_on"]), consent_public=bool(t["consent_public"]),
                             consent_legal=bool(t["consent_legal"]), consent_note=t.get("consent_note", ""))
    consent = dict(opened.manifest.get("consent") or {})
    consent["sender_seq"] = opened.seq
    sender_code = str(opened.manifest.get("case", {}).get("code", ""))
    note_add(actor=actor, case=case, kind=Note.Kind.DECISION, text=_(
        "Received from %(partner)s (their case %(code)s, stage %(stage)s). The person agreed to the transfer "
        "(%(how)s) on %(given)s.") % {"partner": partner.name, "code": sender_code,
                                      "stage": opened.manifest.get("case", {}).get("stage", ""),
                                      "how": consent.get("how", ""), "given": consent.get("given_on", "")})
    receipt = TransferReceipt.objects.create(
        organisation=organisation, partner=partner, transfer_id=transfer_id, manifest_sha256=opened.manifest_sha256,
        package_sha256=package_sha, sender_seq=opened.seq, case=case, case_code=case.code, consent=consent,
        parts=sorted(parts), imported_by=actor)
    record(CaseEvent.TRANSFER_IMPORTED, actor=actor, organisation=organisation, obj=receipt, case=case.code,
           partner=str(partner.pk), transfer=transfer_id, manifest_sha256=opened.manifest_sha256,
           sender_seq=opened.seq, parts=sorted(parts))
    record(CaseEvent.CASE_TRANSFERRED_IN, actor=actor, organisation=organisation, obj=case,
           receipt=str(receipt.pk), partner=str(partner.pk))
    return receipt
