"""Intake files are handled like evidence: staff get a working copy without
metadata, the original opens only on purpose (and is audited), and bombs and
archive polyglots are refused at the door with a message in the person's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.audit.models import AuditEntry
from corridor.evidence import samples, scrub
from corridor.intake import sealing
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Attachment, Contact, Message
from corridor.intake.services import messages_open
from corridor.intake.tests.conftest import submit, upload

pytestmark = pytest.mark.django_db


def _tags(data: bytes, tmp_path: Path, ext: str) -> dict:
    path = tmp_path / f"got.{ext}"
    path.write_bytes(data)
    return scrub.read_metadata(path)


@pytest.fixture
def gps_photo():
    return samples.with_gps(samples.make_jpeg(48, 32))


@pytest.fixture
def sent_photo(cast, public, org, gps_photo):
    assert submit(public, files=[upload("IMG_2024.jpg", gps_photo)]).status_code == 200
    messages_open(actor=cast.operator, organisation=cast.org)
    return Attachment.objects.get()


def test_a_photo_with_gps_reaches_staff_without_it(cast, sent_photo, staff_client, tmp_path, gps_photo):
    assert "GPSLatitude" in _tags(gps_photo, tmp_path, "jpg")
    client = staff_client(cast.operator)
    contact = Contact.objects.get()
    page = client.get(f"/staff/intake/{contact.pk}/").content.decode()
    assert f"/staff/intake/files/{sent_photo.pk}/" in page
    response = client.get(f"/staff/intake/files/{sent_photo.pk}/")
    assert response.status_code == 200
    working = b"".join(response.streaming_content)
    tags = _tags(working, tmp_path, "jpg")
    assert not [t for t in tags if t.startswith("GPS")], tags
    assert not {"Make", "Model", "SerialNumber"} & set(tags)
    assert b"R58M12345" not in working and b"Samsung" not in working
    assert tags["ImageWidth"] == 48  # still the picture
    sent_photo.refresh_from_db()
    assert sent_photo.working_blob and sent_photo.working_blob != sent_photo.blob
    assert AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_STRIPPED).count() == 1
    # The second view reuses the copy instead of making another one.
    b"".join(client.get(f"/staff/intake/files/{sent_photo.pk}/").streaming_content)
    assert AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_STRIPPED).count() == 1
    assert AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_READ).count() == 2


def test_the_original_opens_only_on_purpose_and_is_audited(cast, sent_photo, staff_client, gps_photo):
    client = staff_client(cast.operator)
    assert client.get(f"/staff/intake/files/{sent_photo.pk}/original/").status_code == 405
    assert not AuditEntry.objects.filter(code=IntakeEvent.ATTACHMENT_ORIGINAL_OPENED).exists()
    response = client.post(f"/staff/intake/files/{sent_photo.pk}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == gps_photo
    assert "-original." in response["Content-Disposition"]
    entry = AuditEntry.objects.get(code=IntakeEvent.ATTACHMENT_ORIGINAL_OPENED)
    assert entry.actor == cast.operator.principal and entry.data["attachment"] == str(sent_photo.pk)


def test_others_cannot_open_the_original(cast, sent_photo, staff_client):
    for user in (cast.charlie, cast.partner_coordinator):
        assert staff_client(user).post(f"/staff/intake/files/{sent_photo.pk}/original/").status_code == 404


def test_the_working_copy_and_the_original_cannot_be_swapped_on_disk(cast, sent_photo, staff_client, settings):
    client = staff_client(cast.operator)
    b"".join(client.get(f"/staff/intake/files/{sent_photo.pk}/").streaming_content)
    sent_photo.refresh_from_db()
    directory = Path(settings.CORRIDOR_BLOB_DIR) / "intake"
    original, working = directory / sent_photo.blob, directory / sent_photo.working_blob
    original_bytes = original.read_bytes()
    original.write_bytes(working.read_bytes())  # an attacker with the disk serves the copy as the original
    key = __import__("base64").b64decode(Message.objects.get().file_key)
    with original.open("rb") as fh, pytest.raises(sealing.SealingError):
        b"".join(sealing.open_file(key, sent_photo.pk, fh))
    original.write_bytes(original_bytes)
    with working.open("rb") as fh, pytest.raises(sealing.SealingError):
        b"".join(sealing.open_file(key, sent_photo.pk, fh))  # the copy never opens as the original


def test_a_file_without_a_working_copy_says_why(cast, public, org, staff_client):
    assert submit(public, files=[upload("voice.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64)]).status_code == 200
    messages_open(actor=cast.operator, organisation=cast.org)
    item = Attachment.objects.get()
    client = staff_client(cast.operator)
    response = client.get(f"/staff/intake/files/{item.pk}/")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.working_refused == "tool_failed" and item.working_blob is None
    from django.utils import translation

    page = client.get(f"/staff/intake/{Contact.objects.get().pk}/").content.decode()
    with translation.override("ru"):
        assert "рабочей копии нет" in page and scrub.reason_text("tool_failed") in page


def _refused(response, fragment: str) -> None:
    body = response.content.decode()
    assert response.status_code == 400, response.status_code
    assert fragment in body, body[body.find('role="alert"') - 200:][:1500]
    assert Contact.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_photo_with_a_zip_behind_it_is_refused_in_russian(public, org):
    _refused(submit(public, files=[upload("photo.jpg", samples.make_jpeg() + samples.make_zip())]),
             "спрятан архив")


def test_a_pdf_with_a_zip_behind_it_is_refused_in_english_when_asked(public, org):
    _refused(submit(public, lang="en", files=[upload("scan.pdf", samples.make_pdf() + samples.make_zip())]),
             "has an archive (ZIP, RAR or similar) hidden inside it")


def test_a_pdf_bomb_is_refused_with_a_clear_message(public, org):
    _refused(submit(public, files=[upload("decision.pdf", samples.make_pdf_bomb())]),
             "при открытии стал бы гораздо больше")


def test_a_picture_with_too_many_pixels_is_refused(public, org):
    _refused(submit(public, files=[upload("photo.png", samples.make_png(declared=(60_000, 60_000)))]),
             "слишком много пикселей")
