"""The append-only audit and custody log.

Each entry is a leaf of an RFC 9162 Merkle tree. `AuditHead` (one row) holds the
tree size and the compact range so appends are O(1); `AuditNode` keeps every
perfect-subtree hash so inclusion and consistency proofs need one query. Entries
hold codes, pseudonymous ids and hashes, never names or content.
"""

from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    ts_us = models.BigIntegerField(help_text="UTC microseconds since the epoch")
    code = models.PositiveIntegerField(db_index=True)
    actor = models.CharField(max_length=64, blank=True)
    organisation = models.CharField(max_length=36, blank=True, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The exact bytes hashed into the tree (`canonical_leaf`): the record itself. The
    # columns above are copies for indexing; `corridor audit verify` checks they agree.
    leaf = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    @property
    def data(self) -> dict:
        """The entry's details, read from the hashed leaf so what is shown is what is signed."""
        return json.loads(bytes(self.leaf))["data"]


class AuditNode(models.Model):
    """A perfect-subtree hash, keyed by `node_key(level, index)` so the nodes of a
    proof come back in one primary-key lookup."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)


NODE_INDEX_BITS = 48


def node_key(level: int, index: int) -> int:
    return (level << NODE_INDEX_BITS) | index


class AuditHead(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    compact = models.BinaryField(default=b"")
    root = models.BinaryField(max_length=32, default=b"")


class Checkpoint(models.Model):
    size = models.BigIntegerField(unique=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField(help_text="C2SP signed note")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["size"]


class AuditAlert(models.Model):
    """Something administrators must look at: keyd refused to sign, its signed-head
    state was reset, or a witness refused a checkpoint. Shown on the audit page and
    by `corridor status` until acknowledged."""

    class Kind(models.TextChoices):
        SIGNING_REFUSED = "signing_refused", _("The key agent refused to sign the log")
        HEAD_RESET = "head_reset", _("The key agent's signed head was reset")
        WITNESS_REFUSED = "witness_refused", _("A witness refused a checkpoint")
        DURESS = "duress", _("A staff member signed in under duress")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    # The same condition again while the alert is open updates these instead of adding
    # alerts (and audit entries) every minute.
    repeats = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_message = models.TextField(blank=True)
    acknowledged = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=64, blank=True)
    acknowledgement = models.TextField(blank=True, help_text="what the administrator found and did")

    class Meta:
        ordering = ["-created"]


class WitnessCosignature(models.Model):
    """A partner organisation's witness cosigned this checkpoint (c2sp.org/tlog-cosignature)."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="cosignatures")
    witness = models.CharField(max_length=200, help_text="the witness's key name")
    timestamp = models.BigIntegerField(help_text="POSIX seconds, as the witness signed it")
    line = models.TextField(help_text="the signed-note signature line")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checkpoint__size", "witness"]
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"], name="one_cosignature_per_witness")]
