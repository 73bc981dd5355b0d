"""A software WebAuthn authenticator for tests: a P-256 key made with `cryptography`,
attestation "none", assertions signed by hand, the way py_webauthn's own tests build
their responses. It can lie the way an attacker's relay would: any origin, any RP ID,
any counter."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

UP, UV, BE, AT = 0x01, 0x04, 0x08, 0x40


class SoftAuthenticator:
    def __init__(self, *, rp_id: str = "localhost", origin: str = "http://localhost:8000",
                 counting: bool = True):
        self.rp_id, self.origin, self.counting = rp_id, origin, counting
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def clone(self) -> SoftAuthenticator:
        """A second copy of the same key, with its own counter (a cloned authenticator)."""
        twin = SoftAuthenticator(rp_id=self.rp_id, origin=self.origin, counting=self.counting)
        twin.key, twin.credential_id, twin.sign_count = self.key, self.credential_id, self.sign_count
        return twin

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
                          separators=(",", ":")).encode()

    def _auth_data(self, rp_id: str, flags: int, count: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count) + attested

    def create(self, options_json: str, *, origin: str | None = None, rp_id: str | None = None) -> str:
        options = json.loads(options_json)
        attested = (b"\x00" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + self.cose_key())
        auth_data = self._auth_data(rp_id or options["rp"]["id"], UP | UV | AT, self.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin or self.origin)
        return json.dumps({
            "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": bytes_to_base64url(client_data),
                         "attestationObject": bytes_to_base64url(attestation), "transports": ["usb"]},
        })

    def get(self, options_json: str, *, origin: str | None = None, rp_id: str | None = None,
            count: int | None = None, present: bool = True) -> str:
        options = json.loads(options_json)
        if count is None:
            if self.counting:
                self.sign_count += 1
            count = self.sign_count
        auth_data = self._auth_data(rp_id or options["rpId"], (UP if present else 0) | UV, count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
            "response": {"clientDataJSON": bytes_to_base64url(client_data),
                         "authenticatorData": bytes_to_base64url(auth_data),
                         "signature": bytes_to_base64url(signature)},
        })
