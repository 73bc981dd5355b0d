"""The shipped reverse-proxy and onion configurations (deploy/nginx, deploy/caddy,
deploy/tor), run for real: Debian's nginx and Caddy in front of a real `corridor
serve` (production settings, `CORRIDOR_TLS=true`) on random ports, and Tor offline.

Only ports, certificate paths, log paths and the upstream address are rewritten;
every rewrite is asserted to have happened, so a changed file cannot silently
escape the test. The client connects from its own loopback address, 127.0.0.2, so
"no client address in any log" is a grep for that address through the proxy's
logs (with nginx's Debian defaults: an access log and an error log at `error` in
the http block), the server's output and var/log.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import http.server
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.anydb]

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
HOST = "corridor.example.org"
CLIENT = "127.0.0.2"  # the client's own address: it must reach no log
PASSPHRASE = "a long root passphrase for tests"
BIG = 5 * 1024**3 + 1  # one byte over the documented 5 GB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _rewrite(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        assert old in text, f"the shipped file no longer contains {old!r}: update this test"
        text = text.replace(old, new)
    return text


# -- a certificate for corridor.example.org -----------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Connection(http.client.HTTPSConnection):
    """HTTPS from CLIENT to 127.0.0.1:port with SNI and Host corridor.example.org."""

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout, source_address=(CLIENT, 0))
        self.sock = self._context.wrap_socket(sock, server_hostname=HOST)


def _tls(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def _request(port: int, cert: Path, method: str = "GET", path: str = "/staff/login/",
             headers: dict | None = None, body: bytes | None = None):
    conn = _Connection("127.0.0.1", port, context=_tls(cert), timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), \
            response.getheader("Set-Cookie", ""), response.read()
    finally:
        conn.close()


def _wait_closed(raw: ssl.SSLSocket, limit: float = 60) -> float:
    """Seconds until the peer closes the connection (or `limit`)."""
    start = time.monotonic()
    raw.settimeout(5)
    while time.monotonic() - start < limit:
        try:
            if not raw.recv(4096):
                break
        except TimeoutError:
            continue
        except (ssl.SSLError, ConnectionError):
            break
    return time.monotonic() - start


def _raw(port: int, cert: Path) -> ssl.SSLSocket:
    sock = socket.create_connection(("127.0.0.1", port), 10, source_address=(CLIENT, 0))
    return _tls(cert).wrap_socket(sock, server_hostname=HOST)


# -- the application and a header-recording upstream ------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`corridor serve` with the production settings a proxy fronts."""
    folder = tmp_path_factory.mktemp("app")
    var = folder / "var"
    (folder / "pw").write_text(PASSPHRASE)
    (folder / "admin").write_text("administrator password 12")
    import hashlib

    sock = Path("/tmp") / f"cor-{hashlib.sha256(str(var).encode()).hexdigest()[:10]}" / "keyd.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "PYTEST", "DATABASE_URL"))}
    env.update(CORRIDOR_VAR=str(var), CORRIDOR_KEYD_SOCKET=str(sock), CORRIDOR_TLS="true",
               CORRIDOR_ALLOWED_HOSTS=HOST, CORRIDOR_CSRF_TRUSTED_ORIGINS=f"https://{HOST}")
    done = subprocess.run([sys.executable, "-m", "corridor.cli", "init", "--org", "Test Org", "--slug", "test",
                           "--admin", "ada", "--passphrase-file", str(folder / "pw"),
                           "--admin-password-file", str(folder / "admin")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    sock.parent.mkdir(mode=0o700, exist_ok=True)
    port = _free_port()
    out = folder / "serve.out"
    with open(out, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}",
                                 "--workers", "1", "--unseal-passphrase-file", str(folder / "pw")],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_port(port, proc)
        yield type("App", (), {"port": port, "var": var, "out": out, "proc": proc})
    finally:
        _stop(proc)
        shutil.rmtree(sock.parent, ignore_errors=True)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records the headers a proxy forwards and how much body has arrived."""

    seen: list[dict] = []
    received = 0

    def log_message(self, *args) -> None:  # nothing on stderr
        pass

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self) -> None:  # noqa: N802
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        left = int(self.headers.get("Content-Length", 0))
        while left:
            piece = self.rfile.read(min(left, 65536))
            if not piece:
                break
            type(self).received += len(piece)
            left -= len(piece)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def recorder():
    _Recorder.seen, _Recorder.received = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Recorder
    server.shutdown()
    server.server_close()


# -- the proxies ----------------------------------------------------------------------------

class Proxy:
    def __init__(self, port: int, logs: list[Path], proc: subprocess.Popen, temp: Path | None = None) -> None:
        self.port, self.logs, self.proc, self.temp = port, logs, proc, temp

    def log_text(self) -> str:
        _stop(self.proc)  # flushes and closes its logs
        return "".join(p.read_text(errors="replace") for folder in self.logs
                       for p in ([folder] if folder.is_file() else sorted(folder.rglob("*"))) if p.is_file())


@contextlib.contextmanager
def nginx(folder: Path, certificate: tuple[Path, Path], upstream: int):
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)")
    cert, key = certificate
    port, plain = _free_port(), _free_port()
    logs = folder / "logs"
    for sub in ("logs", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir()
    shipped = _rewrite((DEPLOY / "nginx" / "corridor.conf").read_text(), [
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{port} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("    listen 80;\n", f"    listen 127.0.0.1:{plain};\n"),
        ("    listen [::]:80;\n", ""),
        ("/etc/ssl/corridor/fullchain.pem", str(cert)),
        ("/etc/ssl/corridor/privkey.pem", str(key)),
        ("/var/log/nginx/corridor.error.log", str(logs / "corridor.error.log")),
        ("http://127.0.0.1:8000", f"http://127.0.0.1:{upstream}"),
    ])
    (folder / "corridor.conf").write_text(shipped)
    # Debian's /etc/nginx/nginx.conf in miniature: its default access and error logs
    # and `gzip on`, which the shipped server block must override.
    (folder / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {logs}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {logs}/access.log;
    gzip on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    limit_conn_zone $server_name zone=corridor_conn:1m;
    include {folder}/corridor.conf;
}}
""")
    checked = subprocess.run(["nginx", "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                            stdout=open(logs / "stdout.log", "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        _wait_port(port, proc)
        yield Proxy(port, [logs], proc, folder / "body")
    finally:
        _stop(proc)


@contextlib.contextmanager
def caddy(folder: Path, certificate: tuple[Path, Path], upstream: int):
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed (Debian 12: apt-get install caddy; .ci/run installs it)")
    cert, key = certificate
    port, plain = _free_port(), _free_port()
    shipped = _rewrite((DEPLOY / "caddy" / "Caddyfile").read_text(), [
        ("\tservers {", f"\tadmin off\n\thttp_port {plain}\n\thttps_port {port}\n"
                       f"\tdefault_bind 127.0.0.1\n\tauto_https disable_redirects\n\tservers {{"),
        (f"{HOST} {{\n", f"{HOST} {{\n\ttls {cert} {key}\n"),
        ("reverse_proxy 127.0.0.1:8000", f"reverse_proxy 127.0.0.1:{upstream}"),
    ])
    (folder / "Caddyfile").write_text(shipped)
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config")}
    checked = subprocess.run(["caddy", "validate", "--adapter", "caddyfile", "--config", str(folder / "Caddyfile")],
                             capture_output=True, text=True, timeout=60, env=env)
    assert checked.returncode == 0, checked.stderr
    log = folder / "caddy.log"
    proc = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", str(folder / "Caddyfile")],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)  # noqa: SIM115
    try:
        _wait_port(port, proc)
        yield Proxy(port, [log, folder / "data"], proc)
    finally:
        _stop(proc)


PROXIES = {"nginx": nginx, "caddy": caddy}


# -- the checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", PROXIES)
def test_production_headers_pass_through_and_no_address_is_logged(kind, app, certificate, tmp_path):
    with PROXIES[kind](tmp_path, certificate, app.port) as proxy:
        status, headers, cookie, body = _request(proxy.port, certificate[0],
                                                 headers={"Accept-Encoding": "gzip, br, zstd",
                                                          "X-Forwarded-For": "203.0.113.9"})
        assert status == 200, body[:500]
        assert "max-age=63072000" in headers["strict-transport-security"]
        assert "default-src" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert "__Host-" in cookie and "Secure" in cookie  # Django saw the request as HTTPS
        # Pages carry CSRF tokens: compressed over TLS they would leak them (BREACH).
        assert "content-encoding" not in headers
        assert not any(ch.isdigit() for ch in headers.get("server", "")), "the proxy announces its version"
        # A slow header and a request past the upstream: both lines proxies like to log.
        with _raw(proxy.port, certificate[0]) as raw:
            raw.sendall(b"GET /staff/login/ HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n")
            assert _wait_closed(raw) < 20
    text = proxy.log_text() + app.out.read_text(errors="replace")
    text += "".join(p.read_text(errors="replace") for p in (app.var / "log").rglob("*") if p.is_file()) \
        if (app.var / "log").exists() else ""
    assert CLIENT not in text and "203.0.113.9" not in text


@pytest.mark.parametrize("kind", PROXIES)
def test_an_unreachable_upstream_logs_no_client_address(kind, certificate, tmp_path):
    with PROXIES[kind](tmp_path, certificate, _free_port()) as proxy:  # nothing listens there
        status, *_ = _request(proxy.port, certificate[0])
        assert status == 502
    text = proxy.log_text()
    assert CLIENT not in text


@pytest.mark.parametrize("kind", PROXIES)
def test_no_client_address_is_forwarded(kind, certificate, tmp_path, recorder):
    port, seen = recorder
    with PROXIES[kind](tmp_path, certificate, port) as proxy:
        status, *_ = _request(proxy.port, certificate[0], headers={
            "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "Forwarded": "for=203.0.113.9"})
        assert status == 200
    forwarded = seen.seen[-1]
    assert forwarded["host"] == HOST and forwarded["x-forwarded-proto"] == "https"
    for name in ("x-forwarded-for", "x-real-ip", "forwarded", "client-ip", "true-client-ip"):
        assert name not in forwarded, name
    assert not any(CLIENT in v or "203.0.113.9" in v for v in forwarded.values())


@pytest.mark.parametrize("kind", PROXIES)
def test_a_large_upload_streams_through_without_landing_on_the_proxys_disk(kind, certificate, tmp_path,
                                                                           recorder):
    """An evidence upload is plaintext until Corridor encrypts it: the proxy must pass
    it on as it arrives, not spool it into a temporary file."""
    port, seen = recorder
    with PROXIES[kind](tmp_path, certificate, port) as proxy:
        total, sent = 64 << 20, 0
        conn = _Connection("127.0.0.1", proxy.port, context=_tls(certificate[0]), timeout=60)
        conn.putrequest("POST", "/evidence/upload/", skip_host=True)
        conn.putheader("Host", HOST)
        conn.putheader("Content-Length", str(total))
        conn.putheader("Content-Type", "application/octet-stream")
        conn.endheaders()
        piece = os.urandom(1 << 20)
        while sent < total // 2:
            conn.send(piece)
            sent += len(piece)
        deadline = time.monotonic() + 20
        while seen.received < 8 << 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert seen.received >= 8 << 20, "the upstream got nothing while the client was still sending"
        if proxy.temp is not None:
            assert not [p for p in proxy.temp.rglob("*") if p.is_file()], "the body was spooled to disk"
        while sent < total:
            conn.send(piece)
            sent += len(piece)
        response = conn.getresponse()
        assert response.status == 200
        conn.close()
    assert seen.received == total


@pytest.mark.parametrize("kind", PROXIES)
def test_an_upload_over_the_documented_limit_is_refused(kind, app, certificate, tmp_path):
    with PROXIES[kind](tmp_path, certificate, app.port) as proxy, _raw(proxy.port, certificate[0]) as raw:
        raw.sendall(f"POST /evidence/upload/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {BIG}\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n".encode() + b"x" * 65536)
        raw.settimeout(60)
        head = raw.recv(4096)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]


@pytest.mark.parametrize("kind", PROXIES)
def test_slow_clients_are_cut_off(kind, app, certificate, tmp_path):
    """Three slow clients at once: silent after the TLS handshake, a header that never
    ends, a body that stops. Each must be closed by the proxy within its documented
    timeout (10 s for headers, 30 s for the body) plus a margin."""
    with PROXIES[kind](tmp_path, certificate, app.port) as proxy:
        results: dict[str, float] = {}

        def slow(label: str, data: bytes) -> None:
            with _raw(proxy.port, certificate[0]) as raw:
                raw.sendall(data)
                results[label] = _wait_closed(raw)

        cases = {"silent": b"", "header": b"GET /staff/login/ HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n",
                 "body": f"POST /intake/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 100000\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n\r\nname=".encode()}
        threads = [threading.Thread(target=slow, args=item) for item in cases.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    assert results["silent"] < 20 and results["header"] < 20, results
    assert results["body"] < 45, results


def test_tor_accepts_the_onion_configuration_and_makes_the_address_offline(tmp_path):
    if shutil.which("tor") is None:
        pytest.skip("tor is not installed (Debian: apt-get install tor; .ci/run installs it)")
    shipped = (DEPLOY / "tor" / "torrc").read_text()
    assert "SafeLogging 0" not in shipped and "HiddenServiceNonAnonymousMode 1" not in shipped
    services = tmp_path / "services"
    services.mkdir(mode=0o700)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    torrc = tmp_path / "torrc"
    log = tmp_path / "notice.log"
    torrc.write_text(f"DataDirectory {data}\nSocksPort 0\nDisableNetwork 1\nLog notice file {log}\n"
                     + _rewrite(shipped, [("/var/lib/tor/", f"{services}/")]))
    checked = subprocess.run(["tor", "--verify-config", "-f", str(torrc)], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0 and "Configuration was valid" in checked.stdout, checked.stdout
    # A typo is caught, so "valid" means something.
    bad = tmp_path / "bad"
    bad.write_text(torrc.read_text().replace("HiddenServicePort 80", "HiddenServicePort eighty"))
    assert subprocess.run(["tor", "--verify-config", "-f", str(bad)], capture_output=True,
                          timeout=60).returncode != 0
    # Started with the network disabled, Tor makes the onion's keys and address.
    proc = subprocess.Popen(["tor", "-f", str(torrc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        hostname = services / "corridor-intake" / "hostname"
        deadline = time.monotonic() + 60
        while not hostname.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = hostname.read_text().strip()
    finally:
        _stop(proc)
    assert address.endswith(".onion") and len(address) == 56 + len(".onion")
    assert (services / "corridor-intake").stat().st_mode & 0o077 == 0
    assert "127.0.0.1:8000" in shipped  # the front's port (deploy/systemd/corridor-front.service)
