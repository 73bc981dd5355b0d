"""Encrypted receipt files.

A receipt can name a landlord, a clinic or a passenger, so it is encrypted on
arrival (AES-256-GCM under the expense's data key, associated data binding the
expense and key) and written to the file store (`corridor/blobs`, area `funds`),
on this host's disk or in the database like evidence and intake files, so on
several hosts a receipt attached through one opens on every other, and it is
backed up and replicated with the database. The file is adopted in the
transaction that writes the expense, so the row and the bytes commit together.
The database holds only the blob name and, encrypted, the original file name and hash. Uploads are read in chunks
up to a hard limit and their type is decided by their first bytes, never by the
name or the browser's claim; only PDF and common photo formats are accepted, and
downloads are always attachments, so a crafted file never renders in the page.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from corridor.blobs import storage as files
from corridor.crypto import aead
from corridor.crypto.keys import data_key_bytes

MAX_RECEIPT_BYTES = 10 * 1024 * 1024
AREA = "funds"

SIGNATURES: list[tuple[bytes, int, str, str]] = [
    # (magic, offset, content type, extension)
    (b"%PDF-", 0, "application/pdf", "pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
]


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, offset, content_type, extension in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and head[:4] != b"RIFF":
                continue
            return content_type, extension
    return None


def read_upload(upload) -> tuple[bytes, str, str]:
    """(content, content type, extension) of an uploaded receipt, or ValidationError."""
    chunks, size = [], 0
    for chunk in upload.chunks(64 * 1024):
        size += len(chunk)
        if size > MAX_RECEIPT_BYTES:
            raise ValidationError(
                _("The receipt is larger than %(mb)s MB. Scan it at a lower resolution or as a PDF."),
                code="too_large", params={"mb": MAX_RECEIPT_BYTES // (1024 * 1024)},
            )
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise ValidationError(_("The receipt file is empty."), code="empty")
    found = sniff(content[:16])
    if found is None:
        raise ValidationError(_("A receipt must be a PDF, JPEG, PNG or WebP file."), code="type")
    return content, found[0], found[1]


def _ad(expense, dk) -> bytes:
    return "\x00".join(["corridor/funds/receipt/v1", str(expense.pk), str(dk.pk), str(dk.version)]).encode()


def store(expense, content: bytes) -> tuple[str, str]:
    """Encrypt, write and adopt; returns (blob name, sha256 of the plaintext).
    Called inside the transaction that saves the expense."""
    dk = expense.data_key
    blob = aead.encrypt(data_key_bytes(dk), content, _ad(expense, dk), dk.version)
    writer = files.writer(AREA)
    try:
        writer.write(blob)
        writer.commit()
        files.adopt(AREA, [writer.name])
    except BaseException:
        writer.discard()
        raise
    return writer.name, hashlib.sha256(content).hexdigest()


def load(expense) -> bytes:
    dk = expense.data_key
    with files.open_file(AREA, expense.receipt_blob) as fh:
        blob = fh.read()
    return aead.decrypt(data_key_bytes(dk), blob, _ad(expense, dk), dk.version)


def discard(name: str) -> None:
    """Remove a blob written by a transaction that then rolled back, or replaced."""
    try:
        files.delete(AREA, name)
    except ValueError:
        pass
