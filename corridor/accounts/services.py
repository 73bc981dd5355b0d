"""Writes for organisations, accounts, second factors and sessions."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.accounts.models import LoginThrottle, Organisation, User
from corridor.accounts.permissions import Role
from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto import context
from corridor.crypto.keys import keyd


class AccountError(ValueError):
    """A user-correctable problem; the message is translatable and safe to show."""


# --- organisations --------------------------------------------------------------
def organisation_create(*, actor, name: str, slug: str = "", code_prefix: str = "K") -> Organisation:
    """A new organisation with its own HPKE intake key pair.

    The private half is wrapped by the root key like any data key, so the agent must
    be unsealed; the public half lets intake seal submissions while sealed.
    """
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with transaction.atomic():
        org = Organisation.objects.create(
            name=name, slug=slug or slugify(name)[:40] or "org", code_prefix=code_prefix.upper()[:3],
            intake_public_key=raw_public,
        )
        dk = _wrap_intake_key(org, raw_private)
        org.intake_private_key = dk
        org.save(update_fields=["intake_private_key"])
        record(CoreEvent.ORGANISATION_CREATED, actor=actor, organisation=org, obj=org)
    return org


def _wrap_intake_key(org: Organisation, raw_private: bytes):
    from corridor.crypto.models import DataKey

    dk = DataKey(scope=DataKey.Scope.INTAKE, organisation=org, version=1, root_version=0)
    dk.root_version, (dk.wrapped,) = keyd().wrap(context.current_principal(), [(raw_private, dk.wrap_ad())])
    dk.save(force_insert=True)
    return dk


# --- users ----------------------------------------------------------------------
def user_create(
    *, actor, organisation: Organisation, username: str, role: str, password: str,
    display_name: str = "", language: str = "ru", is_demo: bool = False,
) -> tuple[User, TOTPDevice]:
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError(_("A username of 1 to 64 characters is required."))
    if role not in Role.values:
        raise AccountError(_("Unknown role %(role)s.") % {"role": role})
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(_("This username is taken."))
    user = User(username=username, organisation=organisation, role=role,
                display_name=display_name, language=language, is_demo=is_demo)
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
        record(CoreEvent.USER_CREATED, actor=actor, organisation=organisation, obj=user, role=role)
    return user, device


def user_update(*, actor, user: User, role: str | None = None, is_active: bool | None = None,
                display_name: str | None = None) -> User:
    changed: dict[str, str] = {}
    if role is not None and role != user.role:
        if role not in Role.values:
            raise AccountError(_("Unknown role %(role)s.") % {"role": role})
        changed["role"] = role
        user.role = role
    if display_name is not None and display_name != user.display_name:
        user.display_name = display_name
        changed["display_name"] = "changed"
    with transaction.atomic():
        if is_active is not None and is_active != user.is_active:
            if not is_active and user.pk == getattr(actor, "pk", None):
                raise AccountError(_("You cannot deactivate your own account."))
            user.is_active = is_active
            changed["active"] = str(is_active).lower()
            if not is_active:
                # A deactivated account loses every open session at once.
                user.session_epoch = F("session_epoch") + 1
        user.save()
        user.refresh_from_db()
        event = CoreEvent.USER_DEACTIVATED if is_active is False else CoreEvent.USER_UPDATED
        record(event, actor=actor, organisation=user.organisation_id and str(user.organisation_id),
               obj=user, **changed)
    return user


def user_set_password(*, actor, user: User, password: str) -> None:
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.session_epoch = F("session_epoch") + 1
        user.save(update_fields=["password", "session_epoch"])
        user.refresh_from_db(fields=["session_epoch"])
        record(CoreEvent.USER_PASSWORD_SET, actor=actor, organisation=str(user.organisation_id), obj=user)


def user_reset_totp(*, actor, user: User) -> TOTPDevice:
    """A fresh, unconfirmed second factor; the user enrols it at next login."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
        user.session_epoch = F("session_epoch") + 1
        user.save(update_fields=["session_epoch"])
        record(CoreEvent.USER_TOTP_RESET, actor=actor, organisation=str(user.organisation_id), obj=user)
    return device


def totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


def totp_verify(*, user: User, device: TOTPDevice, code: str) -> bool:
    """Check a code; django-otp remembers the last accepted time step, so a code that
    was already used (or an older one) is refused even inside its 30-second window."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    last_t = device.last_t
    ok = device.verify_token(code)
    with transaction.atomic():
        if ok:
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record(CoreEvent.TOTP_ENROLLED, actor=user, obj=user)
        elif last_t >= 0 and _is_replay(device, code, last_t):
            record(CoreEvent.TOTP_REPLAY_REFUSED, actor=user, obj=user)
    return ok


def _is_replay(device: TOTPDevice, code: str, last_t: int) -> bool:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    now_t = totp.t()
    for t in range(now_t - device.tolerance, now_t + device.tolerance + 1):
        totp_at = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        totp_at.time = device.t0 + t * device.step
        if t <= last_t and str(totp_at.token()).zfill(6) == code:
            return True
    return False


def end_all_sessions(*, actor, user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        record(CoreEvent.SESSIONS_ENDED, actor=actor, organisation=str(user.organisation_id), obj=user)


def user_suspend_for_unwraps(*, user: User, reason: str = "") -> None:
    """The key agent suspended this account for opening too many distinct keys:
    deactivate it (an administrator re-enables it after a look), end its sessions."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False, session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["is_active", "session_epoch"])
        record(CoreEvent.UNWRAP_CEILING_SUSPENDED, actor="system:keyd", organisation=str(user.organisation_id),
               obj=user, reason=reason[:200])


def ceiling_warning_record(*, principal: str) -> None:
    """keyd warned that a principal is opening many distinct keys: audit it for
    administrators (the error log gets a line too, see corridor.web.ceiling)."""
    identity = principal.partition(";role=")[0]
    user = None
    if identity.startswith("user:"):
        user = User.objects.filter(pk=identity[5:]).first()
    with transaction.atomic():
        record(CoreEvent.UNWRAP_CEILING_WARNED, actor="system:keyd",
               organisation=str(user.organisation_id) if user else "",
               obj=user, object_type="" if user else "principal", object_id="" if user else identity[:60])


def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES):
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


# --- login throttling ----------------------------------------------------------------
def _throttle_key(username: str) -> str:
    # A keyed hash, so the table does not list the names people tried.
    digest = hmac.new(settings.SECRET_KEY.encode(), username.strip().casefold().encode(), hashlib.sha256)
    return digest.hexdigest()


def login_locked(username: str) -> bool:
    row = LoginThrottle.objects.filter(key=_throttle_key(username)).first()
    return bool(row and row.locked_until and row.locked_until > timezone.now())


def login_failed(username: str, user: User | None) -> bool:
    """Count a failure; returns True when this failure locks the account name."""
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=_throttle_key(username))
        if row.locked_until and row.locked_until <= now:
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        locked = row.failures >= settings.CORRIDOR_LOGIN_MAX_FAILURES
        if locked:
            # Each further lock doubles, up to a day, so slow guessing stays slow.
            over = row.failures - settings.CORRIDOR_LOGIN_MAX_FAILURES
            seconds = min(settings.CORRIDOR_LOGIN_LOCK_SECONDS * (2 ** min(over, 6)), 86400)
            row.locked_until = now + timedelta(seconds=seconds)
        row.updated = now
        row.save()
        if user is not None:
            record(CoreEvent.LOGIN_LOCKED if locked else CoreEvent.LOGIN_FAILED, actor=user, obj=user)
    return locked


def login_succeeded(username: str, user: User) -> None:
    with transaction.atomic():
        LoginThrottle.objects.filter(key=_throttle_key(username)).delete()
        record(CoreEvent.LOGIN_SUCCEEDED, actor=user, obj=user)
