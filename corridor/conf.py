"""Typed settings from the environment.

Every value Corridor reads from the environment goes through these helpers so a
malformed value stops start-up with the setting's name instead of silently falling
back to an insecure default (the Healthchecks pattern). ``NAME_FILE`` variants let
secrets come from files (Docker/systemd credentials) rather than the process
environment, which other local users can sometimes read.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse


class ImproperSetting(Exception):
    """A setting is present but unusable; the message names it."""


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperSetting(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise ImproperSetting(f"{name} is required but not set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperSetting(f"{name} must be true or false, got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperSetting(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperSetting(f"{name} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ImproperSetting(f"{name} must be at most {maximum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return Path(value).expanduser().resolve() if value else default


def database_from_url(name: str, url: str, *, sqlite_default: Path) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry (postgres:// or sqlite:///path)."""
    if not url:
        return _sqlite(sqlite_default)
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        db_name = unquote(parsed.path.lstrip("/"))
        if not db_name:
            raise ImproperSetting(f"{name} must name a database, e.g. postgres://user@host:5432/corridor")
        try:
            port = parsed.port
        except ValueError:
            raise ImproperSetting(f"{name} has an invalid port") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "ATOMIC_REQUESTS": False,
        }
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ImproperSetting(f"{name} must look like sqlite:////absolute/path.sqlite3")
        return _sqlite(Path(path))
    raise ImproperSetting(f"{name} must start with postgres:// or sqlite:///, got {parsed.scheme or url!r}")


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Reuse connections: each new one costs five PRAGMAs (~2 ms per request).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on
        # upgrade; WAL lets readers continue while one writes.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA secure_delete=ON;"
            ),
        },
    }


def check_webauthn_settings(rp_id: str, origins: list[str]) -> None:
    """Refuse start-up on a relying-party ID or origin a browser would never accept, so
    a typo shows at once instead of as keys that silently never work."""
    import ipaddress

    if not rp_id or "/" in rp_id or ":" in rp_id:
        raise ImproperSetting(f"CORRIDOR_WEBAUTHN_RP_ID must be a host name, got {rp_id!r}")
    try:
        ipaddress.ip_address(rp_id)
    except ValueError:
        pass
    else:
        raise ImproperSetting("CORRIDOR_WEBAUTHN_RP_ID cannot be an IP address; use a host name (or localhost)")
    if not origins:
        raise ImproperSetting("CORRIDOR_WEBAUTHN_ORIGINS needs at least one origin")
    for origin in origins:
        parts = urlparse(origin)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or not host or parts.path or parts.query:
            raise ImproperSetting(f"CORRIDOR_WEBAUTHN_ORIGINS: {origin!r} is not scheme://host[:port]")
        # Browsers run WebAuthn only in a secure context: https, localhost, and (in Tor
        # Browser) an onion service over plain http.
        if parts.scheme == "http" and host != "localhost" and not host.endswith(".onion"):
            raise ImproperSetting(f"CORRIDOR_WEBAUTHN_ORIGINS: {origin!r} must use https (only localhost or .onion may use http)")
        if host != rp_id and not host.endswith("." + rp_id):
            raise ImproperSetting(f"CORRIDOR_WEBAUTHN_ORIGINS: {origin!r} is not within CORRIDOR_WEBAUTHN_RP_ID {rp_id!r}")
