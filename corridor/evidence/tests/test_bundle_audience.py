"""Bundles by audience: courts get originals with their metadata (that is evidence);
journalists, advocacy and the public get only copies without it, which the offline
verifier links to the originals' hashes in custody without the originals."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pyrage
import pytest

from corridor.evidence import bundle_format as fmt
from corridor.evidence import samples, scrub, services, storage
from corridor.evidence.bundle_verify import render, verify_bundle
from corridor.evidence.models import EvidenceFile
from corridor.evidence.tests.conftest import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(cast):
    return {
        "photo": ingest(cast.legal, "IMG_Grozny.jpg", samples.with_gps(samples.make_jpeg())),
        "pdf": ingest(cast.legal, "Petrov-statement.pdf", samples.make_pdf()),
        "video": ingest(cast.legal, "VID_0501.mp4", samples.make_media("mp4")),
    }


def _bundle(cast, identity, audience: str, chosen: list, tmp_path: Path):
    bundle = services.bundle_request(actor=cast.legal, audience=audience, recipients=[identity.recipient],
                                     files=chosen, purpose="publication")
    bundle = services.bundle_approve(actor=cast.coordinator, bundle=bundle)
    assert bundle.status == "ready", bundle.status
    path = tmp_path / f"{audience}.age"
    shutil.copyfile(storage.path_for(bundle.blob), path)
    tar = pyrage.decrypt(path.read_bytes(), [identity.identity])
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        contents = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}
    return bundle, path, contents, json.loads(contents[fmt.MANIFEST])


def _tags(data: bytes, tmp_path: Path, ext: str) -> dict:
    path = tmp_path / f"member.{ext}"
    path.write_bytes(data)
    return scrub.read_metadata(path)


def test_a_journalist_bundle_holds_no_exif_no_pdf_author_and_no_video_creation_time(cast, identity, files, tmp_path):
    bundle, path, contents, manifest = _bundle(cast, identity, "journalist", list(files.values()), tmp_path)
    listed = {f["id"]: f for f in manifest["files"]}
    assert {f["copy"] for f in listed.values()} == {"stripped"}
    assert all(f["original_name"] is None for f in listed.values())  # "Petrov-statement.pdf" would name him
    photo = contents[fmt.stripped_path(str(files["photo"].id), "jpeg")]
    tags = _tags(photo, tmp_path, "jpg")
    assert not [t for t in tags if t.startswith("GPS")] and not {"Make", "Model", "SerialNumber"} & set(tags)
    assert b"Exif\x00\x00" not in photo
    pdf = contents[fmt.stripped_path(str(files["pdf"].id), "pdf")]
    assert b"Ivan Petrov" not in pdf and "Author" not in _tags(pdf, tmp_path, "pdf")
    video = _tags(contents[fmt.stripped_path(str(files["video"].id), "mp4")], tmp_path, "mp4")
    assert video.get("CreateDate") in (None, "0000:00:00 00:00:00")
    assert scrub.residual(video) == [] and "Ivan" not in repr(video)
    for f in files.values():  # no original went, byte for byte or by name
        original = b"".join(services.file_read(f))
        assert original not in contents.values() and fmt.file_path(str(f.id), f.kind) not in contents
    report = verify_bundle(path, [identity.identity])
    assert report.ok, render(report)
    assert report.files == 3 and "links it to the original" in render(report)


def test_a_court_bundle_holds_the_originals_with_their_metadata(cast, identity, files, tmp_path):
    _, path, contents, manifest = _bundle(cast, identity, "legal", [files["photo"], files["pdf"]], tmp_path)
    assert {f["copy"] for f in manifest["files"]} == {"original"}
    photo = contents[fmt.file_path(str(files["photo"].id), "jpeg")]
    assert "GPSLatitude" in _tags(photo, tmp_path, "jpg")
    assert verify_bundle(path, [identity.identity]).ok


@pytest.mark.parametrize("audience", ["public", "advocacy"])
def test_public_and_advocacy_bundles_withhold_a_file_that_has_no_copy(cast, identity, files, tmp_path, audience):
    broken = ingest(cast.legal, "voice.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64)
    assert EvidenceFile.objects.get(pk=broken.pk).working_refused
    bundle, path, contents, manifest = _bundle(cast, identity, audience, [files["pdf"], broken], tmp_path)
    assert [f["id"] for f in manifest["files"]] == [str(files["pdf"].id)]
    assert manifest["withheld_for_consent"]["files_without_copy"] == [broken.code]
    assert not any(str(broken.id) in name for name in contents)
    assert verify_bundle(path, [identity.identity]).ok


def test_a_copy_not_linked_to_its_original_in_custody_fails_offline(cast, identity, files, tmp_path):
    from corridor.evidence.tests.test_bundle import replace_member, reseal

    bundle, path, contents, manifest = _bundle(cast, identity, "journalist", [files["pdf"]], tmp_path)
    # Someone swaps in another "clean" PDF and fixes the manifest's hash to match: the
    # manifest no longer hashes to the sealed value, and the copy is linked to nothing.
    other = samples.make_pdf("Another document", author="")
    name = fmt.stripped_path(str(files["pdf"].id), "pdf")
    manifest["files"][0]["sha256"] = __import__("hashlib").sha256(other).hexdigest()
    manifest["files"][0]["size"] = len(other)
    tar = pyrage.decrypt(path.read_bytes(), [identity.identity])
    tar = replace_member(replace_member(tar, name, other), fmt.MANIFEST, json.dumps(manifest).encode())
    report = verify_bundle(reseal(tmp_path, identity, tar), [identity.identity])
    assert not report.ok and report.failures[0].item == fmt.MANIFEST


def test_the_verifier_refuses_a_stripped_copy_whose_link_is_missing():
    from corridor_verify.bundle import _copy_link

    f = {"id": "f1", "sha256": "aa", "original_sha256": "bb"}
    leaf = json.dumps({"code": 6025, "seq": 3, "data": {"file": "f1", "sha256": "bb", "working_sha256": "aa"}})
    custody = [{"seq": 3, "code": 6025, "file": "f1", "leaf": leaf}]
    assert _copy_link(custody, f, verified={3}) == 3
    assert _copy_link(custody, f, verified=set()) is None  # an entry not proven in the signed tree
    assert _copy_link(custody, {**f, "original_sha256": "cc"}, verified={3}) is None
    assert _copy_link(custody, {**f, "sha256": "dd"}, verified={3}) is None
