"""Audit event types: IntEnums with stable codes.

Codes are written into the Merkle log and must never change meaning. Each app owns
a range of a thousand codes and declares its enum in its own `events.py`, registered
here, so apps never edit one shared list:

    1000–1999 core (accounts, keys, audit)   2000 intake    3000 exposure
    4000 cases    5000 housing    6000 evidence    7000 funds    8000 reports
"""

from __future__ import annotations

from enum import IntEnum

_REGISTRY: dict[int, IntEnum] = {}
_RANGES: dict[type[IntEnum], range] = {}


def register(enum_cls: type[IntEnum], codes: range) -> type[IntEnum]:
    aliases = [name for name, member in enum_cls.__members__.items() if member.name != name]
    if aliases:  # IntEnum silently makes a repeated value an alias of the first name
        raise ValueError(f"{enum_cls.__name__}: {', '.join(aliases)} repeat another event's code")
    for member in enum_cls:
        if member.value not in codes:
            raise ValueError(f"{enum_cls.__name__}.{member.name}={member.value} is outside {codes}")
        if member.value in _REGISTRY and _REGISTRY[member.value] is not member:
            raise ValueError(f"audit code {member.value} is used twice")
        _REGISTRY[member.value] = member
    for other, other_range in _RANGES.items():
        if other is not enum_cls and set(other_range) & set(codes):
            raise ValueError(f"{enum_cls.__name__} overlaps {other.__name__}")
    _RANGES[enum_cls] = codes
    return enum_cls


def lookup(code: int) -> IntEnum | None:
    return _REGISTRY.get(code)


def label(code: int) -> str:
    member = lookup(code)
    return member.name.lower().replace("_", " ") if member else f"event {code}"


class CoreEvent(IntEnum):
    # accounts
    LOGIN_SUCCEEDED = 1001
    LOGIN_FAILED = 1002
    LOGIN_LOCKED = 1003
    LOGOUT = 1004
    SESSIONS_ENDED = 1005
    TOTP_ENROLLED = 1006
    TOTP_REPLAY_REFUSED = 1007
    USER_CREATED = 1010
    USER_UPDATED = 1011
    USER_DEACTIVATED = 1012
    USER_TOTP_RESET = 1013
    USER_PASSWORD_SET = 1014
    ORGANISATION_CREATED = 1020
    # security keys and passkeys (WebAuthn)
    WEBAUTHN_REGISTERED = 1050
    WEBAUTHN_REMOVED = 1051
    WEBAUTHN_SIGNED_IN = 1052
    WEBAUTHN_REFUSED = 1053
    WEBAUTHN_CLONE_SUSPECTED = 1054
    WEBAUTHN_REQUIREMENT_SET = 1055
    WEBAUTHN_KEYS_REMOVED_BY_ADMIN = 1056
    WEBAUTHN_CODE_REFUSED_KEY_REQUIRED = 1057
    ORGANISATION_TIME_ZONE_SET = 1021
    USER_TIME_ZONE_SET = 1015
    # keys
    KEYSTORE_CREATED = 1100
    UNSEALED = 1101
    SEALED = 1102
    UNSEAL_FAILED = 1103
    UNWRAP_CEILING_TRIPPED = 1104
    UNWRAP_CEILING_WARNED = 1108
    UNWRAP_CEILING_SUSPENDED = 1109
    ROOT_ROTATED = 1105
    DATA_KEYS_REWRAPPED = 1106
    DATA_KEY_DESTROYED = 1107
    # audit
    CHECKPOINT_SIGNED = 1200
    AUDIT_VERIFIED = 1201
    CHECKPOINT_REFUSED = 1202
    SIGNED_HEAD_RESET = 1203
    AUDIT_VERIFY_FAILED = 1204
    WITNESS_REFUSED = 1205
    ALERT_ACKNOWLEDGED = 1206
    DEMO_LOADED = 1300
    BACKUP_WRITTEN = 1301
    # second factors at rest, duress sign-in, recovery (corridor/accounts/duress.py, recovery.py)
    DURESS_SIGN_IN = 1400
    DURESS_PASSPHRASE_SET = 1401
    DURESS_PASSPHRASE_REMOVED = 1402
    DURESS_RESTRICTION_LIFTED = 1403
    RECOVERY_CODES_ISSUED = 1410
    RECOVERY_CODE_USED = 1411
    RECOVERY_CODE_REFUSED = 1412
    FACTOR_RESET_REQUESTED = 1420
    FACTOR_RESET_APPROVED = 1421
    FACTOR_RESET_CANCELLED = 1422
    TOTP_REPLACED = 1423
    RETENTION_RUN = 1302


register(CoreEvent, range(1000, 2000))
