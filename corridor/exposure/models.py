"""Identifiers as blind indexes, imported seized contact lists, matches and alerts.

An identifier (phone in E.164, messenger handle, e-mail, passport number) is stored
as a keyed HMAC (`BlindIndexField`, computed by the key agent) beside its value
encrypted under its owner's data key. A seized contact list is never stored: an
import keeps its counts, the line numbers and reasons of lines that failed, the
blind indexes of what it contained (so someone who contacts us later can be told
they were in it), and a label encrypted under a fresh data key.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import BlindIndexField, EncryptedField


class Kind(models.TextChoices):
    PHONE = "phone", _("Phone")
    HANDLE = "handle", _("Messenger handle")
    EMAIL = "email", _("E-mail")
    PASSPORT = "passport", _("Passport number")


class Identifier(models.Model):
    """An identifier of a contact in triage or a person, beyond the person's main
    phone (which the cases app indexes itself)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    index = BlindIndexField(kind="any")
    value = EncryptedField()
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("intake.Contact", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="identifiers")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]
        indexes = [models.Index(fields=["organisation", "index"], name="identifier_org_index")]


class Provocateur(models.Model):
    """A known provocateur's identifier: agents who posed as victims before."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    index = BlindIndexField(kind="any")
    value = EncryptedField()
    note = EncryptedField()
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "index"], name="provocateur_org_index")]


class Purpose(models.TextChoices):
    SEIZED = "seized", _("A detainee's seized or leaked contacts: raise risk and alert workers")
    CHECK = "check", _("Only check it against our people and known provocateurs")
    PROVOCATEURS = "provocateurs", _("Add it to the list of known provocateurs")


class ExposureImport(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        VCARD = "vcard", "vCard"
        TEXT = "text", _("Plain text")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    fmt = models.CharField(max_length=6, choices=Format.choices)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    label = EncryptedField()
    lines = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    unique = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [[line, reason code], ...] for the first failures; no content of the line.
    failures = models.JSONField(default=list)
    matched_people = models.PositiveIntegerField(default=0)
    matched_contacts = models.PositiveIntegerField(default=0)
    matched_provocateurs = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "-created"], name="import_org_created")]


class SeizedIndex(models.Model):
    """The blind index of one identifier that was in a seized list."""

    source = models.ForeignKey(ExposureImport, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    index = BlindIndexField(kind="any", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["organisation", "index"], name="seized_org_index")]


class ExposureMatch(models.Model):
    class Target(models.TextChoices):
        PERSON = "person", _("Person")
        CONTACT = "contact", _("Contact in triage")
        PROVOCATEUR = "provocateur", _("Known provocateur")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.ForeignKey(ExposureImport, null=True, on_delete=models.CASCADE, related_name="matches")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=12, choices=Target.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person = models.ForeignKey("cases.Person", null=True, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("intake.Contact", null=True, on_delete=models.CASCADE, related_name="+")
    provocateur = models.ForeignKey(Provocateur, null=True, on_delete=models.CASCADE, related_name="+")
    risk_before = models.PositiveSmallIntegerField(null=True)
    risk_after = models.PositiveSmallIntegerField(null=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["target", "created"]


class ExposureAlert(models.Model):
    """Tells one staff member that one of their people was found in a seized list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    match = models.ForeignKey(ExposureMatch, on_delete=models.CASCADE, related_name="alerts")
    created = models.DateTimeField(default=timezone.now)
    acknowledged = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["recipient", "acknowledged"], name="alert_recipient_open")]
