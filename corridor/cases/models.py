"""People under pseudonyms, households, and evacuation cases with their stages.

Everything that identifies a person lives in `EncryptedField`s under the person's
own data key; what stays in clear is the pseudonym code, the stage, dates and the
assignment, which the pipeline needs to sort and count without decrypting.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import BlindIndexField, EncryptedField


class Stage(models.TextChoices):
    CONTACTED = "contacted", _("Contacted")
    VETTING = "vetting", _("Vetting")
    ACCEPTED = "accepted", _("Accepted")
    LEAVING_REGION = "leaving_region", _("Leaving the region")
    SHELTERED = "sheltered", _("Sheltered")
    DOCUMENTS = "documents", _("Documents")
    VISA_ASYLUM = "visa_asylum", _("Visa or asylum")
    DEPARTED = "departed", _("Departed the country")
    RESETTLED = "resettled", _("Resettled (asylum granted)")
    # exits
    DECLINED = "declined", _("Declined")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    DETAINED = "detained", _("Detained")
    RETURNED = "returned", _("Returned")
    DECEASED = "deceased", _("Deceased")
    CLOSED = "closed", _("Closed")


JOURNEY = [
    Stage.CONTACTED, Stage.VETTING, Stage.ACCEPTED, Stage.LEAVING_REGION, Stage.SHELTERED,
    Stage.DOCUMENTS, Stage.VISA_ASYLUM, Stage.DEPARTED, Stage.RESETTLED,
]
EXITS = [Stage.DECLINED, Stage.LOST_CONTACT, Stage.DETAINED, Stage.RETURNED, Stage.DECEASED, Stage.CLOSED]


class Household(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="households")
    code = models.CharField(max_length=16)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="household_code_unique")]

    def __str__(self) -> str:
        return self.code


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="people")
    code = models.CharField(_("pseudonym"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    household_role = models.CharField(max_length=20, blank=True)
    # Encrypted identity: one JSON object (names in Cyrillic and Latin, aliases, date
    # of birth, gender identity, languages, health notes), plus separate phones and
    # handles so they can be blind-indexed.
    identity = EncryptedField()
    phone = EncryptedField()
    phone_index = BlindIndexField(kind="phone")
    notes = EncryptedField()
    risk = models.PositiveSmallIntegerField(default=1)
    erased = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="person_code_unique")]
        indexes = [models.Index(fields=["organisation", "created"])]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="cases")
    code = models.CharField(max_length=16)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.CONTACTED, db_index=True)
    stage_since = models.DateTimeField(default=timezone.now)
    worker = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    summary = EncryptedField(key_attr="data_key")
    version = models.PositiveIntegerField(default=1)
    opened = models.DateTimeField(default=timezone.now)
    closed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="case_code_unique")]
        indexes = [
            models.Index(fields=["organisation", "stage"]),
            models.Index(fields=["organisation", "-opened"]),
            models.Index(fields=["worker", "-opened"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def data_key(self):
        return self.person.data_key

    @property
    def audit_id(self) -> str:
        return self.code


class StageChange(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedField()

    class Meta:
        ordering = ["at"]

    @property
    def data_key(self):
        return self.case.person.data_key
