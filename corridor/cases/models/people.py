"""People under pseudonyms, the households they travel with, their phones and
handles, and relatives who may be a danger to them."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import BlindIndexField, EncryptedField


class Household(models.Model):
    """The people who travel together: partners, children. No content of its own,
    so it needs no key; each member's details stay under the member's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="households")
    code = models.CharField(max_length=16)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="household_code_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code


class HouseholdRole(models.TextChoices):
    HEAD = "head", _("Main applicant")
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MAN = "man", _("Man")
    WOMAN = "woman", _("Woman")
    TRANS_WOMAN = "trans woman", _("Trans woman")
    TRANS_MAN = "trans man", _("Trans man")
    NON_BINARY = "non-binary", _("Non-binary")
    OTHER = "other", _("Other or not said")


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
    # On a wanted list (often falsely, "terrorism", to stop an evacuation): travel
    # must be planned around checkpoints and airports. The flag is in clear so the
    # pipeline can warn before a transition; the details are encrypted.
    wanted = models.BooleanField(default=False)
    wanted_note = EncryptedField()
    version = models.PositiveIntegerField(default=1)
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

    @property
    def display_name(self) -> str:
        """The name a worker reads: Cyrillic, else Latin, else the pseudonym."""
        identity = self.identity
        if isinstance(identity, dict):
            return identity.get("name_cyrillic") or identity.get("name_latin") or self.code
        return self.code if identity is None else str(identity)  # str(ERASED) is the marker


class PersonIdentifier(models.Model):
    """Further phones and messenger handles. Each has a blind index so an exact
    number finds the person, and exposure matching sees it."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        HANDLE = "handle", _("Messenger handle")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=40, blank=True)  # "Telegram", "WhatsApp", "second SIM"
    value = EncryptedField()
    phone_index = BlindIndexField(kind="phone")
    handle_index = BlindIndexField(kind="handle")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    @property
    def data_key(self):
        return self.person.data_key


class Relative(models.Model):
    """A relative, recorded mostly because relatives can be the danger ("honour"
    violence, handing someone over to the police)."""

    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        BROTHER = "brother", _("Brother")
        SISTER = "sister", _("Sister")
        SPOUSE = "spouse", _("Husband or wife")
        UNCLE = "uncle", _("Uncle")
        COUSIN = "cousin", _("Cousin")
        OTHER = "other", _("Other relative")

    class Danger(models.TextChoices):
        NONE = "none", _("Not a danger")
        UNKNOWN = "unknown", _("Unknown")
        SUSPECTED = "suspected", _("Possible danger")
        THREAT = "threat", _("Known threat")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relatives")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    danger = models.CharField(max_length=12, choices=Danger.choices, default=Danger.UNKNOWN)
    details = EncryptedField()  # name, where they live, what they did or threatened
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    @property
    def data_key(self):
        return self.person.data_key

    @property
    def is_danger(self) -> bool:
        return self.danger in (self.Danger.SUSPECTED, self.Danger.THREAT)
