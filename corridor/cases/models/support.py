"""Services given to a person (medical, legal, cash...) and their identity documents."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.cases import Case
from corridor.cases.models.people import Person
from corridor.crypto.fields import BlindIndexField, EncryptedField


class Service(models.Model):
    class Kind(models.TextChoices):
        MEDICAL = "medical", _("Medical")
        PSYCHOLOGICAL = "psychological", _("Psychological")
        LEGAL = "legal", _("Legal")
        BASIC_NEEDS = "basic_needs", _("Basic needs")
        CASH = "cash", _("Cash support")
        TRAVEL = "travel", _("Travel")
        DOCUMENTS = "documents", _("Documents")

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", _("Ongoing")
        DONE = "done", _("Done")
        PARTLY = "partly", _("Partly done")
        FAILED = "failed", _("Not done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A named doctor or lawyer who helps persecuted people is at risk too.
    provider = EncryptedField()
    started = models.DateField()
    ended = models.DateField(null=True, blank=True)
    # Amounts stay in clear: the finance reports add them up without decrypting.
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="RUB")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ONGOING)
    details = EncryptedField()
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started"]

    @property
    def data_key(self):
        return self.case.person.data_key


class Document(models.Model):
    class Kind(models.TextChoices):
        INTERNAL_PASSPORT = "internal_passport", _("Internal passport")
        INTERNATIONAL_PASSPORT = "international_passport", _("International passport")
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        MARRIAGE_CERTIFICATE = "marriage_certificate", _("Marriage certificate")
        MILITARY_ID = "military_id", _("Military ID")
        OTHER = "other", _("Other document")

    class Status(models.TextChoices):
        HAVE = "have", _("Has it")
        LOST = "lost", _("Lost")
        SEIZED = "seized", _("Seized by police")
        IN_PROGRESS = "in_progress", _("Being issued")
        ISSUED = "issued", _("Issued")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    number = EncryptedField()
    number_index = BlindIndexField(kind="passport")
    issued = models.DateField(null=True, blank=True)
    expires = models.DateField(null=True, blank=True)
    problems = EncryptedField()
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-updated"]

    @property
    def data_key(self):
        return self.person.data_key

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.localdate()

    @property
    def usable(self) -> bool:
        """In the person's hands and not expired: what travel needs."""
        if self.status not in (self.Status.HAVE, self.Status.ISSUED):
            return False
        return self.expires is None or self.expires > timezone.localdate()
