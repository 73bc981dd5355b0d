from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from corridor.crypto.seal_signal import seal_everywhere
from corridor.keyd.errors import KeydError


class Command(BaseCommand):
    help = (
        "Seal the key agent now, on this host and every other host sharing the database. Every "
        "worker stops decrypting within a second; public intake "
        "keeps accepting submissions. Unsealing needs the passphrase or a quorum of key shares."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reason", default="sealed from the command line", help="Why (kept in the audit log).")

    def handle(self, *args, reason: str, **options):
        try:
            seal_everywhere(actor="system:cli", reason=reason, via="cli")
        except KeydError as exc:
            raise CommandError(f"Could not reach this host's key agent ({exc}); the other hosts were told "
                               "to seal.") from None
        self.stdout.write(self.style.WARNING(
            "Sealed, on every host that shares this database. Nothing can be decrypted until each "
            "host's agent is unsealed (`corridor unseal`)."))
