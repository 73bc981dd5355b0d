"""The serving stack under slow clients and malformed requests, for real: gunicorn
with the project's config behind the buffering front, on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.anydb, pytest.mark.timing]
PORT = 8231


def _rss_kib(pid: int) -> int:
    total = 0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


@pytest.fixture(scope="module")
def stack(tmp_path_factory, keyd_agent):
    var = tmp_path_factory.mktemp("serve-var")
    env = {**os.environ, "CORRIDOR_VAR": str(var), "DATABASE_URL": f"sqlite:///{var}/db.sqlite3",
           "CORRIDOR_SECRET_KEY": "s" * 50, "CORRIDOR_WORKERS": "2", "DJANGO_SETTINGS_MODULE": "corridor.settings",
           "CORRIDOR_KEYD_SOCKET": keyd_agent.socket_path, "CORRIDOR_KEYSTORE": keyd_agent.keystore_path}
    env.pop("CORRIDOR_TESTING", None)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=var)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c",
                    "from corridor.accounts.services import organisation_create as c;"
                    "c(actor='system:test', name='North', slug='north', code_prefix='K')"],
                   env=env, check=True, cwd=var)
    sock = f"{var}/web.sock"
    logs = {name: open(var / f"{name}.log", "wb") for name in ("gunicorn", "front")}  # noqa: SIM115
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "corridor.wsgi:application",
                            "-c", "python:corridor.web.gunicorn_conf", "--bind", f"unix:{sock}"],
                           env=env, cwd=var, stdout=logs["gunicorn"], stderr=subprocess.STDOUT)
    front = subprocess.Popen([sys.executable, "-m", "corridor.web.front", f"127.0.0.1:{PORT}", sock],
                             env=env, cwd=var, stdout=logs["front"], stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get("/staff/login/")[0] == 200:
                break
        except (OSError, IndexError):
            pass
        time.sleep(0.2)
    else:
        pytest.fail("the stack did not start")
    yield {"var": var, "web": web, "front": front}
    for proc in (front, web):
        proc.terminate()
        proc.wait(timeout=20)
    for f in logs.values():
        f.close()


def _get(path: str, timeout: float = 5.0) -> tuple[int, float]:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", PORT), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), time.monotonic() - start


def _raw(payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", PORT), timeout=15) as s:
        try:
            s.sendall(payload)
        except OSError:
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
    return data


def test_200_slow_loris_sockets_do_not_starve_intake_or_staff_pages(stack):
    header = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 5000
    body_head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n"
    socks = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", PORT))
        if i % 2:
            s.sendall(body_head)  # the body then comes one byte at a time
        socks.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for i, s in enumerate(socks):
                try:
                    s.send(header[: 1] if i % 2 == 0 else b"x")
                except OSError:
                    pass
            stop.wait(0.5)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        time.sleep(3)  # every worker thread would be held by now without the front
        timings = []
        for _ in range(10):
            for path in ("/", "/staff/login/"):
                status, took = _get(path, timeout=5)
                assert status == 200
                timings.append(took)
        assert max(timings) < 2.0, timings
        rss = _rss_kib(stack["front"].pid) + _rss_kib(stack["web"].pid)
        assert rss < 400 * 1024, f"{rss} KiB"
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()


def test_malformed_requests_leave_no_client_address_in_any_log(stack):
    answers = [
        _raw(b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),  # over-long request line
        _raw(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
        _raw(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n"),  # too many headers
        _raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 9000 + b"\r\n\r\n"),  # over-long field
        _raw(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        _raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(60) + b"\r\n\r\n"),  # TLS to HTTP
        _raw(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        _raw(b"GET /%%% HTTP/1.1\r\nHost: \x00\r\n\r\n"),
    ]
    statuses = [a.split(b" ", 2)[1] if a.startswith(b"HTTP/") else b"closed" for a in answers]
    assert all(s != b"500" for s in statuses), statuses
    assert statuses[0] == b"431" and statuses[1] == b"400" and statuses[4] == b"411"
    time.sleep(1)
    texts = {p.name: p.read_bytes() for p in Path(stack["var"]).rglob("*") if p.is_file() and p.suffix != ".sqlite3"}
    assert texts  # the gunicorn and front logs at least
    for name, text in texts.items():
        assert b"127.0.0.1" not in text, name
        assert b"ip=" not in text, name
