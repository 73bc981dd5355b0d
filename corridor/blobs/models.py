"""Encrypted files kept in the database (the `database` file storage backend).

Only ciphertext is stored here: evidence blobs and intake attachments arrive
already encrypted under their own data keys (`corridor/evidence/stream.py`,
`corridor/intake/sealing.py`), so these rows are as opaque as the files on disk.
"""

from __future__ import annotations

from django.db import models


class StoredFile(models.Model):
    """One file. `complete` turns true in the transaction that writes the row
    referring to it (an evidence file, an attachment): until then readers do not
    see it, and the sweep removes it once it is old enough to be abandoned."""

    area = models.CharField(max_length=16)
    name = models.CharField(max_length=64)
    size = models.BigIntegerField(null=True)
    complete = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="blobs_file_area_name")]
        indexes = [models.Index(fields=["complete", "created"], name="blobs_file_sweep")]


class StoredChunk(models.Model):
    pk = models.CompositePrimaryKey("file", "seq")
    # The primary key (file, seq) already indexes file first.
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="+", db_index=False)
    seq = models.IntegerField()
    data = models.BinaryField()
