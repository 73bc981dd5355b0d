"""TOTP seeds encrypted at rest: only the key agent can open them.

django-otp keeps a TOTP seed in clear in `otp_totp_totpdevice.key`; a seized database
plus one stolen password would then be a working sign-in. Here the seed lives in
`TOTPSeed.sealed`, AES-256-GCM (`corridor.crypto.aead`) under a data key of its own
(one per device, wrapped by keyd under an erasure bucket like every data key), and
django-otp's column holds `SEALED_MARKER`, which is not hexadecimal: any code path
that would still read `device.bin_key` fails loudly instead of checking codes against
a known (empty) key.

Associated data binds the seed to its user and its device (see `seed_ad`): a
ciphertext, or a whole `TOTPSeed` row, moved to another person's device does not
authenticate, so an insider who knows their own seed cannot graft it onto a
colleague's account. A sealed server cannot unwrap the data key, so it cannot check
a code: sign-in stops at the sealed page, which is right, since nobody signs in to
a sealed server. Replacing or resetting a device destroys its data key, so old
copies of the seed (backups, WAL) no longer open either.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import uuid
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from corridor.crypto import aead
from corridor.crypto.errors import DecryptionError, StaleKeyVersion
from corridor.crypto.models import DataKey

log = logging.getLogger(__name__)
SEALED_MARKER = "sealed-by-corridor"  # not hex: bin_key raises instead of using it
SEED_BYTES = 20  # 160 bits, the RFC 4226 recommendation and django-otp's default
# A second device being set up by its owner (self re-enrolment) until its first code.
REPLACEMENT_NAME = "replacement"


class SeedMissing(LookupError):
    """The device has no encrypted seed: it cannot check codes (fail closed)."""


class TOTPSeed(models.Model):
    """The encrypted seed of one django-otp TOTP device."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.OneToOneField(TOTPDevice, on_delete=models.CASCADE, related_name="corridor_seed")
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    sealed = models.BinaryField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "accounts"


def seed_ad(*, user_id, device_id, dk: DataKey) -> bytes:
    """Associated data: user, device, data key and its version. Anything moved fails."""
    parts = ["corridor/totp-seed/v1", str(user_id), str(device_id), str(dk.pk), str(dk.version)]
    return "\x00".join(parts).encode("utf-8")


def _seal(device: TOTPDevice, seed: bytes, dk: DataKey) -> bytes:
    from corridor.crypto.keys import data_key_bytes

    return aead.encrypt(data_key_bytes(dk), seed, seed_ad(user_id=device.user_id, device_id=device.pk, dk=dk),
                        dk.version)


def store_seed(device: TOTPDevice, seed: bytes) -> TOTPSeed:
    """Encrypt `seed` for `device` under a fresh data key and clear django-otp's column."""
    from corridor.crypto.keys import new_data_key

    with transaction.atomic():
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=None)
        row = TOTPSeed.objects.create(device=device, data_key=dk, sealed=_seal(device, seed, dk))
        if device.key != SEALED_MARKER:
            device.key = SEALED_MARKER
            TOTPDevice.objects.filter(pk=device.pk).update(key=SEALED_MARKER)
    return row


def device_create(user, *, name: str = "default", confirmed: bool = False) -> TOTPDevice:
    """A new TOTP device with a fresh random seed, stored only encrypted."""
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed, key=SEALED_MARKER)
        store_seed(device, os.urandom(SEED_BYTES))
    return device


def devices_delete(queryset) -> int:
    """Delete devices and destroy their seeds' data keys (old copies stop opening)."""
    from corridor.crypto.keys import destroy_data_keys

    with transaction.atomic():
        ids = list(queryset.values_list("pk", flat=True))
        keys = list(DataKey.objects.filter(pk__in=TOTPSeed.objects.filter(device_id__in=ids).values("data_key_id")))
        TOTPDevice.objects.filter(pk__in=ids).delete()
        if keys:
            destroy_data_keys(keys)
    return len(ids)


def seed(device: TOTPDevice) -> bytes:
    """The clear seed, through the key agent (raises Sealed when sealed)."""
    from corridor.crypto.keys import data_key_bytes

    row = TOTPSeed.objects.select_related("data_key").filter(device_id=device.pk).first()
    if row is None:
        raise SeedMissing(f"TOTP device {device.pk} has no encrypted seed")
    dk = row.data_key
    return aead.decrypt(data_key_bytes(dk), bytes(row.sealed),
                        seed_ad(user_id=device.user_id, device_id=device.pk, dk=dk), dk.version)


def token_at(device: TOTPDevice, key: bytes, t: int) -> str:
    totp = TOTP(key, device.step, device.t0, device.digits, 0)
    totp.time = device.t0 + t * device.step
    return str(totp.token()).zfill(device.digits)


def match(device: TOTPDevice, code: str) -> int | None:
    """The time step (within the device's tolerance) whose code this is, or None."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != device.digits:
        return None
    try:
        key = seed(device)
    except (SeedMissing, DecryptionError, StaleKeyVersion) as exc:
        # A seed moved from another device or account, or altered: no code is right.
        log.error("TOTP device %s: its encrypted seed does not open (%s)", device.pk, exc.__class__.__name__)
        return None
    now_t = int((timezone.now().timestamp() - device.t0) // device.step)
    found = None
    for t in range(now_t - device.tolerance, now_t + device.tolerance + 1):
        if hmac.compare_digest(token_at(device, key, t), code):
            found = t
    return found


def code_now(device: TOTPDevice, at: float | None = None) -> str:
    """The current code (demo accounts' `corridor totp`, and tests acting as the phone)."""
    at = timezone.now().timestamp() if at is None else at
    return token_at(device, seed(device), int((at - device.t0) // device.step))


def secret_b32(device: TOTPDevice) -> str:
    return base64.b32encode(seed(device)).decode()


def config_url(device: TOTPDevice) -> str:
    """The otpauth:// URI for the enrolment QR code (django-otp's format)."""
    issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
    label = device.user.get_username()
    params = urlencode({"secret": secret_b32(device), "algorithm": "SHA1", "digits": device.digits,
                        "period": device.step})
    if issuer:
        label = f"{issuer}:{label}"
        params += f"&issuer={quote(issuer)}"
    return f"otpauth://totp/{quote(label)}?{params}"
