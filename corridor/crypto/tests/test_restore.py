"""Backup and restore, end to end: a demo installation is backed up with age, restored
into an empty one elsewhere (its own var/ and database), unsealed, and compared
table by table, row for row, and file by file by hash; the audit log verifies."""

from __future__ import annotations

import contextlib
import secrets

import pytest
from pyrage import x25519

from corridor.web.tests.hosts import (
    Browser,
    Host,
    credentials,
    file_hashes,
    shared_database,
    table_rows,
)

pytestmark = pytest.mark.slow


def test_a_backup_restores_every_row_and_file(tmp_path):
    identity = x25519.Identity.generate()
    key_file = tmp_path / "identity.txt"
    key_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    key = secrets.token_urlsafe(48)
    with contextlib.ExitStack() as stack:
        source_url = stack.enter_context(shared_database(tmp_path / "one"))
        target_url = stack.enter_context(shared_database(tmp_path / "two"))
        (tmp_path / "one").mkdir(exist_ok=True)
        (tmp_path / "two").mkdir(exist_ok=True)
        source = Host("source", tmp_path / "one" / "var", source_url, key, file_storage="filesystem")
        target = Host("target", tmp_path / "two" / "var", target_url, key, file_storage="filesystem")
        done = source.corridor("demo", "--cases", "8", "--seed", "5", timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        rows = table_rows(source_url)
        files = file_hashes(source.var / "blobs")
        assert files, "the demo should have stored encrypted files"
        assert sum(len(r) for r in rows.values()) > 1000

        backup = tmp_path / "backup.age"
        done = source.corridor("backup", "-r", str(identity.to_public()), "-o", str(backup))
        assert done.returncode == 0, done.stderr

        # A dry run opens and checks everything and creates nothing.
        done = target.corridor("restore", str(backup), "-i", str(key_file), "--dry-run")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Nothing was changed" in done.stdout
        assert not (target.var / "keystore.json").exists() and not file_hashes(target.var / "blobs")
        assert not [t for t in table_rows(target_url) if t != "django_migrations"]

        # The wrong identity opens nothing.
        wrong = tmp_path / "wrong.txt"
        wrong.write_text(f"{x25519.Identity.generate()}\n")
        done = target.corridor("restore", str(backup), "-i", str(wrong))
        assert done.returncode != 0 and "does not open" in done.stderr

        done = target.corridor("restore", str(backup), "-i", str(key_file))
        assert done.returncode == 0, done.stdout + done.stderr
        restored = table_rows(target_url)
        assert restored.keys() == rows.keys()
        for table, expected in rows.items():
            assert restored[table] == expected, f"table {table} differs after the restore"
        assert file_hashes(target.var / "blobs") == files
        assert (target.var / "keystore.json").read_bytes() == (source.var / "keystore.json").read_bytes()

        # A second restore into the now full installation is refused.
        done = target.corridor("restore", str(backup), "-i", str(key_file))
        assert done.returncode != 0 and "not empty" in done.stderr

        # The trustees unseal the restored copy: it decrypts, and its audit log verifies.
        (target.var / "demo-passphrase").write_text((source.var / "demo-passphrase").read_text())
        (target.var / "demo-credentials.txt").write_text((source.var / "demo-credentials.txt").read_text())
        target.serve("--unseal-passphrase-file", str(target.var / "demo-passphrase"))
        try:
            staff = Browser(target)
            staff.sign_in(*credentials(target, "north-coordinator"))
            status, page = staff.get("/staff/cases/")
            assert status == 200 and "K-" in page
            verified = target.corridor("audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
        finally:
            out = target.stop()
        assert "Traceback" not in out, out[-3000:]
