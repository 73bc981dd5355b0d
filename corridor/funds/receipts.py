"""Encrypted receipt files.

A receipt can name a landlord, a clinic or a passenger, so it is encrypted on
arrival (AES-256-GCM under the expense's data key, associated data binding the
expense and key) and written to the blob store; the database holds only the blob
name and, encrypted, the original file name and hash. Uploads are read in chunks
up to a hard limit and their type is decided by their first bytes, never by the
name or the browser's claim; only PDF and common photo formats are accepted, and
downloads are always attachments, so a crafted file never renders in the page.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from corridor.crypto import aead
from corridor.crypto.keys import data_key_bytes

MAX_RECEIPT_BYTES = 10 * 1024 * 1024
_NAME = re.compile(r"[0-9a-f]{32}")

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


def _path(name: str) -> Path:
    if not _NAME.fullmatch(name or ""):
        raise ValueError("not a blob name")
    root = Path(settings.CORRIDOR_BLOB_DIR) / "funds"
    return root / name[:2] / name


def store(expense, content: bytes) -> tuple[str, str]:
    """Encrypt and write; returns (blob name, sha256 of the plaintext)."""
    dk = expense.data_key
    blob = aead.encrypt(data_key_bytes(dk), content, _ad(expense, dk), dk.version)
    name = uuid.uuid4().hex
    path = _path(name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return name, hashlib.sha256(content).hexdigest()


def load(expense) -> bytes:
    dk = expense.data_key
    blob = _path(expense.receipt_blob).read_bytes()
    return aead.decrypt(data_key_bytes(dk), blob, _ad(expense, dk), dk.version)


def discard(name: str) -> None:
    """Remove a blob written by a transaction that then rolled back."""
    try:
        _path(name).unlink()
    except (FileNotFoundError, ValueError):
        pass
