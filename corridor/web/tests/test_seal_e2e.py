"""End to end: after `corridor seal`, every gunicorn worker refuses to decrypt
within a second, and staff see the sealed page (real processes, real agent)."""

from __future__ import annotations

import base64
import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from corridor.crypto.tests.test_cli import Server, corridor

pytestmark = [pytest.mark.slow, pytest.mark.anydb, pytest.mark.timing]


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        status, page = self.get(path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, (status, page[:500])
        token = found.group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def _totp(secret_b32: str) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(base64.b32decode(secret_b32))
    totp.time = time.time()
    return str(totp.token()).zfill(6)


def test_after_seal_every_worker_shows_the_sealed_page_within_a_second(tmp_path):
    var = tmp_path / "var"
    demo = corridor(var, "demo", "--cases", "12", "--seed", "3", timeout=300, CORRIDOR_DEMO="1")
    assert demo.returncode == 0, demo.stderr
    line = next(row for row in (var / "demo-credentials.txt").read_text().splitlines() if "north-coordinator " in row)
    _org, *_, username, password, secret = line.split()
    server = _serve_two_workers(var)  # the requests below land on both workers
    try:
        browser = Browser(f"http://127.0.0.1:{server.port}")
        browser.post_form("/staff/login/", {"username": username, "password": password})
        status, _ = browser.post_form("/staff/login/code/", {"code": _totp(secret)})
        status, page = browser.get("/staff/cases/")
        assert status == 200, page[:500]
        code = re.search(r"/staff/cases/(K-\d{4})/", page).group(1)
        for _ in range(6):
            assert browser.get(f"/staff/cases/{code}/")[0] == 200
        sealed = corridor(var, "seal")
        assert sealed.returncode == 0, sealed.stderr
        sealed_at = time.monotonic()
        statuses = []
        while time.monotonic() - sealed_at < 1.0 and len(statuses) < 12:
            statuses.append(browser.get(f"/staff/cases/{code}/")[0])
        assert statuses and all(s == 503 for s in statuses), statuses
        status, page = browser.get(f"/staff/cases/{code}/")
        assert status == 503 and ("запечатан" in page.lower() or "sealed" in page.lower())
    finally:
        server.stop()


def _serve_two_workers(var):
    import socket

    from corridor.crypto.tests.test_cli import _env, _free_port, _short_socket

    class Two(Server):
        def __init__(self) -> None:
            _short_socket(var).parent.mkdir(mode=0o700, exist_ok=True)
            self.port = _free_port()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                 "--unseal-passphrase-file", str(var / "demo-passphrase")],
                env=_env(var, CORRIDOR_DEMO="1"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # The buffering front accepts connections before the workers have
            # booted; ready means the sign-in page itself answers.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        pass
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/staff/login/", timeout=5) as response:
                        if response.status == 200:
                            return
                except (OSError, urllib.error.URLError):
                    pass
                time.sleep(0.2)
            raise RuntimeError("server did not start")

    return Two()
