"""Receipts move into the file store (`corridor/blobs`, area `funds`).

On the filesystem backend nothing moves: receipts already lie where the store
keeps them (`CORRIDOR_BLOB_DIR/funds/xx/<32 hex>`). On the database backend each
receipt still on this host's disk is copied, with the same name, into
`StoredFile` / `StoredChunk` rows (already encrypted: the bytes are copied as they
are), marked complete, in the migration's transaction. The disk copy is left for
the administrator to remove once every host runs the new release
(docs/operations.md). A receipt missing from the disk is left as it was: opening
it reports it missing, as before the migration.
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations

CHUNK = 1 << 20


def receipts_into_database(apps, schema_editor):
    if getattr(settings, "CORRIDOR_FILE_STORAGE", "filesystem") != "database":
        return
    expense = apps.get_model("funds", "Expense")
    stored_file = apps.get_model("blobs", "StoredFile")
    stored_chunk = apps.get_model("blobs", "StoredChunk")
    root = Path(settings.CORRIDOR_BLOB_DIR) / "funds"
    names = expense.objects.exclude(receipt_blob="").values_list(
        "receipt_blob", flat=True)
    for name in names.iterator():
        if len(name) != 32 or any(c not in "0123456789abcdef" for c in name):
            continue
        if stored_file.objects.filter(area="funds", name=name).exists():
            continue
        path = root / name[:2] / name
        if not path.is_file():
            continue
        row = stored_file.objects.create(area="funds", name=name, size=path.stat().st_size, complete=True)
        with open(path, "rb") as fh:
            seq = 0
            while True:
                data = fh.read(CHUNK)
                if not data and seq:
                    break
                stored_chunk.objects.create(file=row, seq=seq, data=data)
                seq += 1
                if len(data) < CHUNK:
                    break


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_closed_period_triggers"), ("blobs", "0001_stored_files_and_chunks")]

    operations = [migrations.RunPython(receipts_into_database, migrations.RunPython.noop)]
