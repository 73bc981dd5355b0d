"""Encrypt the seeds django-otp kept in clear, then clear its column.

Runs through the key agent, which must be running and unsealed when there are
devices to move (a fresh installation has none, so `corridor init` is unaffected).
Uses the live models on purpose: the encryption lives in
`corridor.accounts.totp_store` and must be exactly what sign-in later opens.
Idempotent: a device that already has an encrypted seed is only re-cleared.
"""

from binascii import unhexlify

from django.db import migrations


def encrypt_seeds(apps, schema_editor):
    Historical = apps.get_model("otp_totp", "TOTPDevice")
    pending = list(Historical.objects.exclude(key="sealed-by-corridor").values_list("pk", "key"))
    if not pending:
        return
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from corridor.accounts import totp_store
    from corridor.crypto.context import acting_as
    from corridor.keyd.errors import KeydError

    try:
        with acting_as("system:migrate"):
            for pk, key in pending:
                device = TOTPDevice.objects.get(pk=pk)
                if not totp_store.TOTPSeed.objects.filter(device_id=pk).exists():
                    totp_store.store_seed(device, unhexlify(key.encode()))
                TOTPDevice.objects.filter(pk=pk).update(key=totp_store.SEALED_MARKER)
    except KeydError as exc:
        raise RuntimeError(
            f"{len(pending)} authenticator seed(s) must be encrypted and the key agent cannot do it "
            f"({exc.__class__.__name__}): start and unseal it (`corridor serve`, `corridor unseal`), "
            "then run `corridor migrate` again."
        ) from None


def refuse_to_decrypt(apps, schema_editor):
    # Going back would write seeds in clear again; re-enrol instead.
    raise RuntimeError("encrypted TOTP seeds are not written back in clear; reset the second factors instead")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_totp_seeds_encrypted")]

    operations = [migrations.RunPython(encrypt_seeds, refuse_to_decrypt)]
