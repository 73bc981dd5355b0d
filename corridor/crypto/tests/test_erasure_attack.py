"""The seized-disk attack on erasure, as the issue reported it.

A real installation (its own database file or PostgreSQL database, its own
keystore and a live, unsealed agent) creates a person with a household member, a
donor, an intake contact and a file key; a backup is taken; all four are erased;
another backup is taken. The attacker then searches every byte they can get —
the SQLite file and WAL (free pages included), a pg_dump, the PostgreSQL data
directory, the later backup — for the erased keys' old wrapped blobs, and hands
every candidate (plus the copies taken before) to the live agent. None may open.
The backup from before still opens, with the keystore of its time, as documented.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pyrage
import pytest

from corridor.keyd.agent import Agent
from corridor.keyd.errors import UnwrapFailed
from corridor.keyd.keystore import load_keystore
from corridor.keyd.testing import running_agent

pytestmark = pytest.mark.slow

CREATE = r"""
import json
from corridor.accounts.services import organisation_create, user_create
from corridor.cases.services import person_create, household_create, household_add_member
from corridor.funds.services.donors import donor_create
from corridor.intake.services import contact_record
from corridor.crypto.keys import new_data_key
org = organisation_create(actor="system:test", name="Org", slug="org", code_prefix="K")
operator, _ = user_create(actor="system:test", organisation=org, username="op", role="operator",
                          password="a long test password 1", display_name="Op")
head = person_create(actor="system:test", organisation=org, identity={"name_cyrillic": "Иван"},
                     phone="+79281234567", notes="victim-notes")
hh = household_create(actor="system:test", head=head)
member = household_add_member(actor="system:test", household=hh, identity={"name_cyrillic": "Мария"},
                              role="partner").person
survivor = person_create(actor="system:test", organisation=org, identity={"name_cyrillic": "Пётр"},
                         phone="+79289990000", notes="survivor")
donor = donor_create(actor="system:test", organisation=org, kind="individual", name="Donor Name",
                     contact="+7 928 000")
contact = contact_record(actor=operator, organisation=org, channel="telegram", what="help",
                         identifiers=[("phone", "8 (928) 555-11-22")])
file_key = new_data_key(scope="file", organisation=org)
def item(dk):
    dk.refresh_from_db()
    return {"id": str(dk.id), "wrapped": bytes(dk.wrapped).hex(), "ad": dk.wrap_ad().hex(), "v": dk.root_version}
print(json.dumps({"victims": [item(head.data_key), item(member.data_key), item(donor.data_key),
                              item(contact.data_key), item(file_key)],
                  "survivor": str(survivor.pk), "head": str(head.pk), "member": str(member.pk),
                  "donor": str(donor.pk), "contact": str(contact.pk), "file_key": str(file_key.id)}))
"""

ERASE = r"""
import json, sys
from corridor.cases.models import Person
from corridor.cases.services import person_erase
from corridor.funds.models import Donor
from corridor.funds.services.donors import donor_erase
from corridor.intake.models import Contact
from corridor.intake.services.housekeeping import contact_erase
from corridor.crypto.keys import destroy_data_key
from corridor.crypto.models import DataKey
ids = json.loads(sys.stdin.read())
for pk in (ids["head"], ids["member"]):
    person_erase(actor="system:test", person=Person.objects.get(pk=pk))
donor_erase(actor="system:test", donor=Donor.objects.get(pk=ids["donor"]))
from django.db import transaction
with transaction.atomic():  # as contacts_erase_expired calls it
    contact_erase(actor="system:test", contact=Contact.objects.get(pk=ids["contact"]))
destroy_data_key(DataKey.objects.get(pk=ids["file_key"]))
print("erased")
"""

SURVIVOR = r"""
import sys
from corridor.cases.models import Person
print(Person.objects.get(pk=sys.stdin.read().strip()).phone)
"""


def _env(var: Path, agent, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update(CORRIDOR_VAR=str(var), CORRIDOR_KEYD_SOCKET=agent.socket_path, CORRIDOR_KEYSTORE=agent.keystore_path,
               CORRIDOR_SECRET_KEY="erasure-attack-test-" + "s" * 40, DATABASE_URL=database_url)
    return env


def _corridor(env, *args: str, stdin: str = "") -> str:
    result = subprocess.run([sys.executable, "-m", "corridor.cli", *args], env=env, input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _open_backup(path: Path, identity, into: Path) -> Path:
    with open(path, "rb") as fh:
        plain = pyrage.decrypt(fh.read(), [identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        tar.extractall(into, filter="data")
    return into


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _hits(blob: bytes, data: bytes) -> int:
    return data.count(blob) + data.count(blob.hex().encode())


@pytest.fixture(params=["sqlite", "postgresql"])
def installation(request, tmp_path, settings):
    vendor = request.param
    from django.db import connection

    if vendor == "postgresql":
        if connection.vendor != "postgresql":
            pytest.skip("the PostgreSQL variant runs in the PostgreSQL pass of the suite (DATABASE_URL=postgres://)")
        import psycopg

        db = connection.settings_dict
        name = f"erasure_{uuid.uuid4().hex[:10]}"
        admin = dict(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                     password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)
        with psycopg.connect(**admin) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        auth = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
        url = f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        yield vendor, url, admin, name
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        if connection.vendor != "sqlite":
            pytest.skip("the SQLite variant runs in the SQLite pass of the suite")
        yield vendor, f"sqlite:///{tmp_path / 'var' / 'corridor.sqlite3'}", None, None


def test_after_erasure_no_copy_of_the_old_wrapped_keys_opens(installation, tmp_path, capsys):
    vendor, url, admin, dbname = installation
    var = tmp_path / "var"
    var.mkdir()
    identity = pyrage.x25519.Identity.generate()
    with running_agent(tmp_path) as agent:
        env = _env(var, agent, url)
        _corridor(env, "migrate", "--no-input", "-v", "0")
        made = json.loads(_corridor(env, "shell", "-c", CREATE).strip().splitlines()[-1])
        victims = [(bytes.fromhex(v["wrapped"]), bytes.fromhex(v["ad"]), v["v"]) for v in made["victims"]]
        assert all(v == 0 for _, _, v in victims)  # all bucketed
        assert agent.client.unwrap("attacker", victims)  # they open before the erasure
        _corridor(env, "backup", "-r", str(identity.to_public()), "-o", str(tmp_path / "before.age"))

        _corridor(env, "shell", "-c", ERASE, stdin=json.dumps(made))
        _corridor(env, "backup", "-r", str(identity.to_public()), "-o", str(tmp_path / "after.age"))

        # -- the attacker gathers every byte they can read
        artefacts: dict[str, bytes] = {}
        after = _open_backup(tmp_path / "after.age", identity, tmp_path / "after")
        for f in _files(after):
            artefacts[f"backup-after:{f.relative_to(after)}"] = f.read_bytes()
        notes = []
        if vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{var / 'corridor.sqlite3'}{suffix}")
                if path.exists():
                    artefacts[path.name] = path.read_bytes()
            assert "corridor.sqlite3" in artefacts
        else:
            import psycopg

            dump = tmp_path / "attacker.pgdump"
            subprocess.run(["pg_dump", "--format=plain", f"--file={dump}", "--dbname", url.replace("postgres://", "postgresql://")],
                           check=True, capture_output=True, timeout=300)
            artefacts["pg_dump"] = dump.read_bytes()
            restored = subprocess.run(["pg_restore", "-f", "-", str(after / "corridor.pgdump")],
                                      capture_output=True, timeout=300)
            artefacts["backup-after:pg_restore"] = restored.stdout
            with psycopg.connect(**admin) as conn:
                conn.execute("CHECKPOINT")  # what is in shared buffers reaches the disk
                datadir = Path(conn.execute("SHOW data_directory").fetchone()[0])
                oid = conn.execute("SELECT oid FROM pg_database WHERE datname = %s", [dbname]).fetchone()[0]
            try:
                for sub in (datadir / "base" / str(oid), datadir / "pg_wal"):
                    for f in _files(sub):
                        artefacts[f"pgdata:{f.relative_to(datadir)}"] = f.read_bytes()
            except PermissionError:
                notes.append(f"PostgreSQL data directory {datadir} is not readable here: scanned pg_dump only")
            found_in_pgdata = sum(_hits(w, data) for k, data in artefacts.items() if k.startswith("pgdata:")
                                  for w, _, _ in victims)
            notes.append(f"old wrapped blobs found in the PostgreSQL data directory/WAL: {found_in_pgdata}")

        # -- every candidate: each occurrence is the same bytes, so the distinct
        # candidates are the copies themselves; all go to the live agent.
        found = {name: sum(_hits(w, data) for w, _, _ in victims) for name, data in artefacts.items()}
        if vendor == "sqlite":
            # secure_delete zeroes freed pages; the TRUNCATE checkpoint empties the WAL.
            assert found["corridor.sqlite3"] == 0 and found.get("corridor.sqlite3-wal", 0) == 0, found
        for item in victims:
            with pytest.raises(UnwrapFailed):
                agent.client.unwrap("attacker", [item])
        assert agent.client.status()["retiring"] == {}

        # The agent is alive and the bucket-mates survived.
        assert _corridor(env, "shell", "-c", SURVIVOR, stdin=made["survivor"]).strip().splitlines()[-1] == "+79289990000"

        # -- the backup made before still opens, with the keystore of its time
        before = _open_backup(tmp_path / "before.age", identity, tmp_path / "before")
        old = Agent(load_keystore(before / "keystore.json"))
        old.unseal_passphrase(agent.passphrase)
        from corridor.keyd.protocol import b64e

        resp = old.handle({"op": "unwrap", "principal": "restorer", "items": [
            {"wrapped": b64e(w), "ad": b64e(ad), "root_version": v} for w, ad, v in victims]})
        assert resp["ok"] is True
        old.seal("done")
    with capsys.disabled():
        for note in notes:
            print(f"\n[erasure attack, {vendor}] {note}")
