from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto.keys import keyd
from corridor.keyd.errors import BadUnseal, KeydError


class Command(BaseCommand):
    help = (
        "Unseal the running key agent. With a passphrase keystore you are asked for the passphrase; "
        "with key shares, each trustee types a share in turn until enough are given. A wrong "
        "passphrase or share changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--passphrase-file", help="Read the passphrase from this file instead of asking.")
        parser.add_argument("--share", action="append", default=[], help="A key share (may repeat).")

    def handle(self, *args, passphrase_file, share, **options):
        agent = keyd()
        try:
            status = agent.status()
        except KeydError as exc:
            raise CommandError(f"The key agent is not running ({exc}). Start it with `corridor serve`.") from None
        if not status["sealed"]:
            self.stdout.write("Already unsealed.")
            return
        try:
            if status["mode"] == "passphrase":
                secret = (Path(passphrase_file).read_text(encoding="utf-8").strip() if passphrase_file
                          else getpass.getpass("Passphrase: "))
                status = agent.unseal_passphrase(secret)
            else:
                shares = list(share)
                while status["sealed"]:
                    text = shares.pop(0) if shares else getpass.getpass(
                        f"Share ({status['shares_have']} of {status['shares_needed']} given): "
                    )
                    status = agent.unseal_share(text.strip())
        except BadUnseal as exc:
            with transaction.atomic():
                record(CoreEvent.UNSEAL_FAILED, actor="system:cli")
            raise CommandError(f"{exc.message} Nothing changed; the server stays sealed.") from None
        except (EOFError, KeyboardInterrupt):
            raise CommandError("Stopped. The server stays sealed.") from None
        with transaction.atomic():
            record(CoreEvent.UNSEALED, actor="system:cli", root_version=status["root_version"])
        self.stdout.write(self.style.SUCCESS("Unsealed."))
