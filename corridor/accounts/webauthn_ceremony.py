"""The WebAuthn ceremonies, through py_webauthn (no hand-made verification).

Intent-named functions and one exception with a short, stable reason: what the
audit log records when a response is refused. The relying-party ID and the accepted
origins come from settings (CORRIDOR_WEBAUTHN_RP_ID, CORRIDOR_WEBAUTHN_ORIGINS).

Why an origin mismatch is the phishing case: the browser writes the origin of the
page that ran the ceremony into clientDataJSON, which the key signs. A look-alike
site can relay our challenge, but the signed origin is its own (and its RP ID hash
differs), so the assertion is refused here even though the key signed it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
    WebAuthnException,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Corridor"
TIMEOUT_MS = 120_000
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
MAX_RESPONSE_BYTES = 64 * 1024


class CeremonyRefused(Exception):
    """A response that must not be accepted; `reason` is short and stable."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NewCredential:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    transports: list[str]
    backup_eligible: bool


@dataclass(frozen=True)
class Assertion:
    credential_id: str  # base64url
    sign_count: int


def rp_id() -> str:
    return settings.CORRIDOR_WEBAUTHN_RP_ID


def origins() -> list[str]:
    return list(settings.CORRIDOR_WEBAUTHN_ORIGINS)


def _descriptors(credentials) -> list[PublicKeyCredentialDescriptor]:
    out = []
    for cred in credentials:
        transports = []
        for name in filter(None, cred.transports.split(",")):
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue
        out.append(PublicKeyCredentialDescriptor(id=base64url_to_bytes(cred.credential_id),
                                                 transports=transports or None))
    return out


def registration_options(*, user, challenge: bytes, existing) -> str:
    """Options JSON for navigator.credentials.create(). The user handle is the account's
    UUID, never its name; keys already registered are excluded, so one key is not
    registered twice."""
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=RP_NAME, user_name=user.username, user_id=user.pk.bytes,
        user_display_name=user.username, challenge=challenge, timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing), supported_pub_key_algs=ALGORITHMS,
    )
    return options_to_json(options)


def authentication_options(*, challenge: bytes, allowed) -> str:
    """Options JSON for navigator.credentials.get(), limited to the given keys."""
    options = generate_authentication_options(
        rp_id=rp_id(), challenge=challenge, timeout=TIMEOUT_MS, allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def _parse(response_json: str) -> dict:
    if not response_json or len(response_json) > MAX_RESPONSE_BYTES:
        raise CeremonyRefused("malformed")
    try:
        data = json.loads(response_json)
    except ValueError:
        raise CeremonyRefused("malformed") from None
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
        raise CeremonyRefused("malformed")
    return data


def _precheck(data: dict, *, kind: str, challenge: bytes) -> None:
    """Name the reason for the refusals an operator must tell apart (phishing above
    all); py_webauthn then checks everything again, these included."""
    try:
        client = parse_client_data_json(base64url_to_bytes(data["response"]["clientDataJSON"]))
    except Exception:
        raise CeremonyRefused("malformed") from None
    if client.type != kind:
        raise CeremonyRefused("type")
    if client.origin not in origins() or client.cross_origin:
        raise CeremonyRefused("origin")
    if client.challenge != challenge:
        raise CeremonyRefused("challenge")


def verify_registration(*, response_json: str, challenge: bytes) -> NewCredential:
    data = _parse(response_json)
    _precheck(data, kind="webauthn.create", challenge=challenge)
    try:
        verified = verify_registration_response(
            credential=data, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origins(), supported_pub_key_algs=ALGORITHMS,
        )
    except InvalidRegistrationResponse as exc:
        raise CeremonyRefused("rp_id" if "RP ID" in str(exc) else "invalid") from None
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise CeremonyRefused("malformed") from None
    transports = data["response"].get("transports") or []
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:6],
        backup_eligible=verified.credential_device_type == "multi_device",
    )


def assertion_credential_id(response_json: str) -> str:
    """Which key the browser says answered (to look it up); verified afterwards."""
    data = _parse(response_json)
    raw = data.get("rawId") or data.get("id")
    if not isinstance(raw, str) or not raw or len(raw) > 1400:
        raise CeremonyRefused("malformed")
    return raw


def verify_assertion(*, response_json: str, challenge: bytes, public_key: bytes) -> Assertion:
    """Check origin, RP ID, challenge, user presence and signature. The counter is
    not checked here: the caller advances it atomically (webauthn_services), which
    is what catches a clone even when two requests race."""
    data = _parse(response_json)
    _precheck(data, kind="webauthn.get", challenge=challenge)
    try:
        verified = verify_authentication_response(
            credential=data, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origins(), credential_public_key=public_key, credential_current_sign_count=0,
        )
    except InvalidAuthenticationResponse as exc:
        message = str(exc)
        if "RP ID" in message:
            raise CeremonyRefused("rp_id") from None
        if "signature" in message:
            raise CeremonyRefused("signature") from None
        if "present" in message:
            raise CeremonyRefused("presence") from None
        raise CeremonyRefused("invalid") from None
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise CeremonyRefused("malformed") from None
    return Assertion(credential_id=bytes_to_base64url(verified.credential_id), sign_count=verified.new_sign_count)
