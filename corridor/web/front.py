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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

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

_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade", b"trailer"}


def _status(code: int, reason: str) -> bytes:
    body = f"{code} {reason}\n".encode()
    return (f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


class Front:
    def __init__(self, backend_path: str) -> None:
        self.backend_path = backend_path
        self.active = 0

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
        first = min(length, BUFFER_BYTES)
        try:
            body = await asyncio.wait_for(reader.readexactly(first), BODY_SECONDS) if first else b""
        except (TimeoutError, asyncio.IncompleteReadError):
            return
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.backend_path, limit=RESPONSE_BUFFER)
        except OSError:
            writer.write(_status(502, "Bad Gateway"))
            return
        try:
            up_writer.write(lines[0] + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers)
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


async def _main(sock: socket.socket, backend_path: str) -> None:
    front = Front(backend_path)
    server = await asyncio.start_server(front.handle, sock=sock, limit=HEADER_BYTES)
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


def run(bind: str, backend_path: str) -> None:
    """Entry point of the front process (`python -m corridor.web.front BIND BACKEND`)."""
    asyncio.run(_main(listen_socket(bind), backend_path))


if __name__ == "__main__":  # pragma: no cover - started by `corridor serve`
    import sys

    os.umask(0o077)
    run(sys.argv[1], sys.argv[2])
