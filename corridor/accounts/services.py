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

from corridor.accounts import totp_store
from corridor.accounts.models import LoginThrottle, Organisation, User
from corridor.accounts.permissions import Role
from corridor.accounts.timezones import is_zone
from corridor.accounts.usernames import username_key, username_skeleton
from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto import context
from corridor.crypto.keys import keyd


class AccountError(ValueError):
    """A user-correctable problem; the message is translatable and safe to show."""


# --- organisations --------------------------------------------------------------
def organisation_create(*, actor, name: str, slug: str = "", code_prefix: str = "K",
                        time_zone: str = "UTC") -> Organisation:
    """A new organisation with its own HPKE intake key pair.

    The private half is wrapped by the root key like any data key, so the agent must
    be unsealed; the public half lets intake seal submissions while sealed.
    """
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if not is_zone(time_zone):
        raise AccountError(_("Unknown time zone %(zone)s.") % {"zone": time_zone})
    with transaction.atomic():
        org = Organisation.objects.create(
            name=name, slug=slug or slugify(name)[:40] or "org", code_prefix=code_prefix.upper()[:3],
            intake_public_key=raw_public, time_zone=time_zone,
        )
        dk = _wrap_intake_key(org, raw_private)
        org.intake_private_key = dk
        org.save(update_fields=["intake_private_key"])
        record(CoreEvent.ORGANISATION_CREATED, actor=actor, organisation=org, obj=org)
    return org


def organisation_set_time_zone(*, actor, organisation: Organisation, time_zone: str) -> Organisation:
    """The zone every member sees unless they chose their own."""
    if not is_zone(time_zone):
        raise AccountError(_("Unknown time zone %(zone)s.") % {"zone": time_zone})
    with transaction.atomic():
        previous = Organisation.objects.select_for_update().get(pk=organisation.pk).time_zone
        Organisation.objects.filter(pk=organisation.pk).update(time_zone=time_zone)
        organisation.time_zone = time_zone
        record(CoreEvent.ORGANISATION_TIME_ZONE_SET, actor=actor, organisation=organisation, obj=organisation,
               previous=previous, time_zone=time_zone)
    return organisation


def user_set_time_zone(*, actor, user: User, time_zone: str) -> User:
    """A person's own zone; empty means the organisation's."""
    if time_zone and not is_zone(time_zone):
        raise AccountError(_("Unknown time zone %(zone)s.") % {"zone": time_zone})
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(time_zone=time_zone)
        user.time_zone = time_zone
        record(CoreEvent.USER_TIME_ZONE_SET, actor=actor, organisation=str(user.organisation_id), obj=user,
               time_zone=time_zone or "organisation")
    return user


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
    skeleton = username_skeleton(username)
    if User.objects.filter(username_key=username_key(username)).exists() or any(
            username_skeleton(u) == skeleton for u in User.objects.values_list("username", flat=True).iterator()):
        raise AccountError(_("This username is taken, or looks too much like one that is."))
    user = User(username=username, organisation=organisation, role=role,
                display_name=display_name, language=language, is_demo=is_demo)
    validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        device = totp_store.device_create(user)
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
        totp_store.devices_delete(TOTPDevice.objects.filter(user=user))
        device = totp_store.device_create(user)
        user.session_epoch = F("session_epoch") + 1
        user.save(update_fields=["session_epoch"])
        record(CoreEvent.USER_TOTP_RESET, actor=actor, organisation=str(user.organisation_id), obj=user)
    return device


def totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user).exclude(name=totp_store.REPLACEMENT_NAME).order_by("pk").first()
    if device is None:
        device = totp_store.device_create(user)
    return device


def user_by_username(typed: str) -> User | None:
    """The one sign-in lookup: exact match on the normalised key (usernames.py)."""
    return User.objects.filter(username_key=username_key(typed)).select_related("organisation").first()


def totp_match(device: TOTPDevice, code: str) -> int | None:
    """The time step (within the device's tolerance) whose code this is, or None.
    The seed is opened through the key agent: a sealed server raises Sealed."""
    return totp_store.match(device, code)


def totp_consume(device: TOTPDevice, t: int) -> bool:
    """Accept time step t once: a conditional UPDATE of the last used step, so one
    code signs in once however many requests race (the database decides)."""
    won = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=t).update(last_t=t) == 1
    if won:
        device.last_t = t
    return won


def totp_verify(*, user: User, device: TOTPDevice, code: str) -> bool:
    """Check a code; the last accepted time step is remembered atomically, so a code
    that was already used (or an older one) is refused even inside its window."""
    t = totp_match(device, code)
    if t is None:
        return False
    ok = totp_consume(device, t)
    with transaction.atomic():
        if ok:
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record(CoreEvent.TOTP_ENROLLED, actor=user, obj=user)
        else:
            record(CoreEvent.TOTP_REPLAY_REFUSED, actor=user, obj=user)
    return ok


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
# Keyed by the look-alike skeleton of what was typed (usernames.py), never by address.
# CORRIDOR_LOGIN_MAX_FAILURES wrong attempts lock the name for LOCK_SECONDS; after
# that each single further failure locks it again for twice as long as the last
# lock (up to a day). The count is forgotten only after a day without failures
# once the last lock has ended, or at a successful sign-in. While a name is locked,
# sign-in needs the password and the code together (one form, one generic answer),
# so guessing never locks the owner out; see docs/threat-model.md for the bound.
FORGET_AFTER = timedelta(days=1)


def _throttle_key(username: str) -> str:
    # A keyed hash, so the table does not list the names people tried.
    digest = hmac.new(settings.SECRET_KEY.encode(), username_skeleton(username).encode(), hashlib.sha256)
    return digest.hexdigest()


def login_locked(username: str) -> bool:
    row = LoginThrottle.objects.filter(key=_throttle_key(username)).first()
    return bool(row and row.locked_until and row.locked_until > timezone.now())


def login_failed(username: str, user: User | None) -> bool:
    """Count a failure; returns True when this failure locks the account name."""
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=_throttle_key(username))
        if row.locked_until and row.locked_until > now:
            locked = False  # a failure while locked (password + code together): counted, lock unchanged
        else:
            if (row.locked_until or row.updated) <= now - FORGET_AFTER:
                row.failures, row.locks = 0, 0
            row.failures += 1
            locked = row.failures >= settings.CORRIDOR_LOGIN_MAX_FAILURES
            if locked:
                seconds = min(settings.CORRIDOR_LOGIN_LOCK_SECONDS * 2 ** min(row.locks, 16), 86400)
                row.locked_until = now + timedelta(seconds=seconds)
                row.locks += 1
        row.updated = now
        row.save()
        if user is not None:
            record(CoreEvent.LOGIN_LOCKED if locked else CoreEvent.LOGIN_FAILED, actor=user, obj=user)
    return locked


def login_succeeded(username: str, user: User, *, audit: bool = True) -> None:
    """`audit=False` for a duress sign-in, which has its own entry (DURESS_SIGN_IN)."""
    with transaction.atomic():
        LoginThrottle.objects.filter(key=_throttle_key(username)).delete()
        if audit:
            record(CoreEvent.LOGIN_SUCCEEDED, actor=user, obj=user)


def login_with_both(username: str, password: str, code: str) -> tuple[User, TOTPDevice, bool] | None:
    """Password and code in one attempt (required while the name is locked). The code
    is checked first, and only a right code earns the Argon2 password check, so a
    flood of guesses costs little; a right code is spent even if the password is
    wrong, so one code buys at most one password guess. The answer never says which
    of the two was wrong."""
    user = user_by_username(username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user and user.is_active else None
    t = totp_match(device, code) if device is not None else None
    if t is None or not totp_consume(device, t):
        return None
    from corridor.accounts.duress import password_kind

    kind = password_kind(user, password)  # the password and the duress passphrase, both checked
    return (user, device, kind == "duress") if kind else None
