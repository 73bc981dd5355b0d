"""Violation events in the HURIDOCS "who did what to whom" shape.

event (what happened, when, where) → acts (one violation each: a type, a victim)
→ perpetrators with their involvement, places, and sources with a reliability.
Acts and sources share their event's data key: they are erased with it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class DatePrecision(models.TextChoices):
    DAY = "day", _("exact day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")
    UNKNOWN = "unknown", _("unknown")


class Reliability(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")
    UNKNOWN = "unknown", _("not assessed")


class Involvement(models.TextChoices):
    DIRECT = "direct", _("direct perpetrator")
    ORDERED = "ordered", _("ordered it")
    COMMAND = "command", _("command responsibility")
    COMPLICIT = "complicit", _("complicit or assisted")
    PRESENT = "present", _("present, did not intervene")
    SUSPECTED = "suspected", _("suspected")


class Wave(models.Model):
    """A wave of persecution. Shipped waves have no organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    name_en = models.CharField(_("name in English"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120)
    starts = models.DateField(_("starts"))
    ends = models.DateField(_("ends"))

    class Meta:
        ordering = ["starts"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_ru if (get_language() or "ru").startswith("ru") else self.name_en


class Place(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    kind = models.ForeignKey("evidence.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("kind"))
    name = EncryptedField()
    unofficial = models.BooleanField(_("unofficial detention site"), default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return str(self.name or "")


class Perpetrator(models.Model):
    """A unit, official or relative; reused across events so patterns show."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    kind = models.ForeignKey("evidence.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("kind"))
    name = EncryptedField()
    description = EncryptedField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return str(self.name or "")


class ViolationEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    title = EncryptedField()
    description = EncryptedField()
    starts = models.DateField(_("start"), null=True, blank=True)
    starts_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    ends = models.DateField(_("end"), null=True, blank=True)
    ends_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="events",
                              verbose_name=_("place"))
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="events",
                             verbose_name=_("wave"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts", "-created"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="evidence_event_code")]
        indexes = [models.Index(fields=["organisation", "starts"])]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code


class Act(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(ViolationEvent, on_delete=models.CASCADE, related_name="acts")
    act_type = models.ForeignKey("evidence.Term", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("type of act"))
    victim = models.ForeignKey("cases.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("victim"))
    victim_label = EncryptedField()
    description = EncryptedField()
    places = models.ManyToManyField(Place, blank=True, related_name="acts", verbose_name=_("places"))
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    @property
    def data_key(self):
        return self.event.data_key

    @property
    def audit_id(self) -> str:
        return str(self.id)


class ActPerpetrator(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="perpetrator_links")
    perpetrator = models.ForeignKey(Perpetrator, on_delete=models.PROTECT, related_name="act_links")
    involvement = models.CharField(_("involvement"), max_length=12, choices=Involvement.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["act", "perpetrator"], name="evidence_act_perp_unique")]


class Source(models.Model):
    """A testimony or a document supporting an event, or one act of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(ViolationEvent, on_delete=models.CASCADE, related_name="sources")
    act = models.ForeignKey(Act, null=True, blank=True, on_delete=models.CASCADE, related_name="sources")
    testimony = models.ForeignKey("evidence.Testimony", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="sources")
    file = models.ForeignKey("evidence.EvidenceFile", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="sources")
    reliability = models.CharField(_("reliability"), max_length=8, choices=Reliability.choices,
                                   default=Reliability.UNKNOWN)
    note = EncryptedField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(testimony__isnull=False, file__isnull=True) | Q(testimony__isnull=True, file__isnull=False)),
                name="evidence_source_one_kind",
            )
        ]

    @property
    def data_key(self):
        return self.event.data_key

    def independence_key(self) -> str:
        """Two testimonies of one witness are one source; each document is its own."""
        if self.testimony_id:
            person = self.testimony.person_id if self.testimony else None
            return f"person:{person}" if person else f"testimony:{self.testimony_id}"
        return f"file:{self.file_id}"
