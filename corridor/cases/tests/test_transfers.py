"""Case transfer to another installation, through the real services: the package
is built by one organisation and imported by another on the same test agent (two
separate installations on loopback are in test_transfer_two_installations.py).
Every refusal is tried as an attacker would: a flipped byte, a package re-signed
with another key, re-encrypted to another recipient, replayed, or sent by
someone who is not a partner."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.exceptions import ValidationError
from django.utils import timezone
from pyrage import x25519

from corridor.audit.checkpoint import open_checkpoint, parse_verifier_key, verifier_key
from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases import transfer_package as pkg
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Partner, ReceivingKey, Transfer, TransferReceipt
from corridor.cases.services import transfers
from corridor.evidence import models as evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    """North (sender) and Partner (receiver) have recorded each other."""
    log_key = transfers.own_log_key()
    receiver_key = transfers.receiving_key_ensure(actor=cast.partner_coordinator, organisation=cast.other_org)
    to_partner = transfers.partner_create(actor=cast.admin, name="Rainbow Haven", recipient=receiver_key.recipient,
                                          log_key=log_key)
    sender_key = ReceivingKey.objects.get(organisation=cast.org)
    admin2 = _admin(cast.other_org)
    from_north = transfers.partner_create(actor=admin2, name="North", recipient=sender_key.recipient,
                                          log_key=log_key)
    return to_partner, from_north


def _admin(org):
    from corridor.accounts.permissions import Role
    from corridor.accounts.services import user_create

    user, _device = user_create(actor="system:test", organisation=org, username="padmin", role=Role.ADMIN,
                                password="a long test password 1", display_name="Padmin")
    return user


@pytest.fixture
def case(cast, alice_case):
    services.document_add(actor=cast.alice, person=alice_case.person, kind="internal_passport", status="lost",
                          number="96 01 123456", problems="taken at the checkpoint")
    services.service_add(actor=cast.alice, case=alice_case, kind="medical", started=timezone.localdate(),
                         provider="клиника Надежда", details="перелом руки")
    services.identifier_add(actor=cast.alice, person=alice_case.person, kind="handle", value="@ivan_p")
    from corridor.evidence.services.testimonies import testimony_record

    testimony_record(actor=cast.legal, person=alice_case.person, language="ru", transcript="Меня держали в подвале",
                     summary="задержание", interviewer=cast.legal, interviewed_on=timezone.localdate(),
                     consent_legal=True)
    return alice_case


def _package(cast, case, partner, parts=("identity", "documents", "services", "testimonies")) -> bytes:
    services_ = transfers
    services_.transfer_consent_record(actor=cast.coordinator, case=case, partner=partner, how="written",
                                      given_on=timezone.localdate() - timedelta(days=1))
    transfer = services_.transfer_request(actor=cast.coordinator, case=case, partner=partner, parts=list(parts))
    transfer = services_.transfer_approve(actor=cast.coordinator2, transfer=transfer)
    return services_.transfer_download(actor=cast.coordinator, transfer=transfer)


def _refused(cast, data: bytes, words: str) -> None:
    before = Case.objects.filter(organisation=cast.other_org).count()
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_import(actor=cast.partner_coordinator, data=data)
    assert words in " ".join(exc.value.messages)
    assert Case.objects.filter(organisation=cast.other_org).count() == before
    assert AuditEntry.objects.filter(code=CaseEvent.TRANSFER_REFUSED, organisation=str(cast.other_org.pk)).exists()


def test_a_case_arrives_whole_under_a_new_pseudonym(cast, pair, case):
    to_partner, from_north = pair
    data = _package(cast, case, to_partner)
    assert b"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd" not in data and b"ivan_p" not in data  # age ciphertext only
    receipt = transfers.transfer_import(actor=cast.partner_coordinator, data=data)
    new = receipt.case
    assert new.organisation == cast.other_org and new.code != case.code and new.code.startswith("P-")
    assert new.person.identity["name_cyrillic"] == "Иван Петров"
    assert new.person.phone == case.person.phone and new.person.notes == "secret-notes"
    assert new.summary == case.summary
    assert [i.value for i in new.person.identifiers.all()] == [i.value for i in case.person.identifiers.all()]
    doc = new.person.documents.get()
    assert (doc.kind, doc.status, doc.number, doc.problems) == ("internal_passport", "lost", "96 01 123456",
                                                                 "taken at the checkpoint")
    service = new.services.get()
    assert (service.provider, service.details) == ("клиника Надежда", "перелом руки")
    testimony = evidence.Testimony.objects.get(person=new.person)
    assert testimony.transcript == "Меня держали в подвале" and testimony.consent_legal
    # the sender's consent record is attached, and the note says where the case came from
    assert receipt.partner == from_north
    assert receipt.consent["to"] == "Rainbow Haven" and receipt.consent["how"] == "written"
    assert receipt.consent["given_on"] == (timezone.localdate() - timedelta(days=1)).isoformat()
    assert case.code in new.notes.get().text
    # audited on both sides; the leaves hold codes and hashes, never the name
    sent = AuditEntry.objects.get(code=CaseEvent.TRANSFER_SEALED)
    assert sent.organisation == str(cast.org.pk)
    got = AuditEntry.objects.get(code=CaseEvent.TRANSFER_IMPORTED)
    assert got.organisation == str(cast.other_org.pk)
    assert json.loads(bytes(got.leaf))["data"]["manifest_sha256"] == json.loads(bytes(sent.leaf))["data"]["manifest_sha256"]
    for entry in AuditEntry.objects.filter(code__in=[int(c) for c in CaseEvent if c.value >= 4110]):
        assert "Иван".encode("unicode_escape") not in bytes(entry.leaf) and b"ivan" not in bytes(entry.leaf).lower()


def test_only_chosen_parts_go(cast, pair, case):
    to_partner, _ = pair
    receipt = transfers.transfer_import(actor=cast.partner_coordinator,
                                        data=_package(cast, case, to_partner, parts=("identity",)))
    assert receipt.parts == ["identity"]
    assert not receipt.case.person.documents.exists() and not receipt.case.services.exists()
    assert not evidence.Testimony.objects.filter(person=receipt.case.person).exists()


def test_export_is_refused_without_consent_naming_this_partner(cast, pair, case):
    to_partner, _ = pair
    with pytest.raises(ValidationError, match="consent"):
        transfers.transfer_request(actor=cast.coordinator, case=case, partner=to_partner, parts=["identity"])
    other = transfers.partner_create(actor=cast.admin, name="Elsewhere", recipient=str(x25519.Identity.generate().to_public()),
                                     log_key=_foreign_log_key()[1])
    transfers.transfer_consent_record(actor=cast.coordinator, case=case, partner=other, how="spoken",
                                      given_on=timezone.localdate())
    with pytest.raises(ValidationError, match="Rainbow Haven"):
        transfers.transfer_request(actor=cast.coordinator, case=case, partner=to_partner, parts=["identity"])
    with pytest.raises(ValidationError, match="future"):
        transfers.transfer_consent_record(actor=cast.coordinator, case=case, partner=to_partner, how="written",
                                          given_on=timezone.localdate() + timedelta(days=1))


def test_two_people_are_needed_and_workers_cannot_send(cast, pair, case):
    to_partner, _ = pair
    transfers.transfer_consent_record(actor=cast.coordinator, case=case, partner=to_partner, how="written",
                                      given_on=timezone.localdate())
    with pytest.raises(ValidationError):
        transfers.transfer_request(actor=cast.alice, case=case, partner=to_partner, parts=["identity"])
    transfer = transfers.transfer_request(actor=cast.coordinator, case=case, partner=to_partner, parts=["identity"])
    with pytest.raises(ValidationError, match="second coordinator"):
        transfers.transfer_approve(actor=cast.coordinator, transfer=transfer)
    with pytest.raises(ValidationError):
        transfers.transfer_approve(actor=cast.partner_coordinator, transfer=transfer)
    with pytest.raises(ValidationError):
        transfers.transfer_download(actor=cast.coordinator, transfer=transfer)
    assert Transfer.objects.get().package is None
    transfers.transfer_approve(actor=cast.coordinator2, transfer=transfer)
    with pytest.raises(ValidationError, match="already decided"):
        transfers.transfer_approve(actor=cast.coordinator2, transfer=transfer)
    with pytest.raises(ValidationError):
        transfers.transfer_download(actor=cast.alice, transfer=Transfer.objects.get())


def test_only_an_administrator_records_a_partner_and_keys_are_checked(cast):
    good = str(x25519.Identity.generate().to_public())
    with pytest.raises(ValidationError):
        transfers.partner_create(actor=cast.coordinator, name="X", recipient=good, log_key=transfers.own_log_key())
    with pytest.raises(ValidationError) as exc:
        transfers.partner_create(actor=cast.admin, name="X", recipient="age1notakey", log_key="nope")
    assert set(exc.value.message_dict) == {"recipient", "log_key"}
    assert not Partner.objects.exists()


@pytest.mark.parametrize("where", ["header", "middle", "last"])
def test_a_flipped_byte_anywhere_is_refused(cast, pair, case, where):
    to_partner, _ = pair
    data = bytearray(_package(cast, case, to_partner))
    index = {"header": 40, "middle": len(data) // 2, "last": len(data) - 1}[where]
    data[index] ^= 0x01
    _refused(cast, bytes(data), "altered")
    assert not TransferReceipt.objects.exists()


def _open(cast, data: bytes) -> dict[str, bytes]:
    identity = ReceivingKey.objects.get(organisation=cast.other_org).secret
    members, _ = pkg.open_package(data, identity=identity)
    return members


def _reseal(members: dict[str, bytes], recipient: str) -> bytes:
    order = [pkg.MANIFEST, *sorted(n for n in members if n.startswith(pkg.PARTS_DIR)), pkg.PROOFS,
             pkg.CHECKPOINT, pkg.LOG_KEY]
    return pkg.seal([(n, members[n]) for n in order if n in members], recipient, 0)


def test_an_insider_who_edits_a_part_and_re_encrypts_is_refused(cast, pair, case):
    """Whoever holds the receiving key can decrypt and re-encrypt: the hashes and the
    signed log still catch the change."""
    to_partner, _ = pair
    members = _open(cast, _package(cast, case, to_partner))
    recipient = ReceivingKey.objects.get(organisation=cast.other_org).recipient
    edited = dict(members)
    edited[pkg.part_path("identity")] = members[pkg.part_path("identity")].replace("Петров".encode(), "Сидоров".encode())
    _refused(cast, _reseal(edited, recipient), "does not match its hash")
    manifest = json.loads(members[pkg.MANIFEST])
    manifest["parts"]["identity"]["sha256"] = hashlib.sha256(edited[pkg.part_path("identity")]).hexdigest()
    edited[pkg.MANIFEST] = pkg.dumps(manifest)
    _refused(cast, _reseal(edited, recipient), "not the one sealed")
    extra = dict(members)
    extra[pkg.part_path("housing")] = b"{}"
    _refused(cast, _reseal(extra, recipient), "does not list")


def _foreign_log_key():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    origin = parse_verifier_key(transfers.own_log_key())[0]
    return key, verifier_key(origin, public), public


def test_a_package_re_signed_with_another_key_is_refused(cast, pair, case):
    """An attacker forges a log with the manifest's hash and signs it with their own key
    under the partner's origin name; the receiver checks the recorded key only."""
    from corridor_verify.checkpoint import Checkpoint, sign_checkpoint

    to_partner, _ = pair
    members = _open(cast, _package(cast, case, to_partner))
    key, vkey, public = _foreign_log_key()
    leaf = json.loads(json.loads(members[pkg.PROOFS])["manifest_entry"]["leaf"])
    leaf["seq"] = 0
    leaf_bytes = json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode()
    from corridor.audit import merkle

    root = merkle.leaf_hash(leaf_bytes)
    origin = parse_verifier_key(transfers.own_log_key())[0]
    note = sign_checkpoint(Checkpoint(origin, 1, root), origin, key.sign, public)
    forged = dict(members)
    forged[pkg.CHECKPOINT] = note.encode() if isinstance(note, str) else note
    forged[pkg.PROOFS] = pkg.proofs_json(tree_size=1, seq=0, leaf=leaf_bytes, proof=[])
    recipient = ReceivingKey.objects.get(organisation=cast.other_org).recipient
    # with the partner's log key named inside, the signature does not verify
    _refused(cast, _reseal(forged, recipient), "signature does not verify")
    # with the forger's own key named, the sender is not a partner
    forged[pkg.LOG_KEY] = (vkey + "\n").encode()
    _refused(cast, _reseal(forged, recipient), "not a recorded partner")
    # the forged note is well formed: it opens with the forger's key
    name, _, pub = parse_verifier_key(vkey)
    assert open_checkpoint(forged[pkg.CHECKPOINT], name, pub, origin=name).size == 1


def test_a_package_for_another_recipient_is_refused(cast, pair, case):
    """Rainbow Haven opens a package meant for it and re-encrypts it to a third
    organisation that also trusts North: the sealed leaf names the real recipient."""
    to_partner, _ = pair
    members = _open(cast, _package(cast, case, to_partner))
    third = x25519.Identity.generate()
    # Without the matching identity the package does not open at all.
    _refused(cast, pkg.seal([(pkg.MANIFEST, members[pkg.MANIFEST])], str(third.to_public()), 0), "another recipient")
    # The receiver's own key now belongs to the "third" organisation.
    rk = ReceivingKey.objects.get(organisation=cast.other_org)
    rk.secret, rk.recipient = str(third), str(third.to_public())
    rk.save()
    _refused(cast, _reseal(members, str(third.to_public())), "made for another recipient")


def test_a_replay_is_refused(cast, pair, case):
    to_partner, _ = pair
    data = _package(cast, case, to_partner)
    first = transfers.transfer_import(actor=cast.partner_coordinator, data=data)
    _refused(cast, data, f"already imported, as {first.case_code}")
    # re-encrypting the same content makes other bytes, but the same sealed manifest
    recipient = ReceivingKey.objects.get(organisation=cast.other_org).recipient
    _refused(cast, _reseal(_open(cast, data), recipient), "already imported")
    assert TransferReceipt.objects.count() == 1


def test_a_package_from_an_unknown_sender_is_refused(cast, pair, case):
    to_partner, from_north = pair
    data = _package(cast, case, to_partner)
    from_north.log_key = _foreign_log_key()[1]
    from_north.save()
    _refused(cast, data, "not a recorded partner")


def test_a_package_without_parts_or_damaged_proofs(cast, pair, case):
    to_partner, _ = pair
    members = _open(cast, _package(cast, case, to_partner))
    recipient = ReceivingKey.objects.get(organisation=cast.other_org).recipient
    broken = dict(members)
    proofs = json.loads(members[pkg.PROOFS])
    proofs["manifest_entry"]["proof"] = [base64.b64encode(b"\x00" * 32).decode()] * len(proofs["manifest_entry"]["proof"])
    broken[pkg.PROOFS] = pkg.dumps(proofs)
    if proofs["manifest_entry"]["proof"]:
        _refused(cast, _reseal(broken, recipient), "not in the partner's signed log")
    missing = {k: v for k, v in members.items() if k != pkg.CHECKPOINT}
    _refused(cast, _reseal(missing, recipient), "incomplete")
    _refused(cast, pyrage.encrypt(b"not a tar at all" * 40, [x25519.Recipient.from_str(recipient)]), "damaged")
