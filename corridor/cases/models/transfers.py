"""Case transfer to another Corridor installation: the partner organisations we
send to and receive from, this organisation's receiving key, the person's dated
consent to a transfer to one named partner, and each package sent or received.

Nothing here holds a name in clear: the package is age ciphertext for the
partner (this server cannot open what it sent), the receiving identity sits
under a data key wrapped by the root key in keyd, and a consent record is a kind
of agreement and a date.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.access import Referral
from corridor.cases.models.cases import Case
from corridor.crypto.fields import EncryptedField


class TransferPart(models.TextChoices):
    IDENTITY = "identity", _("Identity (names, phone, notes, case summary)")
    DOCUMENTS = "documents", _("Identity documents")
    SERVICES = "services", _("Services given")
    TESTIMONIES = "testimonies", _("Testimonies")


class Partner(models.Model):
    """A receiving (or sending) organisation on another installation, with the
    keys its administrator handed over in person or over a verified channel."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    # age X25519 recipient ("age1..."): packages to this partner are encrypted to it.
    recipient = models.CharField(_("age public key"), max_length=100)
    # C2SP note verifier key of the partner's audit log ("origin+hash+key"): the
    # packages it sends must be sealed in a checkpoint signed by this key.
    log_key = models.CharField(_("log key"), max_length=300)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "recipient"], name="partner_recipient_unique"),
            models.UniqueConstraint(fields=["organisation", "log_key"], name="partner_log_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_id(self) -> str:
        return str(self.id)


class ReceivingKey(models.Model):
    """This organisation's age identity for packages sent to it. The secret is an
    encrypted field under its own data key, so it opens only through keyd while
    unsealed (each import is one audited, rate-limited unwrap) and a seized disk
    holds only its ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=100)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    secret = EncryptedField()
    created = models.DateTimeField(default=timezone.now)


class TransferConsent(models.Model):
    """The person agreed, on a date, to their case going to one named partner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfer_consents")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="consents")
    how = models.CharField(_("how the person agreed"), max_length=10, choices=Referral.Consent.choices)
    given_on = models.DateField(_("consent given on"))
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_on", "-created"]


class Transfer(models.Model):
    """An outgoing package: one coordinator asks, a second approves (as for every
    export of case content), the package is built on approval and downloaded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        READY = "ready", _("Approved, package ready")
        DECLINED = "declined", _("Declined")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL, related_name="transfers")
    case_code = models.CharField(max_length=16)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="transfers")
    consent = models.ForeignKey(TransferConsent, null=True, on_delete=models.SET_NULL, related_name="+")
    parts = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # age ciphertext to the partner's key only: this server cannot read it back.
    package = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created"]

    @property
    def audit_id(self) -> str:
        return str(self.id)


class TransferReceipt(models.Model):
    """An imported package. The unique constraints refuse a replay: the same
    package (same sealed manifest), or the same transfer of the same sender."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="receipts")
    transfer_id = models.CharField(max_length=36)
    manifest_sha256 = models.CharField(max_length=64)
    package_sha256 = models.CharField(max_length=64)
    sender_seq = models.PositiveBigIntegerField()
    case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL, related_name="+")
    case_code = models.CharField(max_length=16)
    # The sender's consent record as it came: how, when, to whom, who recorded it.
    consent = models.JSONField(default=dict)
    parts = models.JSONField(default=list)
    imported_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "manifest_sha256"], name="transfer_receipt_manifest_unique"),
            models.UniqueConstraint(fields=["organisation", "partner", "transfer_id"], name="transfer_receipt_id_unique"),
        ]

    @property
    def audit_id(self) -> str:
        return str(self.id)
