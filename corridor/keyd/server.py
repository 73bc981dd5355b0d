"""The keyd process: a threaded Unix-socket server in front of `Agent`.

Access control is the kernel's: the socket is 0600 in a directory nobody else
may write to (so the socket cannot be swapped for an impostor that collects
keys to wrap), and every connection's peer uid (SO_PEERCRED, which the peer
cannot forge) must be in the allowed set before a single byte is read.

Optionally the agent also listens on TCP for other application hosts
(`--listen`, corridor/keyd/tls.py): mutual TLS 1.3, the peer's certificate from
the installation's CA (and in clients.txt, when given) before a single request
is read. Such a peer has the rights of an allowed uid, never of an admin uid
given with --admin-uid.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import selectors
import signal
import socket
import ssl
import stat
import struct
import sys
import threading
from collections.abc import Collection, Sequence

from .agent import Agent
from .errors import BadRequest
from .journal import Journal
from .keystore import load_keystore
from .protocol import decode_body, encode_frame, error, read_body
from .tls import HANDSHAKE_TIMEOUT, fingerprint, load_allowed, parse_address, server_context

__all__ = ["Agent", "KeydServer", "check_socket_dir", "main", "peer_allowed", "peer_credentials"]

_UMASK_LOCK = threading.Lock()
# The uid handed to the agent for a TLS peer: no real account, so never in --admin-uid.
TLS_PEER_UID = -1


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end, as recorded by the kernel."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", creds)
    return pid, uid, gid


def peer_allowed(uid: int, allowed: Collection[int]) -> bool:
    return uid in allowed


def check_socket_dir(socket_path: str) -> None:
    """Refuse a directory where another user could replace or pre-create our socket."""
    directory = os.path.dirname(os.path.abspath(socket_path))
    st = os.stat(directory)
    if st.st_mode & stat.S_IWOTH:
        raise ValueError(f"socket directory {directory} is world-writable; use a private directory")
    if st.st_uid not in (os.getuid(), 0):
        raise ValueError(f"socket directory {directory} is owned by uid {st.st_uid}, not by us or root")


def _clear_stale_socket(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise ValueError(f"{path} exists and is not a socket; refusing to remove it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        os.unlink(path)  # left behind by a crashed keyd
        return
    finally:
        probe.close()
    raise ValueError(f"another process is already listening on {path}")


class KeydServer:
    def __init__(self, socket_path: str | os.PathLike[str], agent: Agent,
                 allowed_uids: Collection[int] | None = None, *,
                 listen: tuple[str, int] | None = None, tls: ssl.SSLContext | None = None,
                 tls_allowed: dict[str, str] | None = None) -> None:
        self.socket_path = os.fspath(socket_path)
        self.agent = agent
        self.allowed_uids = frozenset(allowed_uids) if allowed_uids is not None else frozenset({os.getuid()})
        check_socket_dir(self.socket_path)
        _clear_stale_socket(self.socket_path)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with _UMASK_LOCK:  # umask is process-wide: keep the window tiny
            old = os.umask(0o177)
            try:
                self._listener.bind(self.socket_path)
            finally:
                os.umask(old)
        os.chmod(self.socket_path, 0o600)
        self._inode = os.stat(self.socket_path).st_ino
        self._listener.listen(128)
        self._tcp: socket.socket | None = None
        self.tls = tls
        self.tls_allowed = tls_allowed  # fingerprint -> host name; None: any certificate from the CA
        if listen is not None:
            if tls is None or tls.verify_mode != ssl.CERT_REQUIRED or \
                    tls.minimum_version < ssl.TLSVersion.TLSv1_3:
                raise ValueError("a TCP listener needs a mutual TLS 1.3 context")
            self._tcp = socket.create_server(listen, family=socket.AF_INET6 if ":" in listen[0] else socket.AF_INET,
                                             backlog=128)
        self._wake_r, self._wake_w = socket.socketpair()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.serve_forever, name="keyd-accept", daemon=True)
        self._thread.start()
        return self._thread

    @property
    def tcp_address(self) -> tuple[str, int] | None:
        """(host, port) of the TLS listener (port 0 asked for gives the port chosen)."""
        return self._tcp.getsockname()[:2] if self._tcp is not None else None

    def serve_forever(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            if self._tcp is not None:
                sel.register(self._tcp, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._closed:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r or self._closed:
                        return
                    listener = key.fileobj
                    try:
                        conn, _ = listener.accept()  # type: ignore[union-attr]
                    except OSError:
                        continue
                    with self._lock:
                        if self._closed:
                            conn.close()
                            return
                        self._conns.add(conn)
                    target = self._serve_unix if listener is self._listener else self._serve_tls
                    threading.Thread(target=target, args=(conn,), name="keyd-conn", daemon=True).start()

    def _serve_unix(self, conn: socket.socket) -> None:
        try:
            pid, uid, _gid = peer_credentials(conn)
        except OSError:
            self._forget(conn)
            return
        if not peer_allowed(uid, self.allowed_uids):
            self._forget(conn)
            return  # hang up without a word: a stranger learns nothing
        self.agent.peer.pid = pid  # this connection's thread: counted per process too
        self._serve_conn(conn, uid)

    def _serve_tls(self, raw: socket.socket) -> None:
        """Handshake in this connection's thread (a slow or silent peer never holds the
        accept loop), with a deadline; then the same protocol as the Unix socket."""
        assert self.tls is not None
        try:
            raw.settimeout(HANDSHAKE_TIMEOUT)
            # Small requests and answers, and a handshake in several records: without
            # this, Nagle's algorithm meets the peer's delayed ACK and each waits ~40 ms.
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = self.tls.wrap_socket(raw, server_side=True)  # handshake: CA-issued client cert or nothing
            der = conn.getpeercert(binary_form=True)
            if not der:
                raise ssl.SSLError("no client certificate")
            host = self._tls_host(der, conn)
            if host is None:
                conn.close()
                self._forget(raw)
                return
            conn.settimeout(None)
        except (OSError, ValueError):
            self._forget(raw)
            return
        with self._lock:
            self._conns.discard(raw)
            if self._closed:
                conn.close()
                return
            self._conns.add(conn)
        # The per-process ceiling counts a whole remote host: its workers are invisible from here.
        self.agent.peer.pid = f"host {host}"
        self._serve_conn(conn, TLS_PEER_UID)

    def _tls_host(self, der: bytes, conn: ssl.SSLSocket) -> str | None:
        if self.tls_allowed is not None:
            return self.tls_allowed.get(fingerprint(der))
        subject = dict(x[0] for x in conn.getpeercert().get("subject", ()))
        return str(subject.get("commonName", "?"))

    def _forget(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns.discard(conn)
        try:
            conn.close()
        except OSError:
            pass

    def _serve_conn(self, conn: socket.socket, uid: int) -> None:
        rfile = None
        try:
            rfile = conn.makefile("rb", buffering=65536)
            handle = self.agent.handle
            while True:
                try:
                    body = read_body(rfile)
                except BadRequest as exc:  # oversized: the stream cannot be resynchronised
                    conn.sendall(encode_frame(error(exc)))
                    return
                if body is None:
                    return
                try:
                    response = handle(decode_body(body), uid)
                except BadRequest as exc:
                    response = error(exc)
                try:
                    frame = encode_frame(response)
                except BadRequest as exc:
                    frame = encode_frame(error(exc))
                conn.sendall(frame)
        except (OSError, EOFError):
            pass
        finally:
            if rfile is not None:
                rfile.close()
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            conns = list(self._conns)
        self._wake_w.send(b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._listener.close()
        if self._tcp is not None:
            self._tcp.close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # wakes the connection thread's blocking read
            except OSError:
                pass
        try:
            if os.stat(self.socket_path).st_ino == self._inode:  # only remove our own socket
                os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        self._wake_r.close()
        self._wake_w.close()


def _harden_process() -> None:
    """Best effort: no core dumps, and no ptrace by same-uid processes (e.g. a hijacked worker)."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m corridor.keyd", description="Corridor key agent")
    p.add_argument("--socket", required=True, help="Unix socket path (its directory must not be world-writable)")
    p.add_argument("--keystore", required=True, help="keystore JSON file")
    p.add_argument("--journal", help="append-only JSON-lines journal of key use")
    p.add_argument("--unwrap-limit", type=int, default=3000,
                   help="base ceiling: distinct keys per principal per 10 minutes before suspension "
                        "(scaled per role; see corridor/keyd/policy.py)")
    p.add_argument("--allow-uid", type=int, action="append", dest="allow_uids",
                   help="uid allowed to connect (repeatable; default: our own uid)")
    p.add_argument("--admin-uid", type=int, action="append", dest="admin_uids",
                   help="uid allowed to rotate/retire roots (repeatable; default: any allowed uid). "
                        "TLS peers are never admin uids.")
    p.add_argument("--listen", help="also listen on HOST:PORT for other application hosts (mutual TLS 1.3)")
    p.add_argument("--tls-cert", help="the agent's certificate (agent.crt from `corridor keyd-certs`)")
    p.add_argument("--tls-key", help="the agent's private key (agent.key)")
    p.add_argument("--tls-ca", help="the CA that issues the hosts' certificates (ca.crt)")
    p.add_argument("--tls-clients", help="only these host certificates (clients.txt: `host sha256` a line)")
    return p


def _tls_options(args: argparse.Namespace) -> dict:
    if not args.listen:
        return {}
    if not (args.tls_cert and args.tls_key and args.tls_ca):
        raise ValueError("--listen needs --tls-cert, --tls-key and --tls-ca")
    host, port = parse_address(args.listen)
    return {"listen": (host, port), "tls": server_context(args.tls_cert, args.tls_key, args.tls_ca),
            "tls_allowed": load_allowed(args.tls_clients) if args.tls_clients else None}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _harden_process()
    try:
        keystore = load_keystore(args.keystore)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"keyd: cannot load keystore: {exc}") from None
    journal = Journal(args.journal) if args.journal else None
    try:
        agent = Agent(keystore, unwrap_limit=args.unwrap_limit, journal=journal,
                      admin_uids=set(args.admin_uids) if args.admin_uids else None)
        server = KeydServer(args.socket, agent, allowed_uids=args.allow_uids, **_tls_options(args))
    except (OSError, ValueError, ssl.SSLError) as exc:
        if journal is not None:
            journal.close()
        raise SystemExit(f"keyd: {exc}") from None

    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    tcp = f" and tls://{args.listen}" if server.tcp_address else ""
    sys.stderr.write(f"keyd: listening on {server.socket_path}{tcp} (sealed)\n")
    sys.stderr.flush()
    while not stop.wait(0.5):
        pass
    agent.seal("keyd shutting down")  # wipes key buffers and flushes the journal
    server.shutdown()
    if journal is not None:
        journal.close()
    return 0
