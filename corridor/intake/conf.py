"""Intake settings. Read at call time from Django settings, else the environment,
else the default, so a deployment sets them without code and tests can override
them; a malformed value fails loudly (see `corridor.conf`)."""

from __future__ import annotations

from django.conf import settings

from corridor.conf import env_int, env_str


def _int(name: str, default: int, *, minimum: int = 1) -> int:
    value = getattr(settings, name, None)
    if value is not None:
        return int(value)
    return env_int(name, default, minimum=minimum)


def receipt_expiry_days() -> int:
    """Days without a visit after which a receipt (and replies sealed to it) is deleted."""
    return _int("CORRIDOR_RECEIPT_EXPIRY_DAYS", 90)


def retention_days() -> int:
    """Days of inactivity after which a contact that never became a case is erased."""
    return _int("CORRIDOR_CONTACT_RETENTION_DAYS", 90)


def max_text_chars() -> int:
    return _int("CORRIDOR_INTAKE_MAX_CHARS", 20_000, minimum=100)


def max_files() -> int:
    return _int("CORRIDOR_INTAKE_MAX_FILES", 5, minimum=0)


def max_file_bytes() -> int:
    return _int("CORRIDOR_INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024)


def max_total_bytes() -> int:
    return _int("CORRIDOR_INTAKE_MAX_TOTAL_BYTES", 25 * 1024 * 1024)


def max_request_bytes() -> int:
    """Above this the files are not kept: the body is read only to keep the text."""
    return max_total_bytes() + 512 * 1024


def max_drain_bytes() -> int:
    """Refused from the Content-Length header alone, before a byte of the body is read.

    Between `max_request_bytes` and this, the text fields are read as they stream and
    the files are dropped unread, so a person who attached a 50 MB video gets their
    story back instead of a dead end."""
    return max(_int("CORRIDOR_INTAKE_MAX_DRAIN_BYTES", 256 * 1024 * 1024), max_request_bytes())


def organisation_slug() -> str:
    """Which organisation the public form at / writes to (default: the oldest)."""
    value = getattr(settings, "CORRIDOR_INTAKE_ORGANISATION", None)
    return value if value is not None else env_str("CORRIDOR_INTAKE_ORGANISATION", "")


def quick_exit_url() -> str:
    value = getattr(settings, "CORRIDOR_QUICK_EXIT_URL", None)
    return value or env_str("CORRIDOR_QUICK_EXIT_URL", "https://yandex.ru/pogoda/")


def receipt_lock_failures() -> int:
    """Wrong receipts per lookup tag before that tag is locked for a while."""
    return _int("CORRIDOR_RECEIPT_MAX_FAILURES", 5)


def receipt_argon2_parallel() -> int:
    """Receipt checks that may run Argon2 at the same time in one worker process."""
    return _int("CORRIDOR_RECEIPT_ARGON2_PARALLEL", 1)
