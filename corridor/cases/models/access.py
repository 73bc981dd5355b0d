"""Records of exceptional access: break-glass openings, bulk exports that need a
second coordinator, and referrals of a case to another organisation."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.cases import Case
from corridor.crypto.fields import EncryptedField


class BreakGlass(models.Model):
    """Someone opened a case that is not theirs, with a written reason.

    The reason has its own data key: it belongs to the organisation's access log,
    so it stays readable by this organisation's coordinators even if the case is
    later transferred, and survives the person's erasure.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL, related_name="break_glass")
    case_code = models.CharField(max_length=16)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedField()
    seen_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "case", "-expires"]), models.Index(fields=["organisation", "-at"])]


class ExportRequest(models.Model):
    """A bulk export of the case list: one coordinator asks, another approves, the
    asker downloads it once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved, not downloaded")
        DECLINED = "declined", _("Declined")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200)
    # The list filters (stage, worker, country): codes only, never content.
    filters = models.JSONField(default=dict)
    include_names = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]


class Referral(models.Model):
    """A case (and its household) handed to another organisation of the network.

    The note for the receiving coordinator has its own key bound to the receiving
    organisation: they must read it to decide, before they may read the case.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the other organisation")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Consent(models.TextChoices):
        SPOKEN = "spoken", _("Said yes in a call or meeting")
        WRITTEN = "written", _("Wrote yes (message or letter)")
        GUARDIAN = "guardian", _("A parent or guardian agreed for a child")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    from_org = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    to_org = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    from_code = models.CharField(max_length=16)
    to_code = models.CharField(max_length=16, blank=True)
    stage = models.CharField(max_length=20)  # at the time of referral, for the receiver's decision
    members = models.PositiveSmallIntegerField(default=1)
    consent = models.CharField(max_length=10, choices=Consent.choices)
    consent_at = models.DateField()
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    note = EncryptedField()
    decline_reason = EncryptedField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["to_org", "status"]), models.Index(fields=["from_org", "status"])]

    @property
    def audit_id(self) -> str:
        return str(self.id)


class ErasureRequest(models.Model):
    """Erasing a person for good: one coordinator asks with a reason, a second
    coordinator or an administrator approves, and the approval carries it out.
    Testimonies a lodged court filing relies on are kept only on a legal officer's
    recorded decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        DONE = "done", _("Erased")
        DECLINED = "declined", _("Declined")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    person_code = models.CharField(max_length=16)
    include_household = models.BooleanField(_("erase the household members too"), default=False)
    # The reason may name the person: it sits under its own data key, destroyed on erasure.
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedField()
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    legal_hold_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    # What went, as counts (no identity): shown on the request afterwards.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"erasure of {self.person_code}"

    @property
    def audit_id(self) -> str:
        return self.person_code
