"""Corridor's own deployment checks, run with Django's by `corridor check --deploy`.

Each names one unsafe setting of a production install (docs/operations.md):
debug pages, no TLS on a clearnet name, var/ or the keystore readable by others,
the key agent running as the web user, a secret key file others can read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.translation import gettext as _

LOCAL = {"127.0.0.1", "localhost", "::1", "testserver"}


def _loose(path: Path, mask: int) -> bool:
    try:
        return bool(os.stat(path).st_mode & mask)
    except FileNotFoundError:
        return False


@register(Tags.security, deploy=True)
def corridor_deploy_checks(app_configs=None, **kwargs) -> list:
    found: list = []
    if settings.DEBUG:
        found.append(Error("CORRIDOR_DEBUG is on: error pages would show settings and data.",
                           hint="Unset CORRIDOR_DEBUG.", id="corridor.E001"))
    public = [h for h in settings.ALLOWED_HOSTS if h not in LOCAL and not h.endswith(".onion")]
    if public and not settings.TLS:
        found.append(Error(f"Served under {', '.join(public)} without TLS (CORRIDOR_TLS is false).",
                           hint="Put a TLS proxy in front and set CORRIDOR_TLS=true (deploy/).", id="corridor.E002"))
    if "*" in settings.ALLOWED_HOSTS:
        found.append(Error("CORRIDOR_ALLOWED_HOSTS contains '*'.", id="corridor.E003"))
    var = Path(settings.VAR_DIR)
    if _loose(var, 0o077):
        found.append(Error(f"{var} is readable or writable by others (mode {stat.S_IMODE(os.stat(var).st_mode):o}).",
                           hint=f"chmod 700 {var}", id="corridor.E004"))
    keystore = Path(settings.CORRIDOR_KEYSTORE)
    if _loose(keystore, 0o077):
        found.append(Error(f"The keystore {keystore} is readable by others.", hint=f"chmod 600 {keystore}",
                           id="corridor.E005"))
    secret_file = var / "secret-key"
    if _loose(secret_file, 0o077):
        found.append(Error(f"{secret_file} is readable by others.", hint=f"chmod 600 {secret_file}",
                           id="corridor.E006"))
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and _loose(Path(str(database["NAME"])), 0o077):
        found.append(Error("The SQLite database is readable by others.", id="corridor.E007"))
    if keystore.exists() and os.access(keystore, os.R_OK):
        found.append(Warning("This user can read the keystore: the key agent does not run under its own user.",
                             hint="Run keyd as corridor-keyd (deploy/systemd/corridor-keyd.service).",
                             id="corridor.W001"))
    sock = Path(settings.CORRIDOR_KEYD_SOCKET)
    try:
        owner = os.stat(sock).st_uid
    except FileNotFoundError:
        owner = None
    if owner is not None and owner == os.getuid():
        found.append(Warning("The key agent's socket belongs to this user: keyd runs as the web user.",
                             id="corridor.W002"))
    if getattr(settings, "CORRIDOR_FILE_STORAGE", "filesystem") == "filesystem" and \
            not database["ENGINE"].endswith("sqlite3") and getattr(settings, "CORRIDOR_HOSTS", []):
        found.append(Warning("Several hosts are listed but files are kept on this host's disk.",
                             hint="Set CORRIDOR_FILE_STORAGE=database.", id="corridor.W003"))
    found += _shared_agent_checks(keystore)
    found += _certificate_expiry_checks()
    return found


def _certificate_expiry_checks() -> list:
    """The key agent's TLS certificates: a warning within WARN_DAYS (30) of their end,
    an error once ended (corridor/crypto/certificates.py)."""
    import datetime

    from corridor.crypto.certificates import keyd_certificates

    now = datetime.datetime.now(datetime.UTC)
    found = []
    hint = _("Issue new ones on the key host with `corridor keyd-certs` and copy them to each host "
             "(docs/operations.md, \"Several application hosts\").")
    for cert in keyd_certificates():
        level = cert.level(now)
        if level in {"expired", "unreadable"}:
            found.append(Error(cert.describe(now), hint=hint, id="corridor.E010"))
        elif level == "soon":
            found.append(Warning(cert.describe(now), hint=hint, id="corridor.W006"))
    return found


def _shared_agent_checks(keystore: Path) -> list:
    """Several application hosts on one key agent (docs/operations.md)."""
    found = []
    url, listen = settings.CORRIDOR_KEYD_URL, settings.CORRIDOR_KEYD_LISTEN
    folder = Path(settings.CORRIDOR_KEYD_TLS_DIR)
    if url and keystore.exists():
        found.append(Error(
            f"This host uses the shared key agent but keeps a keystore at {keystore}: an old copy keeps "
            "erased keys' bucket keys alive.", hint="Delete it (shred -u); only the key host keeps the keystore.",
            id="corridor.E008"))
    keys = [Path(settings.CORRIDOR_KEYD_TLS_KEY)] if url else \
        [folder / "agent.key", folder / "ca.key"] if listen else []
    for key in keys:
        if _loose(key, 0o077):
            found.append(Error(f"The key agent's TLS key {key} is readable by others.", hint=f"chmod 600 {key}",
                               id="corridor.E009"))
    if listen and not (folder / "clients.txt").exists():
        found.append(Warning("The key agent listens for other hosts without clients.txt: any certificate from "
                             "the CA is accepted, and one host cannot be revoked alone.",
                             hint="Keep the clients.txt written by `corridor keyd-certs`.", id="corridor.W004"))
    if getattr(settings, "CORRIDOR_HOSTS", []) and not (url or listen):
        found.append(Warning("Several hosts are listed, each with its own key agent: a key one host's agent "
                             "puts in an erasure bucket does not open on the others.",
                             hint="Run one agent for all hosts (CORRIDOR_KEYD_LISTEN on the key host, "
                                  "CORRIDOR_KEYD_URL on the others).", id="corridor.W005"))
    return found
