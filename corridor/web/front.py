"""A small buffering front for `corridor serve`: slow clients cannot starve the workers.

gunicorn's threads read a request with blocking calls, so a client that sends its
headers or body one byte at a time holds a thread for as long as it likes; two such
sockets stopped the old two-worker set-up. This front (asyncio, one thread) accepts
the connections instead, and hands a request to gunicorn (on a Unix socket) only
once its headers are complete and its body is in (bodies up to BUFFER_BYTES are
buffered whole; bigger uploads must first deliver that much, then stream on with an
idle timeout). Waiting costs an asyncio task, not a worker thread.

Bounds: HEADER_SECONDS for the whole header, BODY_SECONDS for the buffered body,
IDLE_SECONDS between chunks after that, at most MAX_CONNECTIONS at once (more are
answered 503 and closed), headers at most HEADER_BYTES. Worst-case memory is about
MAX_CONNECTIONS x (HEADER_BYTES + BUFFER_BYTES) plus RESPONSE_BUFFER per request
being answered.

No client address is ever logged or passed on: gunicorn sees only the Unix socket,
so neither Django nor gunicorn's own messages can contain one. One request per
connection (`Connection: close`), which is plenty for this site and keeps the front
simple. In production put it behind a TLS reverse proxy or a Tor onion service
(docs/operations.md).

Shedding junk before it reaches a worker (docs/operations.md, "Junk floods"): a
Django worker costs milliseconds per request, the front a fraction of one, so what
can be refused from the request line, the headers and the first bytes of the body
is refused here:
- methods the site never serves (405), and public intake posts (`POST /`) whose
  Content-Length is over the intake's drain limit (413);
- intake posts whose *first* form field is not a well-signed form token (400). The
  form puts its hidden token first, and browsers send fields in page order, so a
  real post carries it in its first few hundred bytes; the front checks its HMAC
  with the derived key `serve` hands it on stdin (it never holds SECRET_KEY itself,
  and needs no database). Expired tokens pass on, so Django keeps the person's text.
- receipt lookups and follow-ups (`POST /receipt/`, `/receipt/write/`) likewise need
  a well-signed token first; a lookup whose receipt cannot be one (the view's own
  format check, corridor/intake/receipt_format.py) gets Django's page for it here,
  with the person's text and token put back.
- refusals are the very page Django gives for the same request (fetched once from
  the workers, cached briefly), in the language of `?lang=`, so a person is never
  left with a bare error; refused connections close at once.
- worker slots are bounded (`backend_slots`) and handed out in three lines
  (corridor/web/shedding.py, with the token checks and the replay table): posts
  with a fresh token (under FRESH_SECONDS old and among its first REPLAY_LIMIT
  posts), then everything else, then posts whose token is stale or replayed, which
  may hold only a quarter of the slots. Each line is bounded (503 beyond it), so real
  people are not stuck behind a flood, and a replayed token buys nothing but a wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import signal
import socket
import sys
import time
from urllib.parse import quote_plus

from corridor.web.shedding import (  # noqa: F401 - part of the front's interface
    BAD,
    CLOCK_SKEW,
    FRESH_SECONDS,
    MAX_TRACKED,
    MAX_WAITING,
    NEED,
    OTHER,
    RECEIPT_MAX_CHARS,
    REPLAY_LIMIT,
    SIGNED,
    STALE,
    STALE_WAITING,
    TOKEN_PEEK,
    Gate,
    Replays,
    _query_lang,
    first_field_token,
    malformed_receipt,
    mint_token,
    token_signed,
    token_time,
)

log = logging.getLogger("corridor.front")

HEADER_BYTES = 32 * 1024
BUFFER_BYTES = 256 * 1024
HEADER_SECONDS = 10.0
BODY_SECONDS = 30.0
IDLE_SECONDS = 30.0
RESPONSE_SECONDS = 300.0
RESPONSE_BUFFER = 1024 * 1024
MAX_CONNECTIONS = 1024
MAX_BODY_BYTES = 5 * 1024**3

METHODS = {b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"}
INTAKE_PATH = b"/"
RECEIPT_PATHS = (b"/receipt/", b"/receipt/write/")
TOKEN_PATHS = (INTAKE_PATH, *RECEIPT_PATHS)
PAGE_SECONDS = 60.0  # a fetched refusal page is reused this long
FALLBACK_SECONDS = 5.0
FORMAT_SLOT = "corridor-front-slot"  # a receipt that cannot be one, for fetching the page

_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade", b"trailer"}


def _status(code: int, reason: str) -> bytes:
    body = f"{code} {reason}\n".encode()
    return (f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


class Front:
    def __init__(self, backend_path: str, config: dict | None = None) -> None:
        config = config or {}
        self.backend_path = backend_path
        self.active = 0
        self.token_keys = [bytes.fromhex(k) for k in config.get("token_keys", [])]
        self.drain_bytes = int(config.get("drain_bytes", MAX_BODY_BYTES))
        self.languages = frozenset(config.get("languages", []))
        self.host = config.get("host", "localhost").encode()
        self.gate = Gate(int(config.get("backend_slots", 16)))
        self.pages: dict[tuple[str, str, str], tuple[float, bytes]] = {}
        self.fetching: dict[tuple[str, str, str], asyncio.Future] = {}
        self.replays = Replays()
        self.refused = 0  # counted, never logged with anything about the client

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.active += 1
        try:
            if self.active > MAX_CONNECTIONS:
                writer.write(_status(503, "Service Unavailable"))
                return
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, OSError):
            pass
        finally:
            self.active -= 1
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_SECONDS)
        except asyncio.LimitOverrunError:
            writer.write(_status(431, "Request Header Fields Too Large"))
            return
        except (TimeoutError, asyncio.IncompleteReadError):
            return  # too slow or gone: drop it quietly (never log who)
        lines = head[:-4].split(b"\r\n")
        request_line = lines[0].split(b" ")
        if len(request_line) != 3 or not request_line[2].startswith(b"HTTP/1."):
            writer.write(_status(400, "Bad Request"))
            return
        headers: list[tuple[bytes, bytes]] = []
        length = 0
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip() or b" " in name:
                writer.write(_status(400, "Bad Request"))
                return
            lname = name.lower()
            value = value.strip()
            if lname == b"transfer-encoding":
                writer.write(_status(411, "Length Required"))
                return
            if lname == b"content-length":
                if not value.isdigit() or (length and int(value) != length):
                    writer.write(_status(400, "Bad Request"))
                    return
                length = int(value)
            if lname in _HOP_BY_HOP:
                continue
            headers.append((name, value))
        if length > MAX_BODY_BYTES:
            writer.write(_status(413, "Content Too Large"))
            return
        method, target = request_line[0], request_line[1]
        if method not in METHODS:
            writer.write(_status(405, "Method Not Allowed"))
            return
        cls, body = OTHER, b""
        path = target.partition(b"?")[0]
        if method == b"POST" and path in TOKEN_PATHS and self.token_keys:
            lang = _query_lang(target, self.languages)
            page = path.decode()
            if path == INTAKE_PATH and length > self.drain_bytes:
                await self._refuse(reader, writer, "too_large", lang, length)
                return
            ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
            body = await self._peek_token(reader, ctype, length)
            if body is None:
                return  # too slow or gone
            token = first_field_token(body, ctype, complete=len(body) == length)
            made = None if token is BAD or token is NEED else token_time(token, self.token_keys)
            if made is None:
                await self._refuse(reader, writer, "foreign", lang, length - len(body), page)
                return
            cls = SIGNED if self.replays.fresh(token, made) else STALE
        first = min(length, BUFFER_BYTES)
        try:
            if first > len(body):
                body += await asyncio.wait_for(reader.readexactly(first - len(body)), BODY_SECONDS)
        except (TimeoutError, asyncio.IncompleteReadError):
            return
        if cls != OTHER and path == RECEIPT_PATHS[0] and len(body) == length:
            answer = self._format_refusal(headers, body, lang, token)
            if answer is not None:
                self.refused += 1
                writer.write(answer)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.drain(), IDLE_SECONDS)
                return
        if not await self.gate.acquire(cls):
            writer.write(_status(503, "Service Unavailable"))
            return
        try:
            await self._forward(reader, writer, lines[0], headers, body, length, len(body))
        finally:
            self.gate.release(cls)

    async def _peek_token(self, reader: asyncio.StreamReader, ctype: bytes, length: int) -> bytes | None:
        """Read just enough of an intake post to see its first field (the token)."""
        buf = b""
        deadline = time.monotonic() + HEADER_SECONDS
        while len(buf) < min(length, TOKEN_PEEK):
            if first_field_token(buf, ctype, complete=False) is not NEED:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                chunk = await asyncio.wait_for(reader.read(min(length, TOKEN_PEEK) - len(buf)), left)
            except TimeoutError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    async def _refuse(self, reader, writer, reason: str, lang: str, unread: int, path: str = "/") -> None:
        """Answer with Django's own refusal page, then close without keeping the line
        open: a short linger reads what is already in flight, so the client gets the
        page rather than a reset."""
        self.refused += 1
        writer.write(await self._page(reason, lang, path))
        with contextlib.suppress(Exception):
            writer.write_eof()
            await asyncio.wait_for(writer.drain(), 1.0)
            if unread:
                deadline = time.monotonic() + 1.0
                while unread > 0 and time.monotonic() < deadline:
                    chunk = await asyncio.wait_for(reader.read(64 * 1024), deadline - time.monotonic())
                    if not chunk:
                        break
                    unread -= len(chunk)

    def _format_refusal(self, headers, body: bytes, lang: str, token: bytes) -> bytes | None:
        """Django's page for a malformed receipt, with the person's text and their own
        token put back where Django would put its own (the token stays theirs: it was
        counted for this post, and a fresh one from the front would hand a flood free
        tokens). None (so Django answers) unless the page is at hand and the post is
        a plain same-site form post whose receipt cannot be one."""
        named = {n.lower(): v for n, v in headers}
        if not named.get(b"content-type", b"").lower().startswith(b"application/x-www-form-urlencoded"):
            return None
        if named.get(b"sec-fetch-site") == b"cross-site" or named.get(b"origin", b"null") != b"null":
            return None  # Django judges cross-site posts first (403)
        text = malformed_receipt(body)
        if text is None:
            return None
        page = self._cached_page(("/receipt/", "format", lang))
        if page is None:
            return None
        head, _, html_page = page.partition(b"\r\n\r\n")
        slot = f'value="{FORMAT_SLOT}"'.encode()
        token_at = html_page.find(b'name="token" value="')
        if html_page.count(slot) != 1 or token_at < 0:
            return None
        start = token_at + len(b'name="token" value="')
        end = html_page.index(b'"', start)
        html_page = html_page[:start] + html.escape(token.decode("ascii")).encode() + html_page[end:]
        html_page = html_page.replace(slot, b'value="' + html.escape(text).encode("utf-8") + b'"')
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"content-length:")]
        return b"\r\n".join([*lines, b"Content-Length: %d" % len(html_page)]) + b"\r\n\r\n" + html_page

    def _cached_page(self, key: tuple[str, str, str]) -> bytes | None:
        """A cached page without waiting: refreshed in the background when stale."""
        hit = self.pages.get(key)
        if hit is None or hit[0] <= time.monotonic():
            self._start_refresh(key)
        return hit[1] if hit is not None else None

    def _start_refresh(self, key: tuple[str, str, str]) -> asyncio.Future:
        pending = self.fetching.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(key))
            self.fetching[key] = pending
            pending.add_done_callback(lambda _f: self.fetching.pop(key, None))
        return pending

    async def _page(self, reason: str, lang: str, path: str = "/") -> bytes:
        """The cached refusal page. A stale one is still served while a fresh copy is
        fetched in the background, so junk never waits on a busy worker; only the very
        first of its kind waits (2 s at most, then a plain answer)."""
        key = (path, reason, lang)
        hit = self.pages.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        pending = self._start_refresh(key)
        if hit is not None:
            return hit[1]
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(pending), 2)
        hit = self.pages.get(key)
        if hit is not None:
            return hit[1]
        return _status(413, "Content Too Large") if reason == "too_large" else _status(400, "Bad Request")

    async def _refresh(self, key: tuple[str, str, str]) -> None:
        try:
            page = await asyncio.wait_for(self._fetch_page(*key), 30)
        except Exception:  # noqa: BLE001 - any failure: try again a little later
            page = None
        if page is not None:
            self.pages[key] = (time.monotonic() + PAGE_SECONDS, page)
        elif key in self.pages:
            self.pages[key] = (time.monotonic() + FALLBACK_SECONDS, self.pages[key][1])

    def prefetch(self) -> None:
        """Fetch every refusal page once the workers are up (serve starts them first)."""
        if self.token_keys:
            kinds = [("/", "foreign"), ("/", "too_large"), ("/receipt/", "format")]
            kinds += [(p.decode(), "foreign") for p in RECEIPT_PATHS]
            for path, reason in kinds:
                for lang in ("", *sorted(self.languages)):
                    self._start_refresh((path, reason, lang))

    async def _fetch_page(self, path: str, reason: str, lang: str) -> bytes | None:
        """Ask the workers for the page they give this kind of junk: the same request,
        stripped of anything the client sent. Django marks it `Corridor-Refusal`."""
        target = path.encode() + (b"?lang=" + lang.encode() if lang else b"")
        if reason == "too_large":
            head = b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n" % (self.drain_bytes + 1)
            body = b""
        elif reason == "format":
            body = f"token={quote_plus(mint_token(self.token_keys[0]))}&receipt={FORMAT_SLOT}".encode()
            head = b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(body)
        else:
            body = b"token="
            head = b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\n"
        up_reader, up_writer = await asyncio.open_unix_connection(self.backend_path, limit=RESPONSE_BUFFER)
        try:
            up_writer.write(b"POST " + target + b" HTTP/1.1\r\nHost: " + self.host + b"\r\n" + head
                            + b"Connection: close\r\n\r\n" + body)
            await up_writer.drain()
            raw = await asyncio.wait_for(up_reader.read(RESPONSE_BUFFER), 10)
            while True:
                more = await asyncio.wait_for(up_reader.read(RESPONSE_BUFFER), 10)
                if not more:
                    break
                raw += more
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        response_lines = raw[:head_end].split(b"\r\n")
        marker = b"corridor-refusal: " + reason.encode()
        if not any(line.lower() == marker for line in response_lines[1:]):
            return None
        kept = [line for line in response_lines if not line.lower().startswith(b"corridor-refusal:")]
        return b"\r\n".join(kept) + raw[head_end:]

    async def _forward(self, reader, writer, request_line: bytes, headers, body: bytes, length: int,
                       first: int) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.backend_path, limit=RESPONSE_BUFFER)
        except OSError:
            writer.write(_status(502, "Bad Gateway"))
            return
        try:
            up_writer.write(request_line + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers)
                            + b"Connection: close\r\n\r\n" + body)
            left = length - first
            while left:
                chunk = await asyncio.wait_for(reader.read(min(left, 64 * 1024)), IDLE_SECONDS)
                if not chunk:
                    return
                left -= len(chunk)
                up_writer.write(chunk)
                await up_writer.drain()
            await up_writer.drain()
            writer.transport.set_write_buffer_limits(high=RESPONSE_BUFFER)
            while True:
                chunk = await asyncio.wait_for(up_reader.read(64 * 1024), RESPONSE_SECONDS)
                if not chunk:
                    break
                writer.write(chunk)
                await asyncio.wait_for(writer.drain(), IDLE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()


def listen_socket(bind: str) -> socket.socket:
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def _main(sock: socket.socket, backend_path: str, config: dict | None = None) -> None:
    front = Front(backend_path, config)
    server = await asyncio.start_server(front.handle, sock=sock, limit=HEADER_BYTES)
    front.prefetch()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_exception)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def _quiet_exception(loop, context) -> None:
    """asyncio's default handler may print a peer name: print only the error type."""
    exc = context.get("exception")
    os.write(2, f"front: unexpected {type(exc).__name__ if exc else 'error'}\n".encode())


def run(bind: str, backend_path: str, config: dict | None = None) -> None:
    """Entry point of the front process (`python -m corridor.web.front BIND BACKEND
    [--config-stdin]`). With --config-stdin, `serve` writes one JSON line on stdin:
    the derived token keys, the intake's drain limit, the languages, a Host the site
    accepts and the number of worker slots (corridor/intake/front.py)."""
    asyncio.run(_main(listen_socket(bind), backend_path, config))


if __name__ == "__main__":  # pragma: no cover - started by `corridor serve`
    os.umask(0o077)
    settings_line = json.loads(sys.stdin.readline()) if "--config-stdin" in sys.argv[3:] else None
    run(sys.argv[1], sys.argv[2], settings_line)
