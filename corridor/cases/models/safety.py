"""Safety check-ins for people in transit or hiding, and the alerts a missed one raises."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.cases import Case
from corridor.crypto.fields import EncryptedField


class CheckIn(models.Model):
    class Status(models.TextChoices):
        OK = "ok", _("Safe")
        DISTRESS = "distress", _("In danger")

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        MESSENGER = "messenger", _("Messenger")
        CODE_WORD = "code_word", _("Agreed code word")
        IN_PERSON = "in_person", _("In person")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checkins")
    due = models.DateTimeField(null=True, blank=True)  # the due time this check-in answered
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.MESSENGER)
    note = EncryptedField()
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "-at"])]

    @property
    def data_key(self):
        return self.case.person.data_key


class Alert(models.Model):
    """Something a person on duty must act on now. Holds no content: the case code
    and the kind say enough to pick up the phone."""

    class Kind(models.TextChoices):
        MISSED_CHECKIN = "missed_checkin", _("Missed check-in")
        DISTRESS = "distress", _("Reported danger")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due = models.DateTimeField(null=True, blank=True)  # the missed due time
    raised = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["raised"]
        indexes = [models.Index(fields=["organisation", "resolved"])]
        constraints = [
            # One alert per missed due time, however often the sweep runs.
            models.UniqueConstraint(fields=["case", "kind", "due"], name="alert_once_per_due"),
        ]

    @property
    def kind_label(self) -> str:
        return self.Kind(self.kind).label
