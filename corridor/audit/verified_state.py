"""Where `corridor audit verify --since-checkpoint` starts: the newest checkpoint an
earlier verification accepted, kept in a small file beside the keystore.

The file holds no secret and needs no signature: it only names a size and a root, and
the incremental verification accepts it only if the database still holds a checkpoint
the key agent signed at that size with that root. An attacker who edits it can make the
incremental run re-read more, or fail; the full verification (the daily job) never
reads it.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings

from corridor.audit.verify import OutsideHead


def _path() -> Path:
    return Path(settings.CORRIDOR_AUDIT_VERIFIED_STATE)


def load(origin: str) -> OutsideHead | None:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        if data.get("origin") != origin:
            return None
        return OutsideHead("the last verification", int(data["size"]), base64.b64decode(data["root"], validate=True))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(origin: str, head: OutsideHead | None) -> None:
    if head is None:
        return
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"origin": origin, "size": head.size, "root": base64.b64encode(head.root).decode()})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-verified-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
