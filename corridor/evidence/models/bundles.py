from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class Audience(models.TextChoices):
    """Who receives a bundle; decides which testimonies' consent covers it, and
    whether files go as originals or as working copies without metadata."""

    LEGAL = "legal", _("Court or prosecutor (legal proceedings)")
    ECHR = "echr", _("European Court of Human Rights")
    OSCE = "osce", _("OSCE (Moscow Mechanism)")
    UN = "un", _("UN bodies")
    JOURNALIST = "journalist", _("A journalist")
    ADVOCACY = "advocacy", _("An advocacy campaign")
    PUBLIC = "public", _("The public (a published report)")


# Courts, prosecutors and the international bodies that investigate may receive the
# originals with their metadata: that metadata is evidence (when and where a photo
# was taken). Everyone else receives only the working copies without metadata.
ORIGINALS_AUDIENCES = frozenset({Audience.LEGAL, Audience.ECHR, Audience.OSCE, Audience.UN})


def receives_originals(audience: str) -> bool:
    return audience in ORIGINALS_AUDIENCES


class BundleStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    REFUSED = "refused", _("Refused")
    APPROVED = "approved", _("Approved, being built")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    REMOVED = "removed", _("Delivered; the file was removed after the retention period")


class BundleRequest(models.Model):
    """An export of chosen events and files, which a second person must approve.

    The built bundle is encrypted to the recipients' age keys only: the server
    cannot read it back, and a copy of the blob directory reveals nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    recipients = models.JSONField(_("recipients' age public keys"), default=list)
    purpose = EncryptedField()
    events = models.ManyToManyField("evidence.ViolationEvent", blank=True, related_name="+")
    files = models.ManyToManyField("evidence.EvidenceFile", blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=BundleStatus.choices, default=BundleStatus.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided = models.DateTimeField(null=True, blank=True)
    excluded = models.JSONField(default=dict, blank=True)
    blob = models.CharField(max_length=32, null=True, blank=True, unique=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    checkpoint_size = models.BigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    built = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="evidence_bundle_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code
