"""One agent for several application hosts, over mutual TLS 1.3.

Each attack is tried as the attacker would: from the network, with whatever
certificate they could make or steal, asking the agent for something that would
show (an unwrap) or hurt (a seal). The agent must refuse before any request is
read: nothing comes back, and the agent is as it was.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from corridor.keyd import buckets as bk
from corridor.keyd.client import KeydClient
from corridor.keyd.errors import KeydUnavailable, UnwrapFailed
from corridor.keyd.protocol import encode_frame
from corridor.keyd.testing import RunningAgent, running_agent
from corridor.keyd.tls import client_context, load_allowed, make_certs, parse_address


@pytest.fixture
def kd_tls(tmp_path: Path) -> Iterator[RunningAgent]:
    with running_agent(tmp_path, tls_hosts=("a", "b")) as agent:
        yield agent


def _ads(n: int, tag: str = "p") -> list[bytes]:
    return [f"corridor/datakey/v1\x00{tag}{i}".encode() for i in range(n)]


def _address(kd: RunningAgent) -> tuple[str, int]:
    assert kd.tls_url
    return parse_address(kd.tls_url)


def _attack(kd: RunningAgent, ctx: ssl.SSLContext | None) -> bytes:
    """Connect (TLS with `ctx`, or plain TCP), send a seal request, and return every byte
    that comes back before the agent hangs up (or an SSL error ends it)."""
    raw = socket.create_connection(_address(kd), timeout=5)
    got = b""
    try:
        sock: socket.socket = raw
        if ctx is not None:
            try:
                sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            except (ssl.SSLError, OSError):
                return b""
        try:
            sock.sendall(encode_frame({"op": "seal", "reason": "attacker"}))
            sock.sendall(encode_frame({"op": "status"}))
        except (ssl.SSLError, OSError):
            return b""  # the agent hung up first
        while True:
            try:
                chunk = sock.recv(65536)
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            got += chunk
    finally:
        raw.close()
    return got


def _client_ctx(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(cafile=str(ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


def _self_signed(folder: Path, name: str = "a") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "self.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "self.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    return folder / "self.crt", folder / "self.key"


def _still_unsealed(kd: RunningAgent) -> None:
    assert kd.client.status()["sealed"] is False, "the attacker's seal request was served"


# ------------------------------------------------------------ what works


def test_a_host_with_its_certificate_wraps_and_another_unwraps(kd_tls: RunningAgent) -> None:
    a, b = kd_tls.tls_client("a"), kd_tls.tls_client("b")
    keys = [os.urandom(32) for _ in range(3)]
    ads = _ads(3)
    version, blobs = a.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    assert version == bk.BUCKETED
    # The one agent holds the one bucket table: B opens what A wrapped, and the Unix socket too.
    assert b.unwrap("w", [(blob, ad, 0) for blob, ad in zip(blobs, ads, strict=True)]) == keys
    assert kd_tls.client.unwrap("w", [(blobs[0], ads[0], 0)]) == keys[:1]
    with pytest.raises(UnwrapFailed):
        b.unwrap("w", [(blobs[0], ads[1], 0)])


def test_a_seal_from_any_host_seals_the_one_agent_for_all(kd_tls: RunningAgent) -> None:
    a, b = kd_tls.tls_client("a"), kd_tls.tls_client("b")
    _, [blob] = a.wrap("w", [(os.urandom(32), b"k")], erasable=True)
    b.seal("raid at host b")
    assert a.status()["sealed"] is True and kd_tls.client.status()["sealed"] is True
    with pytest.raises(Exception, match="sealed"):
        a.unwrap("w", [(blob, b"k", 0)])
    a.unseal_passphrase(kd_tls.passphrase or "")  # one unseal, from any host, reopens all
    assert b.status()["sealed"] is False


def test_erasure_on_one_host_holds_on_the_other(kd_tls: RunningAgent) -> None:
    """A erases a key; the old wrapped blob, kept by an attacker, no longer opens through B."""
    a, b = kd_tls.tls_client("a"), kd_tls.tls_client("b")
    keys = [os.urandom(32) for _ in range(4)]
    ads = _ads(4, "e")
    _, blobs = b.wrap("w", list(zip(keys, ads, strict=True)), erasable=True)
    kept = blobs[0]  # the copy lingering in a WAL frame or a replica
    bucket, _ = bk.parse_header(kept)
    gen = a.shred(bucket)
    _, moved = a.rewrap("w", [(blobs[i], ads[i], 0) for i in (1, 2, 3)], erasable=True)
    assert a.bucket_retire(bucket, gen) == [gen - 1]
    with pytest.raises(UnwrapFailed):
        b.unwrap("w", [(kept, ads[0], 0)])
    assert b.unwrap("w", [(m, ads[i], 0) for m, i in zip(moved, (1, 2, 3), strict=True)]) == keys[1:]
    with pytest.raises(UnwrapFailed):  # nor on the Unix socket: there is one bucket table
        kd_tls.client.unwrap("w", [(kept, ads[0], 0)])


def test_tls_peers_are_never_admins_when_admin_uids_are_set(tmp_path: Path) -> None:
    with running_agent(tmp_path, tls_hosts=("a",)) as kd:
        kd.agent.admin_uids = {os.getuid()}
        with pytest.raises(Exception, match="may not rotate"):
            kd.tls_client("a").rotate_root()


# ------------------------------------------------------------ attacks


def test_a_client_without_a_certificate_is_refused_before_any_request(kd_tls: RunningAgent) -> None:
    assert kd_tls.certs is not None
    assert b'"ok"' not in _attack(kd_tls, _client_ctx(kd_tls.certs.ca))
    _still_unsealed(kd_tls)


def test_a_self_signed_client_certificate_is_refused(kd_tls: RunningAgent, tmp_path: Path) -> None:
    assert kd_tls.certs is not None
    cert, key = _self_signed(tmp_path / "mallory")
    assert b'"ok"' not in _attack(kd_tls, _client_ctx(kd_tls.certs.ca, cert, key))
    _still_unsealed(kd_tls)


def test_a_certificate_from_another_ca_is_refused(kd_tls: RunningAgent, tmp_path: Path) -> None:
    """Another installation's certificates, even for the same host name."""
    assert kd_tls.certs is not None
    other = make_certs(tmp_path / "other", ["a"], ["127.0.0.1"])
    assert b'"ok"' not in _attack(kd_tls, _client_ctx(kd_tls.certs.ca, other.client_cert("a"), other.client_key("a")))
    _still_unsealed(kd_tls)
    wrong = KeydClient(kd_tls.tls_url or "",
                       tls=client_context(other.client_cert("a"), other.client_key("a"), kd_tls.certs.ca))
    with pytest.raises(KeydUnavailable):
        wrong.status()
    wrong.close()


def test_the_agents_own_certificate_is_no_client_certificate(kd_tls: RunningAgent) -> None:
    """Stolen from the key host, the server certificate (serverAuth only) opens nothing."""
    certs = kd_tls.certs
    assert certs is not None
    assert b'"ok"' not in _attack(kd_tls, _client_ctx(certs.ca, certs.server_cert, certs.server_key))
    _still_unsealed(kd_tls)


def test_a_revoked_host_is_refused_though_its_certificate_is_valid(tmp_path: Path) -> None:
    with running_agent(tmp_path, tls_hosts=("a", "b")) as kd:
        assert kd.certs is not None
        allowed = load_allowed(kd.certs.clients)
        kd.server.tls_allowed = {fp: h for fp, h in allowed.items() if h != "b"}  # b's line deleted
        assert kd.tls_client("a").status()["sealed"] is False
        with pytest.raises(KeydUnavailable):
            kd.tls_client("b").seal("revoked host")
        _still_unsealed(kd)


def test_plain_tcp_gets_nothing(kd_tls: RunningAgent) -> None:
    got = _attack(kd_tls, None)
    assert b'"ok"' not in got and b"sealed" not in got
    _still_unsealed(kd_tls)


def test_tls_1_2_is_refused(kd_tls: RunningAgent) -> None:
    certs = kd_tls.certs
    assert certs is not None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=str(certs.ca))
    ctx.load_cert_chain(str(certs.client_cert("a")), str(certs.client_key("a")))
    raw = socket.create_connection(_address(kd_tls), timeout=5)
    with pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    raw.close()
    _still_unsealed(kd_tls)


def test_the_application_refuses_an_impostor_agent(tmp_path: Path) -> None:
    """An impostor on the agent's address, with a certificate from its own CA, would
    collect the keys the application asks it to wrap: the client hangs up first."""
    with running_agent(tmp_path, tls_hosts=("a",)) as real, running_agent(tmp_path, tls_hosts=("a",)) as fake:
        assert real.certs is not None
        ctx = client_context(real.certs.client_cert("a"), real.certs.client_key("a"), real.certs.ca)
        impostor = KeydClient(fake.tls_url or "", tls=ctx)
        with pytest.raises(KeydUnavailable):
            impostor.wrap("w", [(os.urandom(32), b"k")])
        impostor.close()


def test_a_silent_peer_does_not_block_the_others(kd_tls: RunningAgent) -> None:
    """Connections that never start a handshake hold only their own thread."""
    idle = [socket.create_connection(_address(kd_tls), timeout=5) for _ in range(20)]
    try:
        assert kd_tls.tls_client("a").status()["sealed"] is False
    finally:
        for s in idle:
            s.close()


def test_certificate_files_are_private_and_never_overwritten(tmp_path: Path) -> None:
    certs = make_certs(tmp_path / "tls", ["a", "b"], ["keyd.internal", "10.0.0.5"])
    for path in (certs.folder / "ca.key", certs.server_key, certs.client_key("a"), certs.client_key("b")):
        assert os.stat(path).st_mode & 0o777 == 0o600, path
    assert os.stat(certs.folder).st_mode & 0o777 == 0o700
    assert sorted(load_allowed(certs.clients).values()) == ["a", "b"]
    server = x509.load_pem_x509_certificate(certs.server_cert.read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["keyd.internal"]
    with pytest.raises(ValueError, match="exists already"):
        make_certs(certs.folder, ["a"], [])
    make_certs(certs.folder, ["c"], [])  # a new host from the same CA
    assert sorted(load_allowed(certs.clients).values()) == ["a", "b", "c"]
    with pytest.raises(ValueError):
        make_certs(tmp_path / "bad", ["../x"], ["k"])


def test_a_listener_without_mutual_tls_is_refused(tmp_path: Path) -> None:
    from corridor.keyd.server import KeydServer

    with running_agent(tmp_path) as kd:
        loose = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no client certificates asked
        with pytest.raises(ValueError, match="mutual TLS"):
            KeydServer(kd.socket_path + "2", kd.agent, listen=("127.0.0.1", 0), tls=loose)
        with pytest.raises(ValueError, match="mutual TLS"):
            KeydServer(kd.socket_path + "2", kd.agent, listen=("127.0.0.1", 0))
