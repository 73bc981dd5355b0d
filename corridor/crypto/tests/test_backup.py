from __future__ import annotations

import io
import tarfile

import pyrage
import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_opens_only_with_the_identity_and_holds_db_and_keystore(tmp_path, settings, org):
    identity = pyrage.x25519.Identity.generate()
    out = tmp_path / "b.age"
    call_command("backup", "-r", str(identity.to_public()), "-o", str(out))
    data = out.read_bytes()
    assert b"keystore" not in data
    plain = pyrage.decrypt(data, [identity])
    names = tarfile.open(fileobj=io.BytesIO(plain)).getnames()
    snapshot = "corridor.pgdump" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "corridor.sqlite3"
    assert snapshot in names and "keystore.json" in names
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(data, [pyrage.x25519.Identity.generate()])


def test_a_bad_recipient_is_refused_clearly(tmp_path):
    with pytest.raises(CommandError, match="age public key"):
        call_command("backup", "-r", "not-a-key", "-o", str(tmp_path / "x.age"))
