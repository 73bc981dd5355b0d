"""Writes for security keys: register, sign in, re-authenticate, remove, and the
per-role requirement. Each is atomic and writes its audit entry in the same
transaction; audit data names keys by their public id, never by the owner's label."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts import webauthn_ceremony as ceremony
from corridor.accounts.models import Organisation, User
from corridor.accounts.permissions import Role
from corridor.accounts.services import AccountError
from corridor.accounts.webauthn_ceremony import CeremonyRefused
from corridor.accounts.webauthn_models import (
    SecurityKeyRequirement,
    WebAuthnChallenge,
    WebAuthnCredential,
)
from corridor.audit.events import CoreEvent
from corridor.audit.services import record

CHALLENGE_SECONDS = 300
MAX_KEYS = 10
Purpose = WebAuthnChallenge.Purpose


# --- challenges -------------------------------------------------------------------
def challenge_issue(*, user: User, purpose: str) -> WebAuthnChallenge:
    """A fresh 32-byte challenge for one ceremony of this user (expired ones go)."""
    now = timezone.now()
    WebAuthnChallenge.objects.filter(expires__lte=now).delete()
    return WebAuthnChallenge.objects.create(
        user=user, purpose=purpose, challenge=secrets.token_bytes(32),
        expires=now + timedelta(seconds=CHALLENGE_SECONDS),
    )


def _challenge_spend(*, user: User, challenge_id, purpose: str) -> bytes:
    """Spend a challenge: only the request whose DELETE removed the row may use it,
    so a replayed or raced response finds nothing."""
    row = WebAuthnChallenge.objects.filter(
        pk=challenge_id, user=user, purpose=purpose, expires__gt=timezone.now()
    ).first() if challenge_id else None
    if row is None:
        raise CeremonyRefused("challenge")
    deleted = WebAuthnChallenge.objects.filter(pk=row.pk).delete()[0]
    if deleted != 1:
        raise CeremonyRefused("challenge")
    return bytes(row.challenge)


def _refused(*, user: User, reason: str, purpose: str, credential: WebAuthnCredential | None = None) -> None:
    with transaction.atomic():
        record(CoreEvent.WEBAUTHN_REFUSED, actor=user, organisation=str(user.organisation_id), obj=user,
               reason=reason, purpose=purpose, key=str(credential.public_id) if credential else "")


# --- registration ---------------------------------------------------------------------
def webauthn_credential_register(*, actor: User, challenge_id, response_json: str, name: str) -> WebAuthnCredential:
    name = (name or "").strip()[:64]
    if not name:
        raise AccountError(_("Give the key a name, so you can tell your keys apart."))
    try:
        challenge = _challenge_spend(user=actor, challenge_id=challenge_id, purpose=Purpose.REGISTER)
        new = ceremony.verify_registration(response_json=response_json, challenge=challenge)
    except CeremonyRefused as exc:
        _refused(user=actor, reason=exc.reason, purpose=Purpose.REGISTER)
        raise
    with transaction.atomic():
        # Lock the account row: two racing registrations cannot pass the limit together.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if WebAuthnCredential.objects.filter(user=actor).count() >= MAX_KEYS:
            raise AccountError(_("You have the most keys one account may have. Remove one first."))
        if WebAuthnCredential.objects.filter(credential_id=new.credential_id).exists():
            raise AccountError(_("This key is already registered."))
        credential = WebAuthnCredential.objects.create(
            user=actor, name=name, confirmed=True, credential_id=new.credential_id,
            public_key=new.public_key, sign_count=new.sign_count, transports=",".join(new.transports),
            backup_eligible=new.backup_eligible,
        )
        record(CoreEvent.WEBAUTHN_REGISTERED, actor=actor, organisation=str(actor.organisation_id),
               obj=credential, backup_eligible=new.backup_eligible)
    return credential


# --- assertions (sign-in and re-authentication) ----------------------------------
def _assert(*, user: User, challenge_id, response_json: str, purpose: str,
            excluding: WebAuthnCredential | None = None) -> WebAuthnCredential:
    credential = None
    try:
        challenge = _challenge_spend(user=user, challenge_id=challenge_id, purpose=purpose)
        raw_id = ceremony.assertion_credential_id(response_json)
        credential = WebAuthnCredential.objects.filter(
            user=user, credential_id=raw_id, confirmed=True, clone_suspected=False,
        ).first()
        if credential is None or (excluding is not None and credential.pk == excluding.pk):
            raise CeremonyRefused("unknown_key")
        assertion = ceremony.verify_assertion(
            response_json=response_json, challenge=challenge, public_key=bytes(credential.public_key)
        )
        if assertion.credential_id != credential.credential_id:
            raise CeremonyRefused("unknown_key")
    except CeremonyRefused as exc:
        _refused(user=user, reason=exc.reason, purpose=purpose, credential=credential)
        raise
    now = timezone.now()
    with transaction.atomic():
        rows = WebAuthnCredential.objects.filter(pk=credential.pk, clone_suspected=False)
        if assertion.sign_count == 0:
            # An authenticator without a counter (many passkeys): replay is stopped by
            # the one-time challenge alone. One that once counted must keep counting.
            advanced = rows.filter(sign_count=0).update(last_used=now)
        else:
            # Conditional UPDATE: the counter only moves forward, and only one request
            # can move it to a given value; a signed response that does not advance it
            # came from a second copy of the key.
            advanced = rows.filter(sign_count__lt=assertion.sign_count).update(
                sign_count=assertion.sign_count, last_used=now)
        if not advanced:
            # Unconfirming the device ends every session it signed in (django-otp
            # drops unconfirmed devices), the owner's and the clone's alike.
            WebAuthnCredential.objects.filter(pk=credential.pk).update(clone_suspected=True, confirmed=False)
            record(CoreEvent.WEBAUTHN_CLONE_SUSPECTED, actor=user, organisation=str(user.organisation_id),
                   obj=credential, counter=assertion.sign_count, stored=credential.sign_count, purpose=purpose)
        else:
            if purpose == Purpose.SIGN_IN:
                record(CoreEvent.WEBAUTHN_SIGNED_IN, actor=user, organisation=str(user.organisation_id),
                       obj=credential)
    if not advanced:
        raise CeremonyRefused("counter")
    credential.refresh_from_db()
    return credential


def webauthn_sign_in(*, user: User, challenge_id, response_json: str) -> WebAuthnCredential:
    """The second factor of a sign-in (the password was checked before)."""
    return _assert(user=user, challenge_id=challenge_id, response_json=response_json, purpose=Purpose.SIGN_IN)


def webauthn_reauthenticate(*, user: User, challenge_id, response_json: str,
                            excluding: WebAuthnCredential) -> WebAuthnCredential:
    """Proof with another key, now, before `excluding` may be removed."""
    return _assert(user=user, challenge_id=challenge_id, response_json=response_json, purpose=Purpose.REAUTH,
                   excluding=excluding)


# --- removal ------------------------------------------------------------------------
def webauthn_credential_remove(*, actor: User, credential: WebAuthnCredential, proof: str) -> None:
    """Remove one of the actor's own keys after a fresh proof with another factor
    (`proof` says which: "totp" or "key"). The last key of someone whose role needs
    one stays: they register a replacement first, or an administrator removes it."""
    if credential.user_id != actor.pk:
        raise AccountError(_("This is not your key."))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        usable = WebAuthnCredential.objects.filter(user=actor, confirmed=True).exclude(pk=credential.pk)
        if key_required(actor) and not usable.exists() and credential.confirmed:
            raise AccountError(_("Your role signs in with a security key. Register another key before removing this one."))
        deleted = WebAuthnCredential.objects.filter(pk=credential.pk).delete()[0]
        if deleted:
            record(CoreEvent.WEBAUTHN_REMOVED, actor=actor, organisation=str(actor.organisation_id),
                   obj=credential, proof=proof, clone_suspected=credential.clone_suspected)


def webauthn_keys_remove_by_admin(*, actor: User, user: User) -> int:
    """An administrator removes every key of a person who lost theirs; that person
    signs in with their code next and registers a new key."""
    with transaction.atomic():
        removed = WebAuthnCredential.objects.filter(user=user).delete()[0]
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        record(CoreEvent.WEBAUTHN_KEYS_REMOVED_BY_ADMIN, actor=actor, organisation=str(user.organisation_id),
               obj=user, removed=removed)
    return removed


# --- requirement by role ----------------------------------------------------------
def key_required(user: User) -> bool:
    return SecurityKeyRequirement.objects.filter(organisation_id=user.organisation_id, role=user.role).exists()


def security_key_requirement_set(*, actor: User, organisation: Organisation, roles) -> list[str]:
    wanted = sorted({r for r in roles if r in Role.values})
    with transaction.atomic():
        current = set(SecurityKeyRequirement.objects.filter(organisation=organisation).values_list("role", flat=True))
        SecurityKeyRequirement.objects.filter(organisation=organisation).exclude(role__in=wanted).delete()
        SecurityKeyRequirement.objects.bulk_create(
            [SecurityKeyRequirement(organisation=organisation, role=r) for r in wanted if r not in current]
        )
        if current != set(wanted):
            record(CoreEvent.WEBAUTHN_REQUIREMENT_SET, actor=actor, organisation=organisation, obj=organisation,
                   roles=wanted)
    return wanted


def code_refused_key_required(*, user: User) -> None:
    with transaction.atomic():
        record(CoreEvent.WEBAUTHN_CODE_REFUSED_KEY_REQUIRED, actor=user, organisation=str(user.organisation_id),
               obj=user)
