"""`corridor restore`: bring an age backup (`corridor backup`) back into an empty
installation. Everything in the backup is ciphertext; the restored installation
opens only with the passphrase or a quorum of shares of the keystore it carries."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pyrage
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

SNAPSHOTS = {"sqlite": "corridor.sqlite3", "postgresql": "corridor.pgdump"}


class Command(BaseCommand):
    help = (
        "Restore an age backup made by `corridor backup` into an empty installation: the database "
        "snapshot, the keystore and the encrypted files. Refuses to touch an installation that "
        "already has a keystore, tables or files. --dry-run opens and checks the backup and the "
        "target and changes nothing. The restored server starts sealed."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The .age file written by `corridor backup`.")
        parser.add_argument("--identity", "-i", required=True,
                            help="age identity file (from age-keygen) of one of the backup's recipients.")
        parser.add_argument("--dry-run", action="store_true", help="Check everything, change nothing.")

    def handle(self, *args, backup: str, identity: str, dry_run: bool, **options):
        started = time.monotonic()
        identities = _identities(Path(identity))
        source = Path(backup)
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        problems = _target_problems()
        if problems:
            raise CommandError("The target installation is not empty: " + "; ".join(problems) +
                               ". Restore into a fresh CORRIDOR_VAR and an empty database.")
        tmp_root = Path(settings.VAR_DIR) / "tmp"
        tmp_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
            archive = Path(tmp) / "backup.tar"
            fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
                    pyrage.decrypt_io(reader, writer, identities)
            except Exception:
                raise CommandError("The backup does not open with this identity (wrong key, or damaged).") from None
            with tarfile.open(archive) as tar:
                members = _checked_members(tar)
                snapshot = SNAPSHOTS[connection.vendor]
                if snapshot not in members:
                    found = ", ".join(sorted(m for m in members if "/" not in m))
                    raise CommandError(f"This backup holds no {connection.vendor} snapshot ({snapshot}); it has: {found}.")
                if "keystore.json" not in members:
                    raise CommandError("This backup holds no keystore.")
                files = [m for m in members.values() if m.name.startswith("blobs/") and m.isfile()]
                self.stdout.write(f"Backup: {connection.vendor} snapshot {members[snapshot].size:,} bytes, keystore, "
                                  f"{len(files)} encrypted file(s) ({sum(f.size for f in files):,} bytes).")
                if dry_run:
                    self.stdout.write(self.style.SUCCESS("Dry run: the backup opens and the target is empty. "
                                                         "Nothing was changed."))
                    return
                tar.extractall(tmp, members=list(members.values()), filter="data")
            self._restore_database(Path(tmp) / snapshot)
            _place(Path(tmp) / "keystore.json", Path(settings.CORRIDOR_KEYSTORE))
            blobs = Path(tmp) / "blobs"
            if blobs.exists():
                target = Path(settings.CORRIDOR_BLOB_DIR)
                target.mkdir(mode=0o700, parents=True, exist_ok=True)
                for path in sorted(blobs.rglob("*")):
                    dest = target / path.relative_to(blobs)
                    if path.is_dir():
                        dest.mkdir(mode=0o700, exist_ok=True)
                    else:
                        _place(path, dest)
        call_command("migrate", verbosity=0)  # a newer release may add tables
        self.stdout.write(self.style.SUCCESS(
            f"Restored in {time.monotonic() - started:.1f} s. Start `corridor serve` and unseal with the backup's "
            "passphrase or shares; then run `corridor audit verify`."))

    def _restore_database(self, snapshot: Path) -> None:
        if connection.vendor == "sqlite":
            connection.close()
            target = Path(settings.DATABASES["default"]["NAME"])
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            src = sqlite3.connect(snapshot)
            dest = sqlite3.connect(target)
            with dest:
                src.backup(dest)
            src.close()
            dest.close()
            os.chmod(target, 0o600)
            return
        db = connection.settings_dict
        connection.close()
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        command = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", db["NAME"]]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db.get(key):
                command += [flag, str(db[key])]
        try:
            result = subprocess.run([*command, str(snapshot)], env=env, capture_output=True, text=True, timeout=6 * 3600)
        except FileNotFoundError:
            raise CommandError("pg_restore is not installed (apt-get install postgresql-client).") from None
        if result.returncode != 0:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()[:500]}")


def _identities(path: Path) -> list:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"Cannot read the identity file: {exc.strerror}.") from None
    found = [pyrage.x25519.Identity.from_str(line.strip()) for line in lines
             if line.strip().startswith("AGE-SECRET-KEY-")]
    if not found:
        raise CommandError("The identity file holds no age secret key (AGE-SECRET-KEY-…).")
    return found


def _target_problems() -> list[str]:
    problems = []
    if Path(settings.CORRIDOR_KEYSTORE).exists():
        problems.append(f"a keystore exists at {settings.CORRIDOR_KEYSTORE}")
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    if tables:
        problems.append(f"the database has {len(tables)} table(s)")
    blobs = Path(settings.CORRIDOR_BLOB_DIR)
    if blobs.exists() and any(p.is_file() for p in blobs.rglob("*")):
        problems.append(f"{blobs} holds files")
    return problems


def _checked_members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Only regular files and folders with plain relative names: a crafted archive must
    not write outside the target (the data filter refuses the same, this names it)."""
    members = {}
    for member in tar.getmembers():
        name = member.name
        if name.startswith("/") or ".." in Path(name).parts or not (member.isfile() or member.isdir()):
            raise CommandError(f"The backup holds an unsafe entry ({name!r}); refusing it.")
        members[name] = member
    return members


def _place(src: Path, dest: Path) -> None:
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with open(src, "rb") as reader, os.fdopen(fd, "wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.flush()
        os.fsync(writer.fileno())
