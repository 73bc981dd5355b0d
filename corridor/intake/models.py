"""First contacts: anonymous web submissions and operator-recorded calls and messages.

A web submission arrives sealed with HPKE to the organisation's intake public key
(`Message.sealed`), so it can be stored while the key agent is sealed and nobody on
the server can read it until a triage worker opens it through the agent. Opening
moves it under a per-contact data key (`Contact.data_key`), which is what retention
destroys. Replies to an anonymous person are sealed to a public key derived from
their receipt (`Message.reply`): the server never holds the matching private key.

What stays in clear is what the queue needs to sort without decrypting: status,
urgency, risk flags, channel and dates. Nothing here records an IP address or a
browser; there is no column for it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone call")
    TELEGRAM = "telegram", _("Telegram")
    SIGNAL = "signal", _("Signal")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    REFERRAL = "referral", _("Referral by a partner")


class Status(models.TextChoices):
    NEW = "new", _("New")
    VETTING = "vetting", _("In vetting")
    ACCEPTED = "accepted", _("Accepted (case opened)")
    REFERRED = "referred", _("Referred elsewhere")
    DECLINED = "declined", _("Declined")
    PROVOCATION = "provocation", _("Suspected provocation")
    SPAM = "spam", _("Spam")


# Statuses that are decisions about a person: only roles with TRIAGE_DECIDE set them.
DECISIONS = frozenset({Status.ACCEPTED, Status.REFERRED, Status.DECLINED, Status.PROVOCATION})
OPEN_STATUSES = (Status.NEW, Status.VETTING)


class Urgency(models.IntegerChoices):
    UNKNOWN = 0, _("Not stated")
    LOW = 1, _("Not urgent")
    SOON = 2, _("Within days")
    NOW = 3, _("In danger now")


class RiskFlag(models.TextChoices):
    AUTHORITIES = "authorities", _("Threat from the authorities")
    FAMILY = "family", _("Threat from family")
    DETAINED = "detained", _("In detention now")
    EXPOSED = "exposed", _("Exposed through a detainee's contacts")
    MEDICAL = "medical", _("Medical")


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.UNKNOWN)
    flag_authorities = models.BooleanField(default=False)
    flag_family = models.BooleanField(default=False)
    flag_detained = models.BooleanField(default=False)
    flag_exposed = models.BooleanField(default=False)
    flag_medical = models.BooleanField(default=False)
    # Null while the first message is still HPKE-sealed (web submissions).
    data_key = models.ForeignKey("crypto.DataKey", null=True, on_delete=models.PROTECT, related_name="+")
    summary = EncryptedField()  # {"what": excerpt, "where": ..., "reach": ..., "lang": ...}
    notes = EncryptedField()  # triage workers' internal notes (text)
    received = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The person wrote and nobody has answered or marked it handled yet.
    awaiting_reply = models.BooleanField(default=False)
    erased = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "-last_activity"], name="contact_queue"),
            models.Index(fields=["last_activity"], name="contact_activity"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        """Short reference staff can say aloud; the UUID stays the key in URLs."""
        return "W-" + self.id.hex[:6].upper() if self.channel == Channel.WEB else "H-" + self.id.hex[:6].upper()

    @property
    def audit_id(self) -> str:
        return str(self.id)

    @property
    def flags(self) -> list[str]:
        return [flag for flag in RiskFlag.values if getattr(self, f"flag_{flag}")]

    @property
    def flag_labels(self) -> list[str]:
        return [str(RiskFlag(flag).label) for flag in self.flags]

    @property
    def is_sealed(self) -> bool:
        return self.data_key_id is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.erased is None


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From the person")
        OUT = "out", _("Our reply")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    created = models.DateTimeField(default=timezone.now)
    # Inbound, until opened: HPKE to the organisation's intake key (content key + JSON).
    sealed = models.BinaryField(null=True)
    # Inbound, once opened: the payload and the attachments' content key, under the
    # contact's data key.
    body = EncryptedField()
    file_key = EncryptedField()
    # Outbound: HPKE to the receipt's public key; only the receipt can open it.
    reply = models.BinaryField(null=True)
    author = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created"]
        indexes = [models.Index(fields=["contact", "created"])]

    @property
    def data_key(self):
        return self.contact.data_key


class Attachment(models.Model):
    """A file sent with a message, encrypted while it streamed in (see `sealing`).
    The sender's file name is never kept; `blob` is a random name.

    Like an evidence file, it has an untouched original and a working copy without
    metadata (`working_blob`, made the first time staff open it, under the same
    content key with its own associated data), or the reason there is none
    (`working_refused`, a code of `corridor.evidence.scrub.reasons()`). Staff see
    the working copy; the original is opened only on purpose, and audited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    blob = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(default=timezone.now)
    working_blob = models.CharField(max_length=64, unique=True, null=True, blank=True)
    working_size = models.PositiveBigIntegerField(null=True, blank=True)
    working_refused = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["created"]

    @property
    def working_refused_text(self) -> str:
        from corridor.evidence.scrub import reason_text

        return reason_text(self.working_refused) if self.working_refused else ""


class Receipt(models.Model):
    """What lets an anonymous person come back. The receipt itself is never stored:
    only a 24-bit keyed lookup tag (to find candidate rows without a scan), an
    Argon2id-derived verifier, and the public half of a key pair derived from the
    receipt, to which replies are sealed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="receipt")
    lookup = models.BinaryField(max_length=3, db_index=True)
    salt = models.BinaryField(max_length=16)
    time_cost = models.PositiveSmallIntegerField()
    memory_cost = models.PositiveIntegerField()
    verifier = models.BinaryField(max_length=32)
    reply_public_key = models.BinaryField(max_length=32)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(default=timezone.now, db_index=True)


class ReceiptThrottle(models.Model):
    """Failed receipt attempts per live lookup tag. Keyed by
    what was typed (a 24-bit tag), never by who typed it: no address is stored."""

    key = models.CharField(max_length=16, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True)
    updated = models.DateTimeField(default=timezone.now)


class FormNonce(models.Model):
    """Hash of a used form token: a reloaded confirmation page must not store the
    submission twice. Removed after the token's lifetime."""

    digest = models.CharField(max_length=64, primary_key=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)


class StatusChange(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Status.choices)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedField()

    class Meta:
        ordering = ["at"]

    @property
    def data_key(self):
        return self.contact.data_key


class VettingItem(models.TextChoices):
    REFEREE = "referee", _("A referee vouches for them")
    CONSISTENCY = "consistency", _("The story is consistent")
    PROVOCATEUR = "provocateur", _("Checked against known provocateurs")
    IDENTITY = "identity", _("Identity confirmed by a trusted channel")


class VettingOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    CONCERN = "concern", _("Concern")
    FAILED = "failed", _("Failed")


class VettingCheck(models.Model):
    """One decision on one checklist item; the history is kept, the latest counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="vetting")
    item = models.CharField(max_length=12, choices=VettingItem.choices)
    outcome = models.CharField(max_length=8, choices=VettingOutcome.choices)
    note = EncryptedField()
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    automatic = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]

    @property
    def data_key(self):
        return self.contact.data_key


class ContactLink(models.Model):
    """Two contacts that describe the same person or the same event (stored once,
    with the smaller id first)."""

    class Relation(models.TextChoices):
        SAME_PERSON = "person", _("Same person")
        SAME_EVENT = "event", _("Same event")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    a = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(max_length=8, choices=Relation.choices)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["a", "b"], name="contact_link_unique")]
