"""Safe houses and who stays in them.

A safe house's address is the most dangerous fact in the system after a person's
name: it is encrypted under the house's own data key and decrypted only for
roles with `HOUSING_ADDRESSES` (coordinators), each reading audited. The label is
a nickname that says nothing about where the house is.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class SafeHouse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("nickname"), max_length=60,
                             help_text=_("A name that does not reveal where the house is."))
    capacity = models.PositiveSmallIntegerField(_("beds"))
    active = models.BooleanField(_("in use"), default=True)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    # {"address": ..., "city": ..., "contact": ..., "notes": ...}
    address = EncryptedField()
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["organisation", "label"], name="safehouse_label_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def audit_id(self) -> str:
        return str(self.id)


class Stay(models.Model):
    """One person in one house from check-in to check-out. A move ends one stay and
    starts the next on the same day, linked by `moved_from`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    house = models.ForeignKey(SafeHouse, on_delete=models.PROTECT, related_name="stays")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="stays")
    check_in = models.DateField(_("check-in"))
    check_out = models.DateField(_("check-out"), null=True, blank=True)
    moved_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="moved_to")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-check_in"]
        indexes = [models.Index(fields=["house", "check_out"]), models.Index(fields=["person", "check_out"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(check_out__isnull=True) | models.Q(check_out__gte=models.F("check_in")),
                name="stay_dates_in_order",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.check_out is None
