from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class EvidenceFile(models.Model):
    """An uploaded file: the encrypted original (never changed) and an encrypted
    working copy without metadata (see `scrub`), or the reason there is none. Both blobs live under random names in
    the blob directory; the original file name is stored encrypted only.

    The id is bound into every chunk's associated data, and the SHA-256 of the
    plaintext original is what every custody entry in the audit log carries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    name = EncryptedField()
    description = EncryptedField()
    kind = models.CharField(_("type"), max_length=8)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    blob = models.CharField(max_length=32, unique=True)
    working_blob = models.CharField(max_length=32, null=True, blank=True, unique=True)
    working_sha256 = models.CharField(max_length=64, blank=True)
    working_size = models.BigIntegerField(null=True, blank=True)
    # Why there is no working copy (a code of `scrub.reasons()`), shown to staff.
    working_refused = models.CharField(max_length=32, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    received_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    received = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="evidence_file_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return str(self.id)

    @property
    def has_working_copy(self) -> bool:
        return bool(self.working_blob)

    @property
    def working_refused_text(self) -> str:
        from corridor.evidence.scrub import reason_text

        return reason_text(self.working_refused) if self.working_refused else ""
