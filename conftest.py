"""Shared fixtures: a real key agent, the fixed cast, and signed-in staff clients.

The cast (as in Healthchecks' alice/bob/charlie): in the "north" organisation a
case worker (alice), her colleague (bob), a coordinator, an operator, a legal
officer, a finance officer, an administrator and an auditor; in "partner" a case
worker (charlie) and a coordinator. Every view is tried with each.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("CORRIDOR_TESTING", "1")
os.environ.setdefault("CORRIDOR_VAR", tempfile.mkdtemp(prefix="corridor-test-var-"))

import pytest  # noqa: E402
from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402


class FastArgon2(Argon2PasswordHasher):
    """Argon2id with tiny costs, for tests only (SecureDrop's `insecure_scrypt`)."""

    algorithm = "argon2"
    time_cost = 1
    memory_cost = 64
    parallelism = 1


@pytest.fixture(scope="session")
def keyd_agent(tmp_path_factory):
    from corridor.keyd.testing import running_agent

    with running_agent(tmp_path_factory.mktemp("keyd"), unwrap_limit=10**7,
                       log_origin="corridor.test/audit") as agent:
        agent.agent.handle({"op": "reset_head", "reason": "test session"})
        yield agent


def _forget_signed_head(agent) -> None:
    # Each test's database starts empty while the session's key agent lives on:
    # to keyd, the next test's log is a rewritten one. Reset its memory the way
    # an administrator would, so each test starts from a new installation.
    heads = agent.heads.status()
    if heads["condition"] != "ok" or any(h["size"] for h in heads["heads"].values()) or heads["refusals"]:
        agent.heads.refusals.clear()
        agent.handle({"op": "reset_head", "reason": "new test database"})


@pytest.fixture(autouse=True)
def _corridor_test_settings(settings, keyd_agent, tmp_path):
    settings.PASSWORD_HASHERS = ["conftest.FastArgon2"]
    settings.CORRIDOR_KEYD_SOCKET = keyd_agent.socket_path
    settings.CORRIDOR_KEYSTORE = keyd_agent.keystore_path
    settings.CORRIDOR_BLOB_DIR = tmp_path / "blobs"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.CORRIDOR_AUDIT_VERIFIED_STATE = str(tmp_path / "audit-verified.json")
    if keyd_agent.agent.sealed:
        keyd_agent.agent.unseal_passphrase(keyd_agent.passphrase)
    _forget_signed_head(keyd_agent.agent)
    from corridor.crypto import context

    with context.acting_as("system:test"):
        yield


@pytest.fixture
def fresh_agent(tmp_path, settings):
    """A private agent for tests that seal, trip ceilings or rotate keys."""
    from corridor.keyd.testing import running_agent

    with running_agent(tmp_path, log_origin="corridor.test/audit") as agent:
        agent.agent.handle({"op": "reset_head", "reason": "test agent"})
        settings.CORRIDOR_KEYD_SOCKET = agent.socket_path
        settings.CORRIDOR_KEYSTORE = agent.keystore_path
        yield agent


def _org(slug: str, name: str, prefix: str):
    from corridor.accounts.services import organisation_create

    return organisation_create(actor="system:test", name=name, slug=slug, code_prefix=prefix)


def _user(org, username: str, role: str):
    from corridor.accounts.services import user_create

    user, device = user_create(actor="system:test", organisation=org, username=username, role=role,
                               password="a long test password 1", display_name=username.title())
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return user


@pytest.fixture
def org(db):
    return _org("north", "North", "K")


@pytest.fixture
def other_org(db):
    return _org("partner", "Partner", "P")


@pytest.fixture
def cast(org, other_org):
    from types import SimpleNamespace

    from corridor.accounts.permissions import Role

    return SimpleNamespace(
        alice=_user(org, "alice", Role.CASE_WORKER),
        bob=_user(org, "bob", Role.CASE_WORKER),
        coordinator=_user(org, "cora", Role.COORDINATOR),
        coordinator2=_user(org, "colin", Role.COORDINATOR),
        operator=_user(org, "otto", Role.OPERATOR),
        legal=_user(org, "lena", Role.LEGAL),
        finance=_user(org, "fiona", Role.FINANCE),
        finance2=_user(org, "felix", Role.FINANCE),
        admin=_user(org, "ada", Role.ADMIN),
        auditor=_user(org, "audrey", Role.AUDITOR),
        charlie=_user(other_org, "charlie", Role.CASE_WORKER),
        partner_coordinator=_user(other_org, "pat", Role.COORDINATOR),
        org=org,
        other_org=other_org,
    )


@pytest.fixture
def staff_client(client):
    """`staff_client(user)` → a test client signed in with password and second factor."""
    import time

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from corridor.accounts.services import totp_device

    def make(user):
        c = Client()
        c.force_login(user, backend="corridor.accounts.backends.ThrottledBackend")
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session["auth_time"] = time.time()
        session["epoch"] = user.session_epoch
        session.save()
        assert SESSION_KEY in session and BACKEND_SESSION_KEY in session and HASH_SESSION_KEY in session
        return c

    return make


def make_session(user) -> str:
    """A verified staff session in the database (password + TOTP already passed)."""
    import time
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY

    from corridor.accounts.services import totp_device

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "corridor.accounts.backends.ThrottledBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    store["auth_time"] = time.time()
    store["epoch"] = user.session_epoch
    store["django_language"] = user.language
    store.save()
    return store.session_key


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import shutil

    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CORRIDOR_REQUIRE_BROWSER"):
            pytest.fail("CORRIDOR_REQUIRE_BROWSER is set but Chromium is missing (apt-get install chromium)")
        pytest.skip("Chromium is not installed on this machine (apt-get install chromium); CI runs these")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # Playwright gives each launch a fresh, empty profile directory of its own.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium, live_server, settings):
    """`browser(javascript=True, user=None, lang="ru")` → a new page on the live server."""
    contexts = []

    def make(*, javascript: bool = True, user=None):
        ctx = chromium.new_context(java_script_enabled=javascript, base_url=live_server.url,
                                   viewport={"width": 1280, "height": 900})
        if user is not None:
            ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": make_session(user),
                              "url": live_server.url}])
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves test-artifacts/screenshots/name.png for review."""
    from pathlib import Path

    folder = Path(__file__).parent / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        target = folder / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        return target

    return take
