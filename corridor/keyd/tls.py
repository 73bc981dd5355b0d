"""The agent's network listener: mutual TLS 1.3, certificates from a private CA.

Several application hosts share one key agent, so they share its one bucket table
(the keystore rewrite that erases a key happens in one place) and one seal. The
agent keeps its Unix socket for the host it runs on and can also listen on TCP;
every TCP peer must present a client certificate issued by the installation's own
CA (made by `corridor keyd-certs`), and the application checks the agent's server
certificate against the same CA before it sends a single key to wrap.

Choices (docs/threat-model.md, "The agent's network listener"):

- TLS 1.3 only (`minimum_version`); OpenSSL's default 1.3 suites (AES-GCM and
  ChaCha20-Poly1305 with ephemeral ECDHE: forward secrecy for every unwrapped key
  that crosses the wire).
- ECDSA P-256 keys, SHA-256 signatures: supported by every OpenSSL the project runs
  on. The CA key signs certificates and nothing else (basicConstraints CA, path
  length 0, keyCertSign only); leaf certificates carry an extended key usage, so
  the server's certificate cannot be used as a client's and the reverse.
- A client is accepted when its chain ends at the CA *and*, if the agent was given
  an allow-list (`clients.txt`, one `name sha256-fingerprint` a line), its
  certificate's fingerprint is listed: one stolen host certificate is revoked by
  deleting its line and restarting the agent, without re-issuing the others.
- Private keys are written 0600 with O_EXCL: never over an existing file.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 825
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "agent.crt", "agent.key"
CLIENTS_FILE = "clients.txt"
HANDSHAKE_TIMEOUT = 10.0  # a peer that never finishes the handshake holds a thread this long at most

__all__ = [
    "CLIENTS_FILE", "CertSet", "client_context", "fingerprint", "load_allowed", "make_certs",
    "not_after", "parse_address", "server_context",
]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_public(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert_der: bytes) -> str:
    return hashlib.sha256(cert_der).hexdigest()


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def _leaf(ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, common: str, org: str,
          usage: x509.ObjectIdentifier, names: list[str], now: datetime.datetime, days: float = LEAF_DAYS
          ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common, org)).issuer_name(ca_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=False, crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(_san(names), critical=False))
    return builder.sign(ca_key, hashes.SHA256()), key


@dataclass(frozen=True)
class CertSet:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / CA_CERT

    @property
    def server_cert(self) -> Path:
        return self.folder / SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.folder / SERVER_KEY

    @property
    def clients(self) -> Path:
        return self.folder / CLIENTS_FILE

    def client_cert(self, host: str) -> Path:
        return self.folder / f"{host}.crt"

    def client_key(self, host: str) -> Path:
        return self.folder / f"{host}.key"


def _check_host_name(host: str) -> str:
    host = host.strip()
    if not host or not all(c.isalnum() or c in "-_." for c in host) or host.startswith("."):
        raise ValueError(f"host name {host!r}: use letters, digits, '-', '_' and '.' only")
    if host in {"ca", "agent"}:
        raise ValueError(f"host name {host!r} is reserved")
    return host


def make_certs(out: str | os.PathLike[str], hosts: list[str], server_names: list[str], *,
               org: str = "Corridor key agent", ca_days: float = CA_DAYS, leaf_days: float = LEAF_DAYS,
               now: datetime.datetime | None = None) -> CertSet:
    """A new CA in `out` (created 0700; refused if it holds a CA already), the agent's
    server certificate for `server_names`, and one client certificate per host. With
    an existing CA, only the missing host certificates are issued (adding a host).
    `ca_days`, `leaf_days` and `now` set the validity (tests of the expiry checks)."""
    folder = Path(out)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    certs = CertSet(folder)
    hosts = [_check_host_name(h) for h in hosts]
    if len(set(hosts)) != len(hosts):
        raise ValueError("a host is named twice")
    now = now or datetime.datetime.now(datetime.UTC)
    if certs.ca.exists():
        ca_cert = x509.load_pem_x509_certificate(certs.ca.read_bytes())
        ca_key = serialization.load_pem_private_key(certs.folder.joinpath(CA_KEY).read_bytes(), None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise ValueError("the CA key is not an ECDSA key")
        ca_name = ca_cert.subject
    else:
        if not server_names:
            raise ValueError("name the agent's address (--server-name) for its certificate")
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name(f"{org} CA", org)
        ca_cert = (x509.CertificateBuilder()
                   .subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=ca_days))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
        _write_private(folder / CA_KEY, _key_pem(ca_key))
        _write_public(certs.ca, _cert_pem(ca_cert))
        server, server_key = _leaf(ca_key, ca_name, "keyd", org, ExtendedKeyUsageOID.SERVER_AUTH,
                                   server_names, now, leaf_days)
        _write_private(certs.server_key, _key_pem(server_key))
        _write_public(certs.server_cert, _cert_pem(server))
    lines = []
    for host in hosts:
        if certs.client_cert(host).exists():
            raise ValueError(f"a certificate for host {host!r} exists already; revoke it first")
        cert, key = _leaf(ca_key, ca_name, host, org, ExtendedKeyUsageOID.CLIENT_AUTH, [host], now,
                          leaf_days)
        _write_private(certs.client_key(host), _key_pem(key))
        _write_public(certs.client_cert(host), _cert_pem(cert))
        lines.append(f"{host} {fingerprint(cert.public_bytes(serialization.Encoding.DER))}\n")
    with open(certs.clients, "a", encoding="ascii") as handle:
        handle.writelines(lines)
    os.chmod(certs.clients, 0o644)
    return certs


def not_after(path: str | os.PathLike[str]) -> datetime.datetime:
    """The end of a PEM certificate's validity (UTC)."""
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).not_valid_after_utc


def load_allowed(path: str | os.PathLike[str]) -> dict[str, str]:
    """clients.txt → {fingerprint: host name}. Blank lines and # comments are ignored."""
    allowed: dict[str, str] = {}
    for number, raw in enumerate(Path(path).read_text(encoding="ascii").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[1]) != 64 or any(c not in "0123456789abcdef" for c in parts[1]):
            raise ValueError(f"{path}:{number}: expected `host sha256-fingerprint`")
        allowed[parts[1]] = parts[0]
    return allowed


def _base(purpose: ssl.Purpose, ca: str | os.PathLike[str]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose is ssl.Purpose.CLIENT_AUTH else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET  # no resumption: every connection proves its key
    ctx.load_verify_locations(cafile=os.fspath(ca))
    return ctx


def server_context(cert: str | os.PathLike[str], key: str | os.PathLike[str],
                   ca: str | os.PathLike[str]) -> ssl.SSLContext:
    """The agent's side: its own certificate; peers must show one from `ca`."""
    ctx = _base(ssl.Purpose.CLIENT_AUTH, ca)
    ctx.load_cert_chain(os.fspath(cert), os.fspath(key))
    ctx.num_tickets = 0
    return ctx


def client_context(cert: str | os.PathLike[str], key: str | os.PathLike[str],
                   ca: str | os.PathLike[str]) -> ssl.SSLContext:
    """The application's side: its host certificate; the agent must show one from `ca`
    naming the address connected to (check_hostname)."""
    ctx = _base(ssl.Purpose.SERVER_AUTH, ca)
    ctx.check_hostname = True
    ctx.load_cert_chain(os.fspath(cert), os.fspath(key))
    return ctx


def parse_address(url: str) -> tuple[str, int]:
    """`tls://host:port` (or `host:port`, `[v6]:port`) → (host, port)."""
    rest = url[len("tls://"):] if url.startswith("tls://") else url
    if "://" in rest:
        raise ValueError(f"{url!r}: only tls:// addresses are supported for the agent")
    host, sep, port = rest.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{url!r}: expected tls://host:port")
    return host, int(port)
