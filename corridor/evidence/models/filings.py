from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class Body(models.TextChoices):
    INVESTIGATIVE_COMMITTEE = "ic", _("Investigative Committee")
    PROSECUTOR = "prosecutor", _("Prosecutor's office")
    COURT = "court", _("Domestic court")
    ECHR = "echr", _("European Court of Human Rights")
    UN = "un", _("UN body")
    OSCE = "osce", _("OSCE")
    ICC = "icc", _("International Criminal Court")


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    LODGED = "lodged", _("Lodged")
    COMMUNICATED = "communicated", _("Communicated / under examination")
    DECIDED = "decided", _("Decided")
    REJECTED = "rejected", _("Rejected or inadmissible")
    CLOSED = "closed", _("Closed")


class Filing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    body = models.CharField(_("body"), max_length=12, choices=Body.choices)
    status = models.CharField(_("status"), max_length=12, choices=FilingStatus.choices, default=FilingStatus.DRAFT)
    title = EncryptedField()
    reference = EncryptedField()
    notes = EncryptedField()
    final_decision_on = models.DateField(_("final domestic decision"), null=True, blank=True)
    lodged_on = models.DateField(_("lodged on"), null=True, blank=True)
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True)
    next_step = EncryptedField()
    events = models.ManyToManyField("evidence.ViolationEvent", blank=True, related_name="filings")
    people = models.ManyToManyField("cases.Person", blank=True, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="evidence_filing_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code


class StepKind(models.TextChoices):
    SUBMISSION = "submission", _("Our submission")
    RESPONSE = "response", _("Response received")
    DECISION = "decision", _("Decision")
    REQUEST = "request", _("Request for information")
    OTHER = "other", _("Other")


class FilingStep(models.Model):
    """One dated step: a submission, a response, a decision; may set the next deadline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="steps")
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices)
    text = EncryptedField()
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "created"]

    @property
    def data_key(self):
        return self.filing.data_key
