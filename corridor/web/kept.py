"""Typed work kept across a session expiry.

A staff form posted after the session expired (30 minutes idle) is not lost: its
fields are encrypted and kept in the new, anonymous session; after signing in again
the dashboard offers them back as a form that posts to the same page.

The session store (the database) holds only AES-256-GCM ciphertext. The key is a
random 256-bit value in an HttpOnly, SameSite=Strict cookie of the same browser,
scoped to /staff/, so a dump of the session table reveals nothing, and the cookie
alone holds no data. The associated data binds the ciphertext to its purpose and to
the path it will be posted to, so it cannot be replayed to another page. A fresh key
and nonce are drawn for every kept post (a key is never used twice). Files are not
kept: the person is told to attach them again.
"""

from __future__ import annotations

import base64
import json
import os
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

SESSION_FIELD = "kept_post"
COOKIE = "corridor_kept"
KEEP_SECONDS = 12 * 3600
MAX_BODY = 1024 * 1024  # larger posts (evidence uploads) are not buffered to be kept
SKIP = {"csrfmiddlewaretoken"}


def _ad(path: str) -> bytes:
    return b"corridor.kept-post/v1|" + path.encode()


def keep(request, response) -> None:
    """Encrypt the POST's text fields into the session, the key into a cookie."""
    fields = [(k, v) for k, values in request.POST.lists() if k not in SKIP for v in values]
    payload = json.dumps({"fields": fields, "files": bool(request.FILES), "at": time.time()}).encode()
    key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, payload, _ad(request.path))
    request.session[SESSION_FIELD] = {"path": request.path, "blob": base64.b64encode(nonce + sealed).decode()}
    response.set_cookie(COOKIE, base64.urlsafe_b64encode(key).decode(), max_age=KEEP_SECONDS, path="/staff/",
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Strict")


def kept(request) -> dict | None:
    """The kept post of this browser, decrypted, or None."""
    entry = request.session.get(SESSION_FIELD)
    raw_key = request.COOKIES.get(COOKIE)
    if not entry or not raw_key:
        return None
    try:
        key = base64.urlsafe_b64decode(raw_key)
        blob = base64.b64decode(entry["blob"])
        payload = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], _ad(entry["path"])))
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None
    if time.time() - payload.get("at", 0) > KEEP_SECONDS:
        return None
    return {"path": entry["path"], "fields": payload["fields"], "files": payload["files"]}


def forget(request, response=None) -> None:
    request.session.pop(SESSION_FIELD, None)
    if response is not None:
        response.delete_cookie(COOKIE, path="/staff/")
