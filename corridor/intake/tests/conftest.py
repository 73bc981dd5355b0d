"""Intake fixtures: cheap Argon2id for receipts (tests only, like the root
conftest's FastArgon2), and helpers that drive the public form like a browser."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.evidence.samples import make_jpeg

JPEG = make_jpeg(32, 24)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ZIP = b"PK\x03\x04" + b"\x00" * 100


@pytest.fixture(autouse=True)
def fast_receipts(monkeypatch):
    from corridor.intake import receipts

    monkeypatch.setattr(receipts, "TIME_COST", 1)
    monkeypatch.setattr(receipts, "MEMORY_KIB", 64)


@pytest.fixture
def public():
    """An anonymous browser-like client with no cookies at all."""
    return Client()


def token_from(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "form token missing"
    return html.unescape(match.group(1))


def receipt_from(response) -> str:
    match = re.search(r'<p class="receipt" id="receipt">(.+?)</p>', response.content.decode())
    assert match, "receipt missing"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def submit(client, *, what="Меня задержали, нужна помощь", where="", reach="", urgency="3", files=(),
           lang="ru", token=None, **extra):
    if token is None:
        token = token_from(client.get(f"/?lang={lang}"))
    data = {"what": what, "where": where, "reach": reach, "urgency": urgency, "token": token, **extra}
    if files:
        data["files"] = list(files)
    return client.post(f"/?lang={lang}", data)


def look_up(client, receipt: str, *, lang: str | None = "ru"):
    """Look a receipt up as a person does: load the page (for its token), then post."""
    target = f"/receipt/?lang={lang}" if lang else "/receipt/"
    return client.post(target, {"token": token_from(client.get(target)), "receipt": receipt})


def write_again(client, receipt: str, text: str, *, lang="ru", files=()):
    page = look_up(client, receipt, lang=lang)
    data = {"receipt": receipt, "text": text, "token": token_from(page)}
    if files:
        data["files"] = list(files)
    return client.post(f"/receipt/write/?lang={lang}", data)


@pytest.fixture
def web_contact(cast, public):
    """A web submission with a photo, opened by the operator, and its receipt."""
    from corridor.intake.models import Contact
    from corridor.intake.services import messages_open

    receipt = receipt_from(submit(public, what="Задержали брата, ищут меня", where="Грозный",
                                  reach="Signal после 22:00", files=[upload("photo.jpg", JPEG)]))
    messages_open(actor=cast.operator, organisation=cast.org)
    contact = Contact.objects.select_related("data_key").get()
    contact.receipt_text = receipt
    return contact


@pytest.fixture
def recorded_contact(cast):
    from corridor.intake.services import contact_record

    return contact_record(actor=cast.operator, organisation=cast.org, channel="telegram",
                          what="Позвонил друг задержанного", urgency=2, flags=["family"],
                          identifiers=[("phone", "8 (928) 555-11-22"), ("handle", "@friend_of_x")])
