from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm, Role, has_perm
from corridor.accounts.usernames import username_key


class Organisation(models.Model):
    """One organisation of the network this installation serves.

    The intake public key lets anonymous submissions be sealed while the server is
    sealed; its private half exists only wrapped by the root key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(unique=True, max_length=40)
    name = models.CharField(_("name"), max_length=200)
    code_prefix = models.CharField(
        _("pseudonym prefix"), max_length=3, default="K",
        help_text=_("Letter that starts the pseudonym codes of this organisation's people."),
    )
    intake_public_key = models.BinaryField(null=True, editable=False)
    intake_private_key = models.ForeignKey(
        "crypto.DataKey", null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Shown times and typed times use this zone unless a person chose their own.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        return self.get(username_key=username_key(username))


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(_("username"), max_length=64, unique=True)
    # NFKC + casefold of the username (corridor/accounts/usernames.py): what sign-in matches.
    username_key = models.CharField(max_length=256, unique=True, editable=False)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(_("language"), max_length=5, default="ru")
    # Empty: the organisation's zone.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    # Bumping the epoch ends every session of this account ("end all my sessions").
    session_epoch = models.PositiveIntegerField(default=0)
    is_demo = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        self.username_key = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    @property
    def principal(self) -> str:
        """How this account is named to the key agent and in the audit log."""
        return f"user:{self.id}"

    @property
    def keyd_principal(self) -> str:
        """The principal sent to the key agent: identity plus role, which picks the
        unwrap ceiling (corridor/keyd/policy.py). keyd cannot verify the role; it only
        lets it go down while it runs."""
        return f"{self.principal};role={self.role}"

    def can(self, perm: Perm | str) -> bool:
        return has_perm(self, Perm(perm))

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class LoginThrottle(models.Model):
    """Failed-login counter per submitted username, stored as a keyed hash.

    Keyed by what was typed, not by the client address: no IP is ever stored, and
    unknown usernames are throttled exactly like real ones, so the lock-out itself
    reveals nothing about which accounts exist.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    # Locks so far in this run of failures: the next lock lasts LOCK_SECONDS * 2**locks.
    locks = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True)
    updated = models.DateTimeField(default=timezone.now)


# Security keys live in their own module; imported here so Django registers them.
# Models kept in their own modules (imported here so Django registers them).
from corridor.accounts.duress import DuressPassphrase  # noqa: E402,F401
from corridor.accounts.recovery import FactorResetRequest, RecoveryCode  # noqa: E402,F401
from corridor.accounts.totp_store import TOTPSeed  # noqa: E402,F401
from corridor.accounts.webauthn_models import (  # noqa: E402, F401
    SecurityKeyRequirement,
    WebAuthnChallenge,
    WebAuthnCredential,
)
