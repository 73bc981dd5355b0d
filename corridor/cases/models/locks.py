"""Case locks: what a duress sign-in does to the cases the coerced account reaches.

One `CaseLock` per duress sign-in; `LockedCase` holds one row per case it covers,
written in one INSERT ... SELECT in the duress transaction and deleted in one
statement when two people unlock it. A case is locked while any row names it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.cases import Case


class CaseLock(models.Model):
    class Status(models.TextChoices):
        LOCKED = "locked", _("Locked")
        REQUESTED = "requested", _("Unlock requested")
        UNLOCKED = "unlocked", _("Unlocked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # The account that signed in under duress: it may never take part in the unlock.
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOCKED)
    cases = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "status", "-created"])]


class LockedCase(models.Model):
    # An integer key the database fills itself, so the INSERT ... SELECT needs no
    # per-row value from Python.
    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (lock, case) index serves the unlock's DELETE, and
    # every index less is one B-tree fewer for the 100,000-row INSERT ... SELECT.
    lock = models.ForeignKey(CaseLock, on_delete=models.CASCADE, related_name="rows", db_index=False)
    # The foreign key's own index answers "is this case locked?".
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lock", "case"], name="lockedcase_once_per_lock")]
