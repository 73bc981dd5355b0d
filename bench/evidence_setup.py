"""Shared set-up for the evidence benchmarks: a throw-away installation in a temporary
directory (SQLite database, blob directory, a real key agent on a Unix socket), an
organisation and a signed-in legal officer. Everything is removed afterwards."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace


@contextlib.contextmanager
def installation(prefix: str = "corridor-bench-", base: str | None = None) -> Iterator[SimpleNamespace]:
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    os.environ["CORRIDOR_VAR"] = str(work / "var")
    os.environ.setdefault("CORRIDOR_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    os.environ["CORRIDOR_LOG_LEVEL"] = "WARNING"
    (work / "var").mkdir(mode=0o700)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from corridor.crypto.context import acting_as
        from corridor.keyd.testing import running_agent

        call_command("migrate", verbosity=0)
        settings.CORRIDOR_BLOB_DIR = work / "blobs"
        settings.FILE_UPLOAD_TEMP_DIR = str(work)
        settings.ALLOWED_HOSTS = ["testserver", "localhost"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        (work / "keyd").mkdir(mode=0o700)
        with running_agent(work / "keyd", unwrap_limit=10**9, log_origin="corridor.bench/audit") as agent:
            settings.CORRIDOR_KEYD_SOCKET = agent.socket_path
            settings.CORRIDOR_KEYSTORE = agent.keystore_path
            with acting_as("system:bench"):
                yield SimpleNamespace(work=work, agent=agent, settings=settings, **_people())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _people() -> dict:
    from corridor.accounts.permissions import Role
    from corridor.accounts.services import organisation_create, user_create

    org = organisation_create(actor="system:bench", name="Bench", slug="bench", code_prefix="K")
    users = {}
    for name, role in (("legal", Role.LEGAL), ("coordinator", Role.COORDINATOR)):
        user, device = user_create(actor="system:bench", organisation=org, username=f"bench-{name}", role=role,
                                   password=secrets.token_urlsafe(16) + "Aa1!", display_name=name)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        users[name] = user
    return {"org": org, **users}


def signed_in_client(user):
    """A test client with password and second factor done, as the middleware wants."""
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from corridor.accounts.services import totp_device

    client = Client()
    client.force_login(user, backend="corridor.accounts.backends.ThrottledBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session["auth_time"] = time.time()
    session["epoch"] = user.session_epoch
    session.save()
    assert BACKEND_SESSION_KEY in session
    return client


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Samples the process's resident set size every `interval` seconds."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(rss_bytes())

    @property
    def peak(self) -> int:
        return max(self.samples)
