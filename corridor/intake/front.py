"""What the buffering front (corridor/web/front.py) needs to refuse junk intake posts
without a Django worker: `corridor serve` writes it to the front's stdin as one JSON
line, never on the command line or in the environment.

- token_keys: for SECRET_KEY and each of SECRET_KEY_FALLBACKS, the key Django's
  `salted_hmac` derives for the form token's salt, sha256(TOKEN_SALT + "signer" +
  secret). It can check (and make) intake form tokens and nothing else: no session,
  no other signed value, and SECRET_KEY itself cannot be recovered from it. Anyone
  can get a valid token by loading the form, so holding it gives the front no power
  a visitor lacks.
- drain_bytes: the Content-Length above which Django refuses an intake post from its
  header alone (`conf.max_drain_bytes`).
- languages, host: the `?lang=` values the site knows and a Host it accepts, for the
  requests the front sends to fetch the refusal pages.
- backend_slots: worker processes x threads, the requests the workers can hold.
"""

from __future__ import annotations

import hashlib
import os

from django.conf import settings

from corridor.intake import conf
from corridor.intake.views.public import TOKEN_SALT


def token_key(secret: str) -> bytes:
    return hashlib.sha256((TOKEN_SALT + "signer").encode() + secret.encode()).digest()


def front_config(workers: int) -> dict:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    hosts = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and "*" not in h]
    return {
        "token_keys": [token_key(secret).hex() for secret in secrets],
        "drain_bytes": conf.max_drain_bytes(),
        "languages": [code for code, _ in settings.LANGUAGES],
        "host": hosts[0] if hosts else "localhost",
        "backend_slots": workers * int(os.environ.get("CORRIDOR_THREADS", "8")),
    }
