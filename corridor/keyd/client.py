"""Client used by the web workers to talk to keyd.

One persistent connection per thread (and per process: a connection inherited
across fork() is never reused, since two processes reading one socket could
receive each other's unwrapped keys).

The agent is reached on its Unix socket (a path), or, from another application
host, at `tls://host:port` with mutual TLS 1.3 (`tls=` a context from
`corridor.keyd.tls.client_context`; the agent's certificate must come from the
installation's CA and name `host`).
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from .errors import KeydError, KeydUnavailable, error_from_code
from .protocol import decode_body, encode_frame, read_body

# Ops that must not be sent twice if the connection dies after sending.
_NO_RETRY_AFTER_SEND = frozenset({"rotate_root", "retire_root", "unseal_share"})


def _e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_d = base64.b64decode


@dataclass(eq=False)
class _Conn:
    sock: socket.socket
    rfile: BinaryIO

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            self.sock.close()


class KeydClient:
    def __init__(self, socket_path: str | os.PathLike[str], timeout: float = 5.0, *,
                 tls: ssl.SSLContext | None = None) -> None:
        self.socket_path = os.fspath(socket_path)
        self.timeout = timeout
        self.tls = tls
        self.address: tuple[str, int] | None = None
        if self.socket_path.startswith("tls://"):
            from .tls import parse_address

            if tls is None:
                raise ValueError("a tls:// agent address needs a client TLS context")
            self.address = parse_address(self.socket_path)
        self._local = threading.local()
        self._all: set[_Conn] = set()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        # Called as on_notice(notice, principal) when keyd attaches a notice (e.g.
        # "ceiling_warn") to a successful answer; the web records it for administrators.
        self.on_notice: Callable[[str, str], None] | None = None

    # ------------------------------------------------------------ transport

    def _connect(self) -> _Conn:
        if self.address is not None:
            sock = self._connect_tls()
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.socket_path)
            except (OSError, TimeoutError) as exc:
                sock.close()
                raise KeydUnavailable(f"cannot connect to keyd at {self.socket_path}: {exc.strerror or exc}") from None
        conn = _Conn(sock, sock.makefile("rb", buffering=65536))
        self._local.conn = conn
        with self._lock:
            self._all.add(conn)
        return conn

    def _connect_tls(self) -> socket.socket:
        assert self.address is not None and self.tls is not None
        host, port = self.address
        try:
            raw = socket.create_connection((host, port), timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise KeydUnavailable(f"cannot connect to keyd at {self.socket_path}: {exc.strerror or exc}") from None
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # see KeydServer._serve_tls
        try:
            sock = self.tls.wrap_socket(raw, server_hostname=host)  # verifies the agent's certificate
        except (OSError, ssl.SSLError) as exc:
            raw.close()
            raise KeydUnavailable(f"no TLS session with keyd at {self.socket_path}: {exc}") from None
        sock.settimeout(self.timeout)
        return sock

    def _drop(self, conn: _Conn) -> None:
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
        with self._lock:
            self._all.discard(conn)
        try:
            conn.close()
        except OSError:
            pass

    def _get(self) -> _Conn:
        if self._pid != os.getpid():
            self._after_fork()
        conn: _Conn | None = getattr(self._local, "conn", None)
        return conn if conn is not None else self._connect()

    def _after_fork(self) -> None:
        # The parent's connections (and maybe a lock one of its threads held)
        # were copied into this process: close our copies, never use them.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        inherited, self._all = self._all, set()
        self._local = threading.local()
        for conn in inherited:
            try:
                conn.close()
            except OSError:
                pass

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        frame = encode_frame(request)
        for attempt in (0, 1):
            conn = self._get()
            try:
                conn.sock.sendall(frame)
            except OSError as exc:  # broken pipe: keyd restarted; reconnect once
                self._drop(conn)
                if attempt == 0:
                    continue
                raise KeydUnavailable(f"keyd connection failed: {exc}") from None
            try:
                body = read_body(conn.rfile)
            except ConnectionResetError:  # keyd hung up with our request unread
                body = None
            except (OSError, EOFError, KeydError) as exc:
                self._drop(conn)  # the stream position is unknown now
                raise KeydUnavailable(f"keyd did not answer: {exc or 'timeout'}") from None
            if body is None:
                self._drop(conn)
                if attempt == 0 and request.get("op") not in _NO_RETRY_AFTER_SEND:
                    continue
                raise KeydUnavailable("keyd closed the connection (is this uid allowed to connect?)")
            response = decode_body(body)
            if response.get("ok") is True:
                notice = response.get("notice")
                if notice and self.on_notice is not None:
                    self.on_notice(str(notice), str(request.get("principal", "")))
                return response
            raise error_from_code(str(response.get("error")), str(response.get("message", "")))
        raise KeydUnavailable("keyd connection failed")  # pragma: no cover

    def close(self) -> None:
        """Close every connection this client opened (in any thread)."""
        with self._lock:
            conns, self._all = list(self._all), set()
        for conn in conns:
            try:
                conn.close()
            except OSError:
                pass
        self._local = threading.local()

    def __enter__(self) -> KeydClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ operations

    @staticmethod
    def _status(response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ok"}

    def status(self) -> dict[str, Any]:
        return self._status(self._call({"op": "status"}))

    def unseal_passphrase(self, passphrase: str) -> dict[str, Any]:
        return self._status(self._call({"op": "unseal_passphrase", "passphrase": passphrase}))

    def unseal_share(self, share: str) -> dict[str, Any]:
        return self._status(self._call({"op": "unseal_share", "share": share}))

    def seal(self, reason: str = "") -> dict[str, Any]:
        return self._status(self._call({"op": "seal", "reason": reason}))

    def wrap(self, principal: str, items: list[tuple[bytes, bytes]], *,
             erasable: bool = False) -> tuple[int, list[bytes]]:
        """Wrap (key, ad) pairs under the current root, or under an erasure bucket
        (root_version 0); returns (root_version, wrapped blobs)."""
        r = self._call({"op": "wrap", "principal": principal, "erasable": erasable,
                        "items": [{"key": _e(k), "ad": _e(ad)} for k, ad in items]})
        return r["root_version"], [_d(w) for w in r["wrapped"]]

    def unwrap(self, principal: str, items: list[tuple[bytes, bytes, int]]) -> list[bytes]:
        """Unwrap (wrapped, ad, root_version) triples; all succeed or UnwrapFailed is raised."""
        r = self._call({"op": "unwrap", "principal": principal,
                        "items": [{"wrapped": _e(w), "ad": _e(ad), "root_version": v} for w, ad, v in items]})
        return [_d(k) for k in r["keys"]]

    def rewrap(self, principal: str, items: list[tuple[bytes, bytes, int]], *,
               erasable: bool = False) -> tuple[int, list[bytes]]:
        """Move (wrapped, ad, root_version) triples to the current root, or (erasable)
        into erasure buckets / their bucket's current generation, without exposing keys."""
        r = self._call({"op": "rewrap", "principal": principal, "erasable": erasable,
                        "items": [{"wrapped": _e(w), "ad": _e(ad), "root_version": v} for w, ad, v in items]})
        return r["root_version"], [_d(w) for w in r["wrapped"]]

    def blind_index(self, principal: str, kind: str, values: list[bytes]) -> list[bytes]:
        r = self._call({"op": "blind_index", "principal": principal, "kind": kind,
                        "values": [_e(v) for v in values]})
        return [_d(i) for i in r["indexes"]]

    def hpke_open(self, principal: str, private_key: tuple[bytes, bytes, int], ciphertext: bytes,
                  info: bytes) -> bytes:
        """HPKE-decrypt with an X25519 private key given as (wrapped, ad, root_version)."""
        wrapped, ad, version = private_key
        r = self._call({"op": "hpke_open", "principal": principal,
                        "private_key": {"wrapped": _e(wrapped), "ad": _e(ad), "root_version": version},
                        "ciphertext": _e(ciphertext), "info": _e(info)})
        return _d(r["plaintext"])

    def sign(self, principal: str, message: bytes, proof: list[bytes] | None = None,
             latest: str | None = None) -> bytes:
        """Sign a checkpoint body; keyd wants a consistency proof from the head it signed last."""
        req: dict[str, Any] = {"op": "sign", "principal": principal, "message": _e(message),
                               "proof": [_e(p) for p in proof or []]}
        if latest:
            req["latest"] = latest
        return _d(self._call(req)["signature"])

    def reset_head(self, reason: str) -> dict[str, Any]:
        return self._status(self._call({"op": "reset_head", "reason": reason}))

    def public_key(self) -> tuple[bytes, str]:
        r = self._call({"op": "public_key"})
        return _d(r["public_key"]), r["log_origin"]

    def shred(self, bucket: int) -> int:
        """Start a new generation of an erasure bucket's key; returns it."""
        return self._call({"op": "shred", "bucket": bucket})["gen"]

    def bucket_retire(self, bucket: int, below: int) -> list[int]:
        """Delete the bucket's generations older than `below` from the keystore."""
        return self._call({"op": "bucket_retire", "bucket": bucket, "below": below})["retired"]

    def rotate_root(self) -> dict[str, Any]:
        return self._status(self._call({"op": "rotate_root"}))

    def retire_root(self, version: int) -> dict[str, Any]:
        return self._status(self._call({"op": "retire_root", "version": version}))
