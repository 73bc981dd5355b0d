from __future__ import annotations

import os
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pyrage
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from corridor.audit.events import CoreEvent
from corridor.audit.services import record


class Command(BaseCommand):
    help = (
        "Write an encrypted backup: a consistent snapshot of the SQLite database, the keystore and "
        "the encrypted file store, packed in a tar and encrypted with age to the given recipients "
        "(keep their identities offline). Everything inside is already ciphertext; the age layer "
        "also hides structure and sizes. On PostgreSQL the snapshot is taken with pg_dump."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recipient", "-r", action="append", required=True,
                            help="age public key (age1...) that can open the backup; repeatable.")
        parser.add_argument("--out", "-o", required=True, help="Where to write the .age file.")

    def handle(self, *args, recipient: list[str], out: str, **options):
        try:
            recipients = [pyrage.x25519.Recipient.from_str(r.strip()) for r in recipient]
        except Exception:
            raise CommandError("A recipient is not a valid age public key (it starts with age1).") from None
        target = Path(out)
        if target.exists():
            raise CommandError(f"{target} exists; refusing to overwrite a backup.")
        with tempfile.TemporaryDirectory(dir=settings.VAR_DIR / "tmp" if (settings.VAR_DIR / "tmp").exists() else None) as tmp:
            snapshot = _snapshot(Path(tmp))
            archive = Path(tmp) / "backup.tar"
            with tarfile.open(archive, "w") as tar:
                tar.add(snapshot, arcname=snapshot.name)
                tar.add(settings.CORRIDOR_KEYSTORE, arcname="keystore.json")
                blobs = Path(settings.CORRIDOR_BLOB_DIR)
                if blobs.exists():
                    tar.add(blobs, arcname="blobs")
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(archive, "rb") as reader, os.fdopen(fd, "wb") as writer:
                pyrage.encrypt_io(reader, writer, recipients)
        with transaction.atomic():
            record(CoreEvent.BACKUP_WRITTEN, actor="system:cli", recipients=len(recipients))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target} for {len(recipients)} recipient(s)."))


def _snapshot(folder: Path) -> Path:
    """A consistent copy of the database while the server keeps running."""
    if connection.vendor == "sqlite":
        target = folder / "corridor.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        with dest:
            connection.connection.backup(dest)  # SQLite's online-backup API
        dest.close()
        return target
    if connection.vendor == "postgresql":
        target = folder / "corridor.pgdump"
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", "--dbname", db["NAME"]]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db.get(key):
                command += [flag, str(db[key])]
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
        except FileNotFoundError:
            raise CommandError("pg_dump is not installed (apt-get install postgresql-client).") from None
        if result.returncode != 0:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()[:500]}")
        return target
    raise CommandError(f"Backups of {connection.vendor} databases are not supported.")
