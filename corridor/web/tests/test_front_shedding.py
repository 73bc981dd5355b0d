"""Junk refused by the buffering front before it reaches a Django worker, for real:
gunicorn with the project's config on a Unix socket, the front on a random loopback
port, and between them a relay that records every request the workers are given.
A real submission (raw, and in Chromium without JavaScript) still goes through.
These are tests of behaviour, not timing; the flood figures are in BENCHMARKS.md
(`python -m bench.intake_http`)."""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import pytest
from django.utils import translation

pytestmark = [pytest.mark.slow, pytest.mark.anydb, pytest.mark.timing]

MARK = b"junk-marker-7f3a"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A Unix-socket relay in front of gunicorn that keeps what each request began with."""

    def __init__(self, listen: str, backend: str) -> None:
        self.backend = backend
        self.seen: list[bytearray] = []
        self.arrived = 0
        self.open = threading.Event()  # cleared: requests are held here, as by busy workers
        self.open.set()
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(listen)
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        self.arrived += 1
        first = bytearray()
        self.seen.append(first)  # in the order the front handed requests over
        self.open.wait(60)
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(self.backend)

        def back() -> None:
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)  # wakes the reading side below

        t = threading.Thread(target=back, daemon=True)
        t.start()
        try:
            while data := client.recv(65536):
                if len(first) < 65536:
                    first += data
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join(30)
        client.close()
        upstream.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, keyd_agent):
    var = tmp_path_factory.mktemp("front-var")
    env = {**os.environ, "CORRIDOR_VAR": str(var), "DATABASE_URL": f"sqlite:///{var}/db.sqlite3",
           "CORRIDOR_SECRET_KEY": "f" * 50, "CORRIDOR_WORKERS": "2", "DJANGO_SETTINGS_MODULE": "corridor.settings",
           "CORRIDOR_KEYD_SOCKET": keyd_agent.socket_path, "CORRIDOR_KEYSTORE": keyd_agent.keystore_path,
           "CORRIDOR_INTAKE_MAX_DRAIN_BYTES": str(40 * 1024 * 1024)}
    env.pop("CORRIDOR_TESTING", None)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=var)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c",
                    "from corridor.accounts.services import organisation_create as c;"
                    "c(actor='system:test', name='North', slug='north', code_prefix='K')"],
                   env=env, check=True, cwd=var)
    # Exactly what `corridor serve` writes to the front's stdin.
    config = subprocess.run([sys.executable, "-m", "django", "shell", "-c",
                             "import json; from corridor.intake.front import front_config;"
                             "print(json.dumps(front_config(2)))"],
                            env=env, check=True, cwd=var, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    assert json.loads(config)["drain_bytes"] == 40 * 1024 * 1024
    web_sock, relay_sock = f"{var}/web.sock", f"{var}/relay.sock"
    logs = {name: open(var / f"{name}.log", "wb") for name in ("gunicorn", "front")}  # noqa: SIM115
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "corridor.wsgi:application",
                            "-c", "python:corridor.web.gunicorn_conf", "--bind", f"unix:{web_sock}"],
                           env=env, cwd=var, stdout=logs["gunicorn"], stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not Path(web_sock).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    relay = Relay(relay_sock, web_sock)
    port = _free_port()
    front = subprocess.Popen([sys.executable, "-m", "corridor.web.front", f"127.0.0.1:{port}", relay_sock,
                              "--config-stdin"], env=env, cwd=var, stdin=subprocess.PIPE,
                             stdout=logs["front"], stderr=subprocess.STDOUT)
    front.stdin.write((config + "\n").encode())
    front.stdin.close()
    stack = {"var": var, "port": port, "relay": relay, "web": web, "front": front, "web_sock": web_sock}
    while time.monotonic() < deadline:
        try:
            if _raw(stack, b"GET /staff/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 200"):
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        pytest.fail("the stack did not start")
    # The front fetches its refusal pages from the workers in the background when it
    # starts; wait until it has them (cold workers on a loaded machine are slow).
    pages = {"/?lang=en": b"This could not be sent", "/?lang=ru": _text("ru", "This could not be sent").encode()}
    while time.monotonic() < deadline + 60 and pages:
        for target, text in list(pages.items()):
            for length in (5, 41 * 1024 * 1024):
                if text not in _raw(stack, _post(target, b"x" * 5, "text/plain", length=length)):
                    break
            else:
                del pages[target]
        time.sleep(0.5)
    assert not pages, "the front never got its refusal pages"
    yield stack
    for proc in (front, web):
        proc.terminate()
        proc.wait(timeout=20)
    relay.sock.close()
    for f in logs.values():
        f.close()


def _raw(stack, payload: bytes, *, then: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", stack["port"]), timeout=15) as s:
        try:
            s.sendall(payload)
            if then:
                s.sendall(then)
        except OSError:
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
    return data


def _post(path: str, body: bytes, ctype: str, length: int | None = None) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: null\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n").encode() + body


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, bytes]] = ()) -> tuple[bytes, str]:
    boundary = "----WebKitFormBoundary" + os.urandom(8).hex()
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
              f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
              for name, content in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _token(stack, lang: str = "ru", path: str = "/") -> str:
    page = _raw(stack, f"GET {path}?lang={lang} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return html.unescape(re.search(rb'name="token" value="([^"]+)"', page).group(1).decode())


def _text(lang: str, message: str) -> str:
    with translation.override(lang):
        return translation.gettext(message)


def test_junk_intake_posts_are_refused_by_the_front_without_reaching_django(stack):
    relay = stack["relay"]
    real = _token(stack)
    before = len(relay.seen)
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    junk_body, junk_type = _multipart([("what", MARK.decode()), ("urgency", "3"), ("token", real)])
    zip_body, zip_type = _multipart([("what", MARK.decode())], [("a.zip", b"PK\x03\x04" + MARK)])
    cases = [
        ("no token", _post("/?lang=ru", b"what=" + MARK + b"&urgency=3", "application/x-www-form-urlencoded")),
        ("empty form", _post("/?lang=ru", b"", "application/x-www-form-urlencoded")),
        ("forged token", _post("/?lang=ru", f"token={forged}&what={MARK.decode()}".encode(),
                               "application/x-www-form-urlencoded")),
        ("a real token, but not first", _post("/?lang=ru", junk_body, junk_type)),
        ("a ZIP and no token", _post("/?lang=ru", zip_body, zip_type)),
        ("100 bytes of a claimed 30 MB", _post("/?lang=ru", MARK + b"x" * 84, "multipart/form-data; boundary=x",
                                               length=30 * 1024 * 1024)),
        ("broken multipart", _post("/?lang=ru", b"--x\r\nContent-Disposition: form-data; name=\"files\"; "
                                   b"filename=\"a.jpg\"\r\n\r\n" + MARK, "multipart/form-data; boundary=x")),
    ]
    foreign = _text("ru", "The message did not come from our own page, or the page was too old. Nothing was saved.")
    for name, raw in cases:
        answer = _raw(stack, raw)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), (name, head[:80])
        assert b"connection: close" in head.lower(), name
        assert b"corridor-refusal" not in head.lower(), name
        assert b"no-store" in head and b"content-security-policy" in head.lower(), name
        assert foreign in body.decode(), name

    # Over the drain limit: refused from the header, in the language asked for.
    answer = _raw(stack, _post("/?lang=en", MARK, "multipart/form-data; boundary=x", length=41 * 1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"This could not be sent" in answer and b"far larger than we accept" in answer
    answer = _raw(stack, b"BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + MARK)
    assert answer.startswith(b"HTTP/1.1 405")

    # None of it reached a worker. The workers were asked at most for the refusal
    # pages themselves (fetched by the front, with nothing the client sent).
    assert not [seen for seen in relay.seen if MARK in seen]
    for seen in map(bytes, relay.seen[before:]):
        assert seen.startswith(b"POST /") and b"\r\nHost: 127.0.0.1\r\nContent-Type: " in seen, seen[:200]
        assert seen.endswith(b"\r\n\r\ntoken=") or seen.endswith(b"Content-Length: 41943041\r\n"
                                                                 b"Connection: close\r\n\r\n"), seen[:300]


def test_a_real_submission_goes_through_the_front(stack):
    relay = stack["relay"]
    before = len(relay.seen)
    token = _token(stack, "en")
    body, ctype = _multipart([("token", token), ("what", "They took my brother's phone."), ("where", "Grozny"),
                              ("urgency", "2"), ("reach", "Signal")])
    answer = _raw(stack, _post("/?lang=en", body, ctype))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'id="receipt"' in answer
    assert any(token.encode() in seen for seen in relay.seen[before:])
    # An old page's token (signed, but expired) is Django's to judge: it reaches the
    # workers, which keep the person's text and ask them to send again.
    from django.core import signing

    old = signing.TimestampSigner(key="f" * 50, salt="corridor.intake.form", fallback_keys=[])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "time", lambda: 1_000_000_000.0)
        expired = old.sign_object({"o": "1", "n": "00" * 16})
    body, ctype = _multipart([("token", expired), ("what", "Still my text"), ("urgency", "2")])
    answer = _raw(stack, _post("/?lang=en", body, ctype))
    assert answer.startswith(b"HTTP/1.1 400") and b"Still my text" in answer and b"form expired" in answer


@pytest.mark.browser
def test_a_person_without_javascript_submits_through_the_front(stack, chromium):
    ctx = chromium.new_context(java_script_enabled=False, base_url=f"http://127.0.0.1:{stack['port']}")
    try:
        page = ctx.new_page()
        page.goto("/?lang=ru")
        page.fill("#id_what", "Меня ищут после задержания друга.")
        page.check("input[name=urgency][value='3']")
        page.click("button[type=submit]")
        assert page.inner_text("#receipt").strip().startswith("+7 9")
        assert ctx.cookies() == []
    finally:
        ctx.close()


def test_no_client_address_in_any_log_after_the_junk(stack):
    for raw in (_post("/", b"x" * 10, "text/plain"), b"BREW / HTTP/1.1\r\n\r\n",
                _post("/", b"token=a:b:c", "application/x-www-form-urlencoded")):
        _raw(stack, raw)
    texts = {p.name: p.read_bytes() for p in Path(stack["var"]).rglob("*")
             if p.is_file() and p.suffix not in (".sqlite3", ".sock") and "sqlite3" not in p.name}
    assert "front.log" in texts and "gunicorn.log" in texts
    for name, text in texts.items():
        assert b"127.0.0.1" not in text, name
        assert b"ip=" not in text, name



# --- receipt lookups ------------------------------------------------------------------------
def _form(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode()


def _receipt_of(stack, lang: str = "en") -> str:
    body, ctype = _multipart([("token", _token(stack, lang)), ("what", "They took my phone."), ("urgency", "2")])
    answer = _raw(stack, _post(f"/?lang={lang}", body, ctype))
    found = re.search(rb'id="receipt">(.*?)</p>', answer, re.S)
    assert found, answer[:300]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1).decode()))


def test_junk_receipt_lookups_are_refused_by_the_front_without_reaching_django(stack):
    relay = stack["relay"]
    real = _token(stack, "en", "/receipt/")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    junk = "+7 912 345-67-89, +7 987 654-32-10 " + MARK.decode()
    write_body, write_type = _multipart([("receipt", junk), ("token", real), ("text", MARK.decode())])
    cases = [
        ("/receipt/", "no token", _form([("receipt", junk)]), "application/x-www-form-urlencoded"),
        ("/receipt/", "forged token", _form([("token", forged), ("receipt", junk)]),
         "application/x-www-form-urlencoded"),
        ("/receipt/", "a real token, but not first", _form([("receipt", junk), ("token", real)]),
         "application/x-www-form-urlencoded"),
        ("/receipt/", "a token from another site's secret", _form([("token", "eyJyIjoxfQ:1xZaSU:" + "A" * 43),
                                                                   ("receipt", junk)]),
         "application/x-www-form-urlencoded"),
        ("/receipt/write/", "no token first", write_body, write_type),
        ("/receipt/write/", "forged token", _form([("token", forged), ("receipt", junk), ("text", "x")]),
         "application/x-www-form-urlencoded"),
    ]
    before = len(relay.seen)
    for lang in ("en", "ru"):
        foreign = _text(lang, "The message did not come from our own page, or the page was too old. "
                              "Nothing was saved.")
        for path, name, body, ctype in cases:
            answer = _raw(stack, _post(f"{path}?lang={lang}", body, ctype))
            head, _, page = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), (path, name, head[:80])
            assert b"corridor-refusal" not in head.lower() and b"no-store" in head, name
            assert foreign in page.decode(), (path, name, lang)
    assert not [seen for seen in relay.seen if MARK in seen]
    for seen in map(bytes, relay.seen[before:]):  # at most the refusal pages themselves
        assert seen.startswith(b"POST /receipt/") and seen.endswith(b"\r\n\r\ntoken="), seen[:300]


def test_a_real_holder_looks_up_and_writes_again_through_the_front(stack):
    receipt = _receipt_of(stack, "en")
    token = _token(stack, "en", "/receipt/")
    answer = _raw(stack, _post("/receipt/?lang=en", _form([("token", token), ("receipt", receipt)]),
                               "application/x-www-form-urlencoded"))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert b'action="/receipt/write/' in answer
    write_token = html.unescape(re.search(rb'name="token" value="([^"]+)"', answer).group(1).decode())
    body, ctype = _multipart([("token", write_token), ("receipt", receipt), ("text", "I am safe for now.")])
    answer = _raw(stack, _post("/receipt/write/?lang=en", body, ctype))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    # A wrong receipt from our page reaches Django, which says it does not know it.
    answer = _raw(stack, _post("/receipt/?lang=en", _form([("token", _token(stack, "en", "/receipt/")),
                                                           ("receipt", "+7 900 000-00-00, +7 900 000-00-00 000")]),
                               "application/x-www-form-urlencoded"))
    assert answer.startswith(b"HTTP/1.1 400") and b"We could not find this receipt" in answer


def test_a_replayed_token_waits_behind_real_holders_and_is_never_locked_out(stack):
    """One page load, its token replayed by a flood, while the workers are stuck (the
    relay holds every request): the replays take no more than their share of the worker
    slots, so a real holder's fresh lookup and a page load go straight through, ahead
    of the replays still waiting; those are answered afterwards, and no one gets 429."""
    relay = stack["relay"]
    receipt = _receipt_of(stack, "en")
    replayed = _token(stack, "en", "/receipt/")
    fresh = _token(stack, "en", "/receipt/")
    from corridor.web.front import REPLAY_LIMIT

    slots = 16  # front_config(2): 2 workers x 8 threads
    # The token's first REPLAY_LIMIT posts are fresh; the replays after them may hold
    # a quarter of the slots, and the rest wait in the front.
    held = REPLAY_LIMIT + slots // 4
    n_junk = slots + 40
    answers: dict[str, bytes] = {}

    def send(name: str, raw: bytes) -> None:
        answers[name] = _raw(stack, raw)

    def lookup(token: str, text: str) -> bytes:
        return _post("/receipt/?lang=en", _form([("token", token), ("receipt", text)]),
                     "application/x-www-form-urlencoded")

    before, arrived = len(relay.seen), relay.arrived
    relay.open.clear()
    threads = []
    try:
        for i in range(n_junk):
            junk = f"+7 9{i:02d} 345-67-89, +7 987 654-32-10 доб. 123"  # well-formed: Django's to look up
            threads.append(threading.Thread(target=send, args=(f"junk{i}", lookup(replayed, junk))))
            threads[-1].start()
        deadline = time.monotonic() + 20
        while relay.arrived - arrived < held and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the rest are now waiting in the front
        assert relay.arrived - arrived == held  # free slots are left for everyone else
        for name, raw in (("real", lookup(fresh, receipt)),
                          ("page", b"GET /receipt/?lang=en HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")):
            threads.append(threading.Thread(target=send, args=(name, raw)))
            threads[-1].start()
            time.sleep(0.5)
        # Both were handed over at once, while the replays still wait in the front.
        assert relay.arrived - arrived == held + 2
    finally:
        relay.open.set()
    for t in threads:
        t.join(60)
    order = [bytes(seen) for seen in relay.seen[before:]]
    real_at = next(i for i, seen in enumerate(order) if quote_plus(fresh).encode() in seen)
    page_at = next(i for i, seen in enumerate(order) if seen.startswith(b"GET /receipt/"))
    later_junk = sum(1 for seen in order[page_at:] if quote_plus(replayed).encode() in seen)
    assert real_at <= held + 1 and real_at < page_at <= held + 3, (real_at, page_at)
    assert later_junk >= 30, later_junk
    assert answers["real"].startswith(b"HTTP/1.1 200"), answers["real"][:200]
    assert answers["page"].startswith(b"HTTP/1.1 200")
    statuses = {answers[f"junk{i}"][:12] for i in range(n_junk)}
    assert statuses == {b"HTTP/1.1 400"}, statuses  # "unknown receipt", answered; never 429 or 503


def _direct(stack, payload: bytes) -> bytes:
    """The same request straight to gunicorn, past the front: what Django answers."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(15)
        s.connect(stack["web_sock"])
        s.sendall(payload)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_a_malformed_receipt_gets_djangos_own_page_from_the_front(stack):
    relay = stack["relay"]
    token_re = re.compile(rb'name="token" value="[^"]*"')
    before = len(relay.seen)
    for lang, typed in (("en", "+7 912 345-67-89 " + MARK.decode()), ("ru", '<script>"x"</script> ' + MARK.decode()),
                        ("en", "  my receipt is lost " + MARK.decode())):
        token = _token(stack, lang, "/receipt/")
        raw = _post(f"/receipt/?lang={lang}", _form([("token", token), ("receipt", typed)]),
                    "application/x-www-form-urlencoded")
        answer = _raw(stack, raw)
        head, _, page = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head[:100]
        assert b"corridor-refusal" not in head.lower() and b"no-store" in head
        text = page.decode()
        assert _text(lang, "This does not look like a receipt. A receipt is two phone numbers and a three-digit "
                           "extension; please check the digits.") in text
        assert f'value="{html.escape(typed)}"' in text and "<script>" not in text
        assert f'name="token" value="{token}"' in text  # their own token, still fresh for a retry
        # Exactly Django's page (apart from the token Django would have made anew).
        django_head, _, django_page = _direct(stack, raw).partition(b"\r\n\r\n")
        assert django_head.startswith(b"HTTP/1.1 400")
        assert token_re.sub(b"T", page) == token_re.sub(b"T", django_page)
    assert not [seen for seen in relay.seen[before:] if MARK in seen]
    # Well-formed (but wrong) receipts, empty ones and over-long ones are Django's to judge.
    for typed in ("+7 912 345-67-89, +7 987 654-32-10 доб. 12" + "3", " ", "9" * 201):
        token = _token(stack, "en", "/receipt/")
        answer = _raw(stack, _post("/receipt/?lang=en", _form([("token", token), ("receipt", typed)]),
                                   "application/x-www-form-urlencoded"))
        assert answer.startswith(b"HTTP/1.1 400")
        assert any(quote_plus(token).encode() in seen for seen in relay.seen[before:]), typed


@pytest.mark.browser
def test_a_holder_without_javascript_looks_up_through_the_front(stack, chromium):
    """Chromium, JavaScript off, through the front: a typo gets the front's copy of
    Django's page with the text kept; the corrected receipt opens the conversation."""
    receipt = _receipt_of(stack, "ru")
    relay = stack["relay"]
    ctx = chromium.new_context(java_script_enabled=False, base_url=f"http://127.0.0.1:{stack['port']}")
    try:
        page = ctx.new_page()
        page.goto("/receipt/?lang=ru")
        typo = receipt[:-5]  # the extension cut short: cannot be a receipt
        page.fill("#id_receipt", typo)
        before = len(relay.seen)
        page.click("button[type=submit]")
        assert page.input_value("#id_receipt") == typo
        assert _text("ru", "This does not look like a receipt. A receipt is two phone numbers and a three-digit "
                           "extension; please check the digits.") in page.inner_text("body")
        assert not [seen for seen in relay.seen[before:] if quote_plus(typo).encode() in seen]  # the front's answer
        page.fill("#id_receipt", receipt)
        page.click("button[type=submit]")
        assert page.locator("form[action^='/receipt/write/']").count() == 1
        assert ctx.cookies() == []
    finally:
        ctx.close()
