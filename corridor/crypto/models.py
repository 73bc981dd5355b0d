from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class DataKey(models.Model):
    """A 256-bit data key, stored only wrapped: under an erasure bucket's key
    (root_version 0, `bucket`/`bucket_gen` say which) or, for keys made before
    buckets existed, under a root key version held in keyd.

    One per person (and household members' records), one per evidence file, one per
    intake contact. Destroying it (`wrapped=None`) erases every value encrypted under
    it: the ciphertexts stay, but nothing can open them any more.
    """

    class Scope(models.TextChoices):
        PERSON = "person"
        FILE = "file"
        CONTACT = "contact"
        INTAKE = "intake"
        ORGANISATION = "organisation"
        DONOR = "donor"
        OTHER = "other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    root_version = models.PositiveIntegerField()
    wrapped = models.BinaryField(null=True)
    created = models.DateTimeField(default=timezone.now)
    destroyed = models.DateTimeField(null=True)
    bucket = models.PositiveIntegerField(null=True)
    bucket_gen = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["root_version"]), models.Index(fields=["bucket", "bucket_gen"])]

    def __str__(self) -> str:
        return f"DataKey {self.id} v{self.version}"

    @property
    def is_destroyed(self) -> bool:
        return self.wrapped is None

    def wrap_ad(self) -> bytes:
        """Associated data for wrapping: the key cannot be moved to another record,
        organisation or version without the unwrap failing."""
        org = str(self.organisation_id) if self.organisation_id else "-"
        parts = ["corridor/datakey/v1", str(self.id), self.scope, org, str(self.version)]
        return "\x00".join(parts).encode("utf-8")


class ErasureBucket(models.Model):
    """The database's view of one keyd erasure bucket: the generation its live keys
    are at. Its row lock orders erasures against new keys joining the bucket (see
    corridor.crypto.keys), so no live key is left under a generation that is retired.
    """

    id = models.PositiveIntegerField(primary_key=True)
    gen = models.PositiveIntegerField()
    # A key in this bucket was destroyed while keyd was sealed or unreachable: its
    # row is gone but old copies still open until `settle_buckets` shreds the bucket.
    dirty = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"ErasureBucket {self.id} gen {self.gen}"


class SealSignal(models.Model):
    """One row every application host watches: sealing on any host bumps `epoch`, and
    each host's watcher (`corridor serve`) seals its own key agent when it sees a newer
    epoch than the one it last obeyed. On PostgreSQL a NOTIFY on the same commit wakes
    the watchers at once; the row is also polled, which covers SQLite and a missed
    notification. Unsealing does not touch the row: a host unsealed by its trustees
    stays unsealed until the next seal."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    epoch = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    changed = models.DateTimeField(null=True, blank=True)
