"""Several `corridor serve` processes on one machine, as separate application hosts:
each its own var/ directory, agent socket and loopback port, all on one database
(a scratch PostgreSQL database on the server DATABASE_URL names, or one SQLite file
when the suite runs on SQLite), the same keystore and the same secret key, files in
the database file store. Used by the two-host test and bench/seal_hosts.py."""

from __future__ import annotations

import contextlib
import hashlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def shared_database(folder: Path) -> Iterator[str]:
    """A DATABASE_URL for a new, empty database, dropped afterwards."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{folder / 'shared.sqlite3'}"
        return
    import psycopg

    parsed = urlparse(base)
    name = f"{parsed.path.lstrip('/')}_hosts_{secrets.token_hex(4)}"
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Host:
    """One application host: its var/, its agent socket, its port."""

    def __init__(self, name: str, var: Path, database_url: str, secret_key: str, *,
                 file_storage: str = "database") -> None:
        self.name = name
        self.file_storage = file_storage
        self.var = var
        self.database_url = database_url
        self.secret_key = secret_key
        self.socket = Path("/tmp") / f"cor-{hashlib.sha256(str(var).encode()).hexdigest()[:10]}" / "keyd.sock"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.extra: dict[str, str] = {}  # e.g. CORRIDOR_KEYD_URL for a host on the shared agent
        var.mkdir(mode=0o700, parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
        env.update(CORRIDOR_VAR=str(self.var), CORRIDOR_KEYD_SOCKET=str(self.socket),
                   DATABASE_URL=self.database_url, CORRIDOR_SECRET_KEY=self.secret_key,
                   CORRIDOR_FILE_STORAGE=self.file_storage, CORRIDOR_DEMO="1", CORRIDOR_SEAL_POLL_SECONDS="0.5",
                   **{**self.extra, **extra})
        return env

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def corridor(self, *args: str, input: str | None = None, timeout: int = 300,
                 env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "-m", "corridor.cli", *args], env=self.env(**(env_extra or {})),
                              capture_output=True, text=True, input=input, timeout=timeout)

    def command_line(self) -> str:
        """A shell command running `corridor` as this host, for CORRIDOR_HOSTS."""
        import shlex

        env = self.env()
        keep = ("CORRIDOR_VAR", "CORRIDOR_KEYD_SOCKET", "DATABASE_URL", "CORRIDOR_SECRET_KEY", "CORRIDOR_FILE_STORAGE",
                *self.extra)
        return " ".join(["env", *(f"{k}={shlex.quote(env[k])}" for k in keep), PYTHON, "-m", "corridor.cli"])

    def serve(self, *extra: str, port: int | None = None) -> Host:
        self.socket.parent.mkdir(mode=0o700, exist_ok=True)
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", *extra],
            env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)  # its own process group, so kill_hard() reaches every child
        # The front accepts connections before the worker has booted: ready means a page answers.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"host {self.name} exited: {self.proc.stdout.read()}")
            try:
                with urllib.request.urlopen(f"{self.base}/staff/login/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"host {self.name} did not start")

    def kill_hard(self) -> None:
        """kill -9 of serve and every child (agent, gunicorn, workers, front) at once."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> str:
        if self.proc is None or self.proc.poll() is not None:
            return ""
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        shutil.rmtree(self.socket.parent, ignore_errors=True)
        return out


def demo_pair(folder: Path, database_url: str, *, cases: int = 12,
              shared_agent: bool = False) -> tuple[Host, Host]:
    """Host A loads the demo (creating the keystore).

    shared_agent (the production shape, docs/operations.md): A's agent also listens on a
    loopback port with mutual TLS; B runs no agent and keeps no keystore, only its own
    client certificate from `corridor keyd-certs`, and uses A's agent. Otherwise each host
    runs its own agent on a copy of the keystore (the seal-signal machinery's set-up)."""
    a, b = demo_hosts(folder, database_url, ("a", "b"), cases=cases, shared_agent=shared_agent)
    return a, b


def demo_hosts(folder: Path, database_url: str, names: tuple[str, ...], *, cases: int = 12,
               shared_agent: bool = False) -> list[Host]:
    """demo_pair for any number of hosts: the first loads the demo and, with
    shared_agent, runs the one agent the others reach over mutual TLS."""
    key = secrets.token_urlsafe(48)
    hosts = [Host(name, folder / name / "var", database_url, key) for name in names]
    first, others = hosts[0], hosts[1:]
    done = first.corridor("demo", "--cases", str(cases), "--seed", "3", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for other in others:
        shutil.copy2(first.var / "demo-credentials.txt", other.var / "demo-credentials.txt")
    if not shared_agent:
        for other in others:
            for name in ("keystore.json", "demo-passphrase"):
                shutil.copy2(first.var / name, other.var / name)
        return hosts
    port = free_port()
    first.extra["CORRIDOR_KEYD_LISTEN"] = f"127.0.0.1:{port}"
    made = first.corridor("keyd-certs", "--hosts", ",".join(h.name for h in others), "--server-name", "127.0.0.1")
    assert made.returncode == 0, made.stdout + made.stderr
    source = first.var / "keyd-tls"
    for other in others:
        target = other.var / "keyd-tls"
        target.mkdir(mode=0o700)
        for src, dst in (("ca.crt", "ca.crt"), (f"{other.name}.crt", "client.crt"), (f"{other.name}.key", "client.key")):
            shutil.copy2(source / src, target / dst)
        other.extra["CORRIDOR_KEYD_URL"] = f"tls://127.0.0.1:{port}"
    return hosts


def credentials(host: Host, username: str) -> tuple[str, str, str]:
    """(username, password, authenticator key) of a demo account such as north-legal."""
    for row in (host.var / "demo-credentials.txt").read_text().splitlines():
        cells = row.split()
        if len(cells) == 5 and cells[2] == username:
            return cells[2], cells[3], cells[4]
    raise LookupError(username)


def totp(secret_b32: str) -> str:
    import base64

    from django_otp.oath import TOTP

    token = TOTP(base64.b32decode(secret_b32))
    token.time = time.time()
    return str(token.token()).zfill(6)


class Browser:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, bytes]:
        req = urllib.request.Request(self.host.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        status, body = self.request(path, timeout=timeout)
        return status, body.decode("utf-8", "replace")

    def csrf(self, path: str) -> str:
        status, page = self.get(path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, (status, page[:500])
        return found.group(1)

    def post(self, path: str, fields: dict[str, str], *, form: str | None = None) -> tuple[int, str]:
        token = self.csrf(form or path)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        status, body = self.request(path, data=data)
        return status, body.decode("utf-8", "replace")

    def post_multipart(self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes]]
                       ) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        for key, filename, content in files:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        status, body = self.request(path, data=b"".join(parts),
                                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        return status, body.decode("utf-8", "replace")

    def signed_in(self) -> bool:
        try:
            with self.opener.open(self.host.base + "/staff/", timeout=30) as response:
                return "/staff/login" not in response.geturl()
        except urllib.error.HTTPError:
            return False

    def sign_in(self, username: str, password: str, secret: str) -> None:
        for _attempt in range(2):
            self.post("/staff/login/", {"username": username, "password": password})
            self.post("/staff/login/code/", {"code": totp(secret)})
            if self.signed_in():
                return
            # A code is accepted once: the same account signing in on the other host within
            # the same 30 s step must wait for the next code.
            time.sleep(30 - time.time() % 30 + 1)
        raise AssertionError(f"{username} could not sign in on host {self.host.name}")


def seal_propagation(sealer: Host, watcher: Browser, path: str, *, limit: float = 5.0) -> float:
    """Run `corridor seal` on `sealer` and return the seconds from its exit until the
    other host first answers `path` with 503."""
    done = sealer.corridor("seal", "--reason", "propagation test")
    assert done.returncode == 0, done.stderr
    start = time.monotonic()
    while time.monotonic() - start < limit:
        status, _ = watcher.get(path, timeout=5)
        if status == 503:
            return time.monotonic() - start
    raise AssertionError(f"host {watcher.host.name} still answers {path} {limit} s after the seal")


def table_rows(database_url: str) -> dict[str, list[str]]:
    """Every row of every table, as sorted text, for comparing two databases."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url[len("sqlite:///"):])
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {n: sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{n}"')) for n in names}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database_url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public' "
            "AND table_type='BASE TABLE' ORDER BY table_name")]
        return {n: sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{n}"')) for n in names}


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
