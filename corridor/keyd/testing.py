"""A real keyd (keystore, socket server, journal) for tests, started in a thread.

Keep this API stable: other apps' fixtures use it.

    with running_agent(tmp_path) as kd:
        version, [wrapped] = kd.client.wrap("test", [(key, b"case:1")])

Argon2 parameters are deliberately tiny here; never copy them to production.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .agent import Agent
from .client import KeydClient
from .journal import Journal
from .keystore import create_keystore, load_keystore
from .server import KeydServer
from .tls import CertSet, client_context, load_allowed, make_certs, server_context

FAST_KDF = {"time_cost": 1, "memory_cost_kib": 1024, "parallelism": 1}


@dataclass
class RunningAgent:
    client: KeydClient
    socket_path: str
    keystore_path: str
    journal_path: str
    shares: list[str]
    agent: Agent
    server: KeydServer
    passphrase: str | None = None
    certs: CertSet | None = None  # with tls_hosts: the CA, the agent's and each host's certificate
    tls_url: str | None = None  # tls://127.0.0.1:<port> of the TLS listener
    _extra_clients: list[KeydClient] = field(default_factory=list, repr=False)

    def new_client(self, timeout: float = 5.0) -> KeydClient:
        """Another client (e.g. a second worker); closed when the agent stops."""
        client = KeydClient(self.socket_path, timeout=timeout)
        self._extra_clients.append(client)
        return client

    def tls_client(self, host: str, timeout: float = 5.0) -> KeydClient:
        """A client on the TLS listener with `host`'s certificate; closed when the agent stops."""
        assert self.certs is not None and self.tls_url is not None
        ctx = client_context(self.certs.client_cert(host), self.certs.client_key(host), self.certs.ca)
        client = KeydClient(self.tls_url, timeout=timeout, tls=ctx)
        self._extra_clients.append(client)
        return client

    def flush_journal(self) -> None:
        self.agent.journal.flush()


@contextmanager
def running_agent(
    tmp_dir: str | os.PathLike[str], *, mode: str = "passphrase",
    passphrase: str = "correct horse battery staple",  # noqa: S107 -- test-only default
    threshold: int = 2, shares: int = 3,
    unseal: bool = True, unwrap_limit: int = 3000, log_origin: str = "corridor.test/audit",
    allow_uids: Collection[int] | None = None, tls_hosts: Collection[str] = (),
    tls_allow_list: bool = True,
) -> Iterator[RunningAgent]:
    """Create a keystore under tmp_dir, serve it on a short /tmp socket path, optionally unseal.
    With tls_hosts, also make a CA and certificates for those hosts and listen with mutual
    TLS on a free loopback port (with the clients.txt allow-list unless tls_allow_list is False)."""
    work = tempfile.mkdtemp(prefix="keyd-", dir=os.fspath(tmp_dir))
    keystore_path = os.path.join(work, "keystore.json")
    journal_path = os.path.join(work, "journal.jsonl")
    if mode == "passphrase":
        share_texts = create_keystore(keystore_path, mode=mode, passphrase=passphrase,
                                      log_origin=log_origin, kdf_params=FAST_KDF)
    else:
        share_texts = create_keystore(keystore_path, mode=mode, threshold=threshold, shares=shares,
                                      log_origin=log_origin)
    # AF_UNIX paths are limited to ~107 bytes: pytest's tmp_path is often longer.
    sock_dir = tempfile.mkdtemp(prefix="kd", dir="/tmp")
    socket_path = os.path.join(sock_dir, "s")
    journal = Journal(journal_path)
    agent = Agent(load_keystore(keystore_path), unwrap_limit=unwrap_limit, journal=journal)
    certs = None
    tls_options: dict = {}
    if tls_hosts:
        certs = make_certs(os.path.join(work, "tls"), list(tls_hosts), ["127.0.0.1", "localhost"])
        tls_options = {"listen": ("127.0.0.1", 0),
                       "tls": server_context(certs.server_cert, certs.server_key, certs.ca),
                       "tls_allowed": load_allowed(certs.clients) if tls_allow_list else None}
    server = KeydServer(socket_path, agent, allowed_uids=allow_uids, **tls_options)
    server.start()
    running = RunningAgent(
        client=KeydClient(socket_path), socket_path=socket_path, keystore_path=keystore_path,
        journal_path=journal_path, shares=share_texts, agent=agent, server=server,
        passphrase=passphrase if mode == "passphrase" else None, certs=certs,
        tls_url=f"tls://127.0.0.1:{server.tcp_address[1]}" if server.tcp_address else None,
    )
    try:
        if unseal:
            if mode == "passphrase":
                agent.unseal_passphrase(passphrase)
            else:
                for share in share_texts[:threshold]:
                    agent.unseal_share(share)
        yield running
    finally:
        running.client.close()
        for client in running._extra_clients:
            client.close()
        agent.seal("test agent stopped")
        server.shutdown()
        journal.close()
        shutil.rmtree(sock_dir, ignore_errors=True)
