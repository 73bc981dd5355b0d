"""Security keys and passkeys (WebAuthn) as a second factor.

The server stores only what verifying needs: the credential's id, its public key
(COSE), the signature counter and the owner's name for it. No private key or shared
secret exists on the server, so a seized database holds nothing that signs in.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from corridor.accounts.permissions import Role


class WebAuthnCredential(Device):
    """One registered authenticator. A django-otp device, so a session signed in with
    it is "verified" exactly like one signed in with TOTP, and deleting it (or marking
    it unconfirmed after a suspected clone) ends every session it signed in."""

    # URLs name a key by this, never by the sequential id django-otp needs internally.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # base64url of the authenticator's credential id (public; sent by the browser).
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)  # COSE_Key, public
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    transports = models.CharField(max_length=100, blank=True, editable=False)
    # A passkey that may be synced to other devices (backup eligible) versus a key bound
    # to one piece of hardware; shown to the owner, who decides whether that is enough.
    backup_eligible = models.BooleanField(default=False, editable=False)
    # Set when a correctly signed assertion came with a counter that did not go up: two
    # copies of the key exist. The key is then refused until it is removed.
    clone_suspected = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["created"]

    @property
    def audit_id(self) -> str:
        return str(self.public_id)

    def verify_token(self, token) -> bool:  # django-otp's interface: never by typed token
        return False


class WebAuthnChallenge(models.Model):
    """A one-time challenge for one ceremony. Deleting the row is how it is spent, so
    one challenge verifies once however many requests race (the database decides)."""

    class Purpose(models.TextChoices):
        REGISTER = "register"
        SIGN_IN = "sign_in"
        REAUTH = "reauth"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    challenge = models.BinaryField()
    expires = models.DateTimeField(db_index=True)


class SecurityKeyRequirement(models.Model):
    """Members of this role in this organisation must sign in with a security key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "role"], name="one_key_requirement_per_role")]
