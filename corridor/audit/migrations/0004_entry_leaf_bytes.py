"""Keep each entry's canonical leaf bytes instead of a JSON column.

Verification then hashes the stored bytes as they are, without rebuilding JSON per
row, and what is displayed is read from the bytes that are signed. Existing rows get
the leaf `record()` hashed for them; a row whose rebuilt leaf does not match its
stored hash keeps the rebuilt bytes, so `corridor audit verify` still names it.
"""

import json

from django.db import migrations, models


def canonical(row) -> bytes:
    body = {
        "seq": row.seq, "ts": row.ts_us, "code": row.code, "actor": row.actor, "org": row.organisation,
        "type": row.object_type, "id": row.object_id, "data": row.data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def fill_leaves(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    batch = []
    for row in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        row.leaf = canonical(row)
        batch.append(row)
        if len(batch) == 2000:
            AuditEntry.objects.bulk_update(batch, ["leaf"])
            batch = []
    if batch:
        AuditEntry.objects.bulk_update(batch, ["leaf"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_witness_cosignatures")]

    operations = [
        migrations.AddField("auditentry", "leaf", models.BinaryField(default=b"")),
        migrations.RunPython(fill_leaves, migrations.RunPython.noop),
        migrations.RemoveField("auditentry", "data"),
        migrations.AlterField("auditentry", "leaf", models.BinaryField()),
    ]
