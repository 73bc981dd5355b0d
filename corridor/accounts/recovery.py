"""Recovery with two people: one-time recovery codes, a second-factor reset that needs
two administrators, and self-service replacement of the authenticator app.

Recovery codes are 50 random bits each (ten characters of a 32-letter alphabet),
shown once and stored as HMAC-SHA256 digests under a key derived (HKDF-SHA256) from a
data key of the user's current set, which only the key agent can unwrap: a seized
database cannot even test a guess offline, and a sealed server cannot check one. A
code is spent by a conditional UPDATE (`used IS NULL`), so it signs in once however
many requests race. Issuing a new set destroys the old set's data key.

A lost factor without codes: one administrator asks for a reset, a *different*
administrator (neither of them the person concerned) approves it within
`RESET_VALID`; only then are the person's authenticators deleted (their seeds' keys
destroyed) and their sessions ended, and they enrol a new one at the next sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts import totp_store
from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto.models import DataKey

CODES_PER_SET = 10
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
RESET_VALID = timedelta(hours=72)


class RecoveryError(ValueError):
    """A user-correctable problem; the message is translatable and safe to show."""


class RecoveryCode(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="recovery_codes")
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    digest = models.BinaryField(max_length=32)
    created = models.DateTimeField(default=timezone.now)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "accounts"
        indexes = [models.Index(fields=["user", "used"])]


class FactorResetRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="factor_resets")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved = models.DateTimeField(null=True, blank=True)
    cancelled = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "accounts"
        ordering = ["-created"]

    @property
    def is_open(self) -> bool:
        return self.approved is None and self.cancelled is None and self.created > timezone.now() - RESET_VALID


# --- recovery codes ---------------------------------------------------------------
def normalise_code(typed: str) -> str:
    table = str.maketrans({"o": "0", "i": "1", "l": "1", "u": "v"})
    return "".join(ch for ch in typed.lower().translate(table) if ch in CODE_ALPHABET)


def _digest(user, dk: DataKey, code: str) -> bytes:
    from corridor.crypto.keys import data_key_bytes

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"corridor/recovery-code/v1").derive(data_key_bytes(dk))
    return hmac.new(key, f"{user.pk}\x00{code}".encode(), hashlib.sha256).digest()


def unused_count(user) -> int:
    return RecoveryCode.objects.filter(user=user, used__isnull=True).count()


def _discard(user) -> None:
    from corridor.crypto.keys import destroy_data_keys

    keys = list(DataKey.objects.filter(pk__in=RecoveryCode.objects.filter(user=user).values("data_key_id")))
    RecoveryCode.objects.filter(user=user).delete()
    if keys:
        destroy_data_keys(keys)


def recovery_codes_issue(*, actor, user) -> list[str]:
    """A fresh set, replacing any earlier one; the clear codes are returned once."""
    from corridor.crypto.keys import new_data_key

    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(10)) for _ in range(CODES_PER_SET)]
    with transaction.atomic():
        _discard(user)
        dk = new_data_key(scope=DataKey.Scope.OTHER)
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, data_key=dk, digest=_digest(user, dk, c))
                                          for c in codes])
        record(CoreEvent.RECOVERY_CODES_ISSUED, actor=actor, organisation=str(user.organisation_id), obj=user,
               count=len(codes))
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_code_use(*, user, code: str) -> bool:
    """Spend one code: True once, False for a wrong or already used one."""
    code = normalise_code(code)
    first = RecoveryCode.objects.filter(user=user).select_related("data_key").first()
    won = False
    if first is not None and len(code) == 10:
        digest = _digest(user, first.data_key, code)
        won = RecoveryCode.objects.filter(user=user, digest=digest, used__isnull=True).update(
            used=timezone.now()) == 1
    with transaction.atomic():
        record(CoreEvent.RECOVERY_CODE_USED if won else CoreEvent.RECOVERY_CODE_REFUSED, actor=user, obj=user,
               left=unused_count(user))
    return won


def enrol_fresh_totp(user) -> TOTPDevice:
    """After a recovery code: the old authenticators go, a new one is enrolled now."""
    with transaction.atomic():
        totp_store.devices_delete(TOTPDevice.objects.filter(user=user))
        return totp_store.device_create(user)


# --- the two-administrator reset ------------------------------------------------------
def factor_reset_request(*, actor, user) -> FactorResetRequest:
    if actor.pk == user.pk:
        raise RecoveryError(_("Another administrator must ask for a reset of your own second factor."))
    with transaction.atomic():
        open_ones = [r for r in FactorResetRequest.objects.select_for_update().filter(
            user=user, approved__isnull=True, cancelled__isnull=True) if r.is_open]
        if open_ones:
            raise RecoveryError(_("A reset is already waiting for a second administrator."))
        reset = FactorResetRequest.objects.create(user=user, requested_by=actor)
        record(CoreEvent.FACTOR_RESET_REQUESTED, actor=actor, organisation=str(user.organisation_id), obj=user,
               request=str(reset.pk))
    return reset


def factor_reset_approve(*, actor, reset: FactorResetRequest) -> None:
    from corridor.accounts.services import user_reset_totp

    with transaction.atomic():
        reset = FactorResetRequest.objects.select_for_update().select_related("user").get(pk=reset.pk)
        if not reset.is_open:
            raise RecoveryError(_("This reset request is no longer open."))
        if actor.pk in (reset.requested_by_id, reset.user_id):
            raise RecoveryError(_("A second administrator, other than the one who asked, must approve."))
        reset.approved_by, reset.approved = actor, timezone.now()
        reset.save(update_fields=["approved_by", "approved"])
        record(CoreEvent.FACTOR_RESET_APPROVED, actor=actor, organisation=str(reset.user.organisation_id),
               obj=reset.user, request=str(reset.pk), requested_by=reset.requested_by.principal)
        user_reset_totp(actor=actor, user=reset.user)


def factor_reset_cancel(*, actor, reset: FactorResetRequest) -> None:
    with transaction.atomic():
        reset = FactorResetRequest.objects.select_for_update().select_related("user").get(pk=reset.pk)
        if not reset.is_open:
            raise RecoveryError(_("This reset request is no longer open."))
        reset.cancelled = timezone.now()
        reset.save(update_fields=["cancelled"])
        record(CoreEvent.FACTOR_RESET_CANCELLED, actor=actor, organisation=str(reset.user.organisation_id),
               obj=reset.user, request=str(reset.pk))


def open_reset(user) -> FactorResetRequest | None:
    latest = FactorResetRequest.objects.filter(user=user).select_related("requested_by").first()
    return latest if latest and latest.is_open else None


# --- replacing one's own authenticator --------------------------------------------------
def totp_replacement_start(*, user) -> TOTPDevice:
    """A second, unconfirmed device; the current one keeps working until it is confirmed."""
    with transaction.atomic():
        totp_store.devices_delete(TOTPDevice.objects.filter(user=user, name=totp_store.REPLACEMENT_NAME))
        return totp_store.device_create(user, name=totp_store.REPLACEMENT_NAME)


def totp_replacement(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, name=totp_store.REPLACEMENT_NAME).first()


def totp_replacement_confirm(*, user, code: str) -> TOTPDevice | None:
    """A right code from the new app swaps it in and removes the old ones; None otherwise."""
    from corridor.accounts.services import totp_consume

    device = totp_replacement(user)
    if device is None:
        return None
    t = totp_store.match(device, code)
    if t is None or not totp_consume(device, t):
        return None
    with transaction.atomic():
        totp_store.devices_delete(TOTPDevice.objects.filter(user=user).exclude(pk=device.pk))
        TOTPDevice.objects.filter(pk=device.pk).update(name="default", confirmed=True)
        # Sessions verified with the old device end; the caller re-verifies this one.
        _users().filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        record(CoreEvent.TOTP_REPLACED, actor=user, obj=user)
    device.refresh_from_db()
    return device


def _users():
    from corridor.accounts.models import User

    return User.objects
