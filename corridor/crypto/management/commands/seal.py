from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto.keys import keyd
from corridor.keyd.errors import KeydError


class Command(BaseCommand):
    help = (
        "Seal the key agent now. Every worker stops decrypting within a second; public intake "
        "keeps accepting submissions. Unsealing needs the passphrase or a quorum of key shares."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reason", default="sealed from the command line", help="Why (kept in the audit log).")

    def handle(self, *args, reason: str, **options):
        try:
            keyd().seal(reason=reason)
        except KeydError as exc:
            raise CommandError(f"Could not reach the key agent: {exc}") from None
        with transaction.atomic():
            record(CoreEvent.SEALED, actor="system:cli", via="cli")
        self.stdout.write(self.style.WARNING("Sealed. Nothing can be decrypted until `corridor unseal`."))
