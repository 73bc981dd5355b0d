"""Evidence bundles: built, opened by the standard `age` tool, verified offline, and
every tampering (one changed byte) detected with the item named."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command
from pyrage import x25519

from corridor.audit.checkpoint import sign_note, verifier_key
from corridor.evidence import bundle_format as fmt
from corridor.evidence import storage
from corridor.evidence.bundle_verify import read_identities, render, verify_bundle
from corridor.evidence.events import EvidenceEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle_file(built_bundle, tmp_path):
    path = tmp_path / "bundle.age"
    shutil.copyfile(storage.path_for(built_bundle.blob), path)
    return path


def plaintext(path, identity) -> bytes:
    return pyrage.decrypt(path.read_bytes(), [identity.identity])


def members(tar_bytes: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        return {m.name: m for m in archive.getmembers()}


def reseal(tmp_path, identity, tar_bytes: bytes):
    """What someone holding the bundle could do: change it and encrypt it again."""
    path = tmp_path / "tampered.age"
    path.write_bytes(pyrage.encrypt(tar_bytes, [x25519.Recipient.from_str(identity.recipient)]))
    return path


def flip(tar_bytes: bytes, name: str, offset: int = 0) -> bytes:
    info = members(tar_bytes)[name]
    data = bytearray(tar_bytes)
    data[info.offset_data + offset] ^= 0x01
    return bytes(data)


def replace_member(tar_bytes: bytes, name: str, content: bytes) -> bytes:
    """Rebuild the archive with one member's content replaced (its size may change)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as src, tarfile.open(fileobj=out, mode="w",
                                                                         format=tarfile.GNU_FORMAT) as dst:
        for member in src.getmembers():
            data = content if member.name == name else src.extractfile(member).read()
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return out.getvalue()


def failed_items(path, identity, **kwargs) -> list[str]:
    report = verify_bundle(path, [identity.identity], **kwargs)
    assert not report.ok
    return [f.item for f in report.failures]


def test_an_untouched_bundle_verifies(bundle_file, identity, world):
    report = verify_bundle(bundle_file, [identity.identity])
    assert report.ok, render(report)
    assert report.files == 1  # the PDF; the photo documents only an internal-only act
    assert report.entries == 3  # received, stripped (working copy made), exported
    assert report.origin == "corridor.test/audit"
    assert "VERIFIED" in render(report)


def test_the_bundle_contains_the_originals_byte_for_byte(bundle_file, identity, world):
    tar_bytes = plaintext(bundle_file, identity)
    names = list(members(tar_bytes))
    assert names[:5] == list(fmt.METADATA)
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        pdf = archive.extractfile(fmt.file_path(str(world.pdf.id), "pdf")).read()
    assert hashlib.sha256(pdf).hexdigest() == world.pdf.sha256


def test_the_tar_is_deterministic_and_plain(bundle_file, identity):
    for info in members(plaintext(bundle_file, identity)).values():
        assert info.isreg() and info.uid == 0 and info.gid == 0 and info.mode == 0o444
        assert not info.name.startswith("/") and ".." not in info.name


def test_the_bundle_records_its_own_export_in_the_custody_log(built_bundle, world):
    from corridor.audit.models import AuditEntry

    exported = AuditEntry.objects.get(code=EvidenceEvent.FILE_EXPORTED)
    assert exported.data == {"file": str(world.pdf.id), "sha256": world.pdf.sha256, "bundle": built_bundle.code}
    sealed = AuditEntry.objects.get(code=EvidenceEvent.BUNDLE_SEALED)
    assert sealed.data["manifest_sha256"] == built_bundle.manifest_sha256
    built = AuditEntry.objects.get(code=EvidenceEvent.BUNDLE_BUILT)
    assert built.data["sha256"] == built_bundle.sha256 == hashlib.sha256(
        storage.path_for(built_bundle.blob).read_bytes()).hexdigest()


def test_one_changed_byte_in_a_file_names_the_file(bundle_file, identity, world, tmp_path):
    name = fmt.file_path(str(world.pdf.id), "pdf")
    tampered = reseal(tmp_path, identity, flip(plaintext(bundle_file, identity), name, 5))
    assert failed_items(tampered, identity) == [name]


def test_one_changed_byte_in_the_manifest_names_the_manifest(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    manifest = members(tar_bytes)[fmt.MANIFEST]
    # A byte inside a description, so the JSON stays valid: only the sealed hash catches it.
    text = tar_bytes[manifest.offset_data:manifest.offset_data + manifest.size]
    offset = text.index(b"Disappearance") + 2
    tampered = reseal(tmp_path, identity, flip(tar_bytes, fmt.MANIFEST, offset))
    assert failed_items(tampered, identity) == [fmt.MANIFEST]


def test_one_changed_byte_in_a_proof_names_the_custody_entry(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    proofs = json.loads(tar_bytes[members(tar_bytes)[fmt.PROOFS].offset_data:][: members(tar_bytes)[fmt.PROOFS].size])
    seq = sorted(proofs["inclusion"], key=int)[0]
    first = proofs["inclusion"][seq][0]
    proofs["inclusion"][seq][0] = ("B" if first[0] == "A" else "A") + first[1:]
    changed = json.dumps(proofs, indent=1, sort_keys=True).encode()
    tampered = reseal(tmp_path, identity, replace_member(tar_bytes, fmt.PROOFS, changed))
    items = failed_items(tampered, identity)
    assert len(items) == 1 and items[0].startswith(f"custody entry #{seq} ")


def test_a_changed_byte_in_the_manifest_proof_names_proofs(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    info = members(tar_bytes)[fmt.PROOFS]
    text = tar_bytes[info.offset_data:info.offset_data + info.size]
    offset = text.index(b'"manifest_entry"')
    offset = text.index(b'"proof": [', offset) + len(b'"proof": [\n  "') + 3
    assert failed_items(reseal(tmp_path, identity, flip(tar_bytes, fmt.PROOFS, offset)), identity) == [fmt.PROOFS]


def test_one_changed_byte_in_the_checkpoint_names_the_checkpoint(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    info = members(tar_bytes)[fmt.CHECKPOINT]
    note = tar_bytes[info.offset_data:info.offset_data + info.size]
    offset = note.index(b"\n", note.index(b"\n") + 1) + 3  # inside the root hash line
    tampered = reseal(tmp_path, identity, flip(tar_bytes, fmt.CHECKPOINT, offset))
    assert failed_items(tampered, identity) == [fmt.CHECKPOINT]


def test_a_changed_readme_is_named(bundle_file, identity, tmp_path):
    tampered = reseal(tmp_path, identity, flip(plaintext(bundle_file, identity), fmt.README, 10))
    assert failed_items(tampered, identity) == [fmt.README]


def test_a_changed_byte_in_the_age_file_itself_is_detected(bundle_file, identity, tmp_path):
    data = bytearray(bundle_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    path = tmp_path / "flipped.age"
    path.write_bytes(bytes(data))
    report = verify_bundle(path, [identity.identity])
    assert not report.ok
    assert "altered" in report.failures[0].message


def test_the_wrong_identity_cannot_open_it(bundle_file):
    stranger = x25519.Identity.generate()
    report = verify_bundle(bundle_file, [stranger])
    assert [f.item for f in report.failures] == ["age header"]


def test_an_added_file_is_named(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as src, tarfile.open(fileobj=out, mode="w",
                                                                         format=tarfile.GNU_FORMAT) as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
        extra = tarfile.TarInfo(fmt.FILES + "planted.pdf")
        extra.size = 4
        dst.addfile(extra, io.BytesIO(b"%PDF"))
    assert failed_items(reseal(tmp_path, identity, out.getvalue()), identity) == [fmt.FILES + "planted.pdf"]


def test_a_removed_file_is_named(bundle_file, identity, world, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    name = fmt.file_path(str(world.pdf.id), "pdf")
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as src, tarfile.open(fileobj=out, mode="w",
                                                                         format=tarfile.GNU_FORMAT) as dst:
        for member in src.getmembers():
            if member.name != name:
                dst.addfile(member, src.extractfile(member))
    assert failed_items(reseal(tmp_path, identity, out.getvalue()), identity) == [name]


def test_a_symlink_member_is_refused_without_touching_the_disk(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as src, tarfile.open(fileobj=out, mode="w",
                                                                         format=tarfile.GNU_FORMAT) as dst:
        link = tarfile.TarInfo(fmt.FILES + "evil")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        dst.addfile(link)
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
    items = failed_items(reseal(tmp_path, identity, out.getvalue()), identity)
    assert items == [fmt.FILES + "evil"]


def _forge_log(tar_bytes: bytes) -> bytes:
    """Re-sign the checkpoint with an attacker's key under the same origin name."""
    info = members(tar_bytes)
    note = tar_bytes[info[fmt.CHECKPOINT].offset_data:][: info[fmt.CHECKPOINT].size].decode()
    body = note[: note.rindex("\n\n") + 1]
    origin = body.split("\n", 1)[0]
    attacker = Ed25519PrivateKey.generate()
    public = attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    forged = sign_note(body, origin, attacker.sign, public)
    tar_bytes = replace_member(tar_bytes, fmt.CHECKPOINT, forged.encode())
    return replace_member(tar_bytes, fmt.LOG_KEY, (verifier_key(origin, public) + "\n").encode())


def test_a_pinned_log_key_catches_a_re_signed_bundle(bundle_file, identity, tmp_path):
    tar_bytes = plaintext(bundle_file, identity)
    real_key = tar_bytes[members(tar_bytes)[fmt.LOG_KEY].offset_data:][:200].split(b"\n")[0].decode()
    forged = reseal(tmp_path, identity, _forge_log(tar_bytes))
    # Without a pinned key the forgery is self-consistent: that is why courts pin it.
    assert verify_bundle(forged, [identity.identity]).ok
    assert failed_items(forged, identity, pinned_key=real_key) == [fmt.CHECKPOINT]
    assert verify_bundle(bundle_file, [identity.identity], pinned_key=real_key).ok


def test_the_standard_age_tool_opens_the_bundle(bundle_file, identity, world, tmp_path):
    age = shutil.which("age")
    if age is None:
        if os.environ.get("CI"):
            pytest.fail("the age CLI is required in CI (apt-get install age)")
        pytest.skip("the `age` command is not installed (apt-get install age); CI runs this test")
    result = subprocess.run([age, "--decrypt", "--identity", str(identity.path), str(bundle_file)],
                            capture_output=True, check=True, timeout=60)
    assert result.stdout == plaintext(bundle_file, identity)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        pdf = archive.extractfile(fmt.file_path(str(world.pdf.id), "pdf")).read()
    assert hashlib.sha256(pdf).hexdigest() == world.pdf.sha256


def test_the_management_command_verifies_and_fails_loudly(bundle_file, identity, tmp_path):
    out = io.StringIO()
    call_command("verify_bundle", str(bundle_file), identity=str(identity.path), stdout=out)
    assert "VERIFIED" in out.getvalue()
    name = fmt.README
    tampered = reseal(tmp_path, identity, flip(plaintext(bundle_file, identity), name, 3))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_bundle", str(tampered), identity=str(identity.path), stdout=out)
    assert f"FAIL  {name}" in out.getvalue()


def test_the_verifier_runs_without_django_or_a_database(bundle_file, identity):
    script = (
        "import sys, corridor.evidence.bundle_verify as v\n"
        f"rc = v.main([{str(bundle_file)!r}, '--identity', {str(identity.path)!r}])\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "CORRIDOR"))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout


def test_read_identities_accepts_age_keygen_files_and_refuses_empty_ones(identity, tmp_path):
    assert len(read_identities(identity.path)) == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n")
    with pytest.raises(ValueError):
        read_identities(empty)
