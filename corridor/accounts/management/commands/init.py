from __future__ import annotations

import getpass
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from corridor.accounts import services
from corridor.accounts.management.commands._enrol import enrolment_text
from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Role
from corridor.accounts.timezones import DEFAULT_ZONE, is_zone
from corridor.audit.events import CoreEvent
from corridor.audit.services import record, signed_head_reset
from corridor.crypto.agent_session import agent_for_command
from corridor.crypto.context import acting_as
from corridor.keyd.errors import KeydError
from corridor.keyd.keystore import create_keystore


class Command(BaseCommand):
    help = (
        "Set up Corridor. The first time, this creates the root key: either protected by a passphrase "
        "(--passphrase-file or asked), or split into key shares for trustees (--shamir 3-of-5), which "
        "are printed once and never stored. Then it creates an organisation and its first administrator. "
        "Run it again later to add another organisation of the network."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organisation's name.")
        parser.add_argument("--slug", default="", help="Short name used on the command line.")
        parser.add_argument("--prefix", default="K", help="Letter starting pseudonym codes (default K).")
        parser.add_argument("--admin", required=True, help="Username of the first administrator.")
        parser.add_argument("--admin-password-file", help="Read the administrator's password from this file.")
        parser.add_argument("--passphrase-file", help="Read the root passphrase from this file.")
        parser.add_argument("--shamir", metavar="K-of-N",
                            help="Split the root key into N shares of which K unseal, e.g. 3-of-5.")
        parser.add_argument("--time-zone", default=DEFAULT_ZONE,
                            help=f"The organisation's time zone, e.g. Europe/Berlin (default {DEFAULT_ZONE}). "
                                 "Pages show times in it; each person may choose their own.")
        parser.add_argument("--log-origin", default=settings.CORRIDOR_LOG_ORIGIN,
                            help="Name of this audit log in signed checkpoints.")

    def handle(self, *args, **o):
        if not is_zone(o["time_zone"]):
            raise CommandError(f"Unknown time zone {o['time_zone']!r}; use a name such as Europe/Moscow.")
        call_command("migrate", verbosity=0)
        keystore = Path(settings.CORRIDOR_KEYSTORE)
        passphrase = Path(o["passphrase_file"]).read_text(encoding="utf-8").strip() if o["passphrase_file"] else None
        shares: list[str] = []
        if not keystore.exists():
            shares = self._create_keystore(keystore, o, passphrase)
            if not shares and passphrase is None:
                raise CommandError("internal: passphrase missing")
        elif o["shamir"]:
            raise CommandError("A keystore already exists; --shamir only applies to a new installation.")
        password = (Path(o["admin_password_file"]).read_text(encoding="utf-8").strip()
                    if o["admin_password_file"] else _ask("Administrator password (12+ characters): "))
        try:
            with agent_for_command(passphrase=passphrase or self._passphrase_from_new, shares=shares or None), \
                    acting_as("system:init"):
                with transaction.atomic():
                    if shares or self._passphrase_from_new:
                        record(CoreEvent.KEYSTORE_CREATED, actor="system:init",
                               mode="shamir" if shares else "passphrase")
                    if Organisation.objects.filter(slug=o["slug"] or "-").exists():
                        raise CommandError(f"An organisation {o['slug']!r} already exists.")
                    org = services.organisation_create(actor="system:init", name=o["org"], slug=o["slug"],
                                                       code_prefix=o["prefix"], time_zone=o["time_zone"])
                    user, device = services.user_create(actor="system:init", organisation=org,
                                                        username=o["admin"], role=Role.ADMIN, password=password)
                    # The seed is only readable through the agent, which stops with this block.
                    enrolment = enrolment_text(device)
                if shares or self._passphrase_from_new:
                    # A new keystore has signed nothing: start keyd's signed-head record, on the record.
                    signed_head_reset(actor="system:init", reason="new installation", new_installation=True)
        except KeydError as exc:
            raise CommandError(f"The key agent refused: {exc}") from None
        except services.AccountError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Organisation {org.name} ({org.slug}, time zone {org.time_zone}) created with administrator {user.username}."))
        self.stdout.write(enrolment)
        self.stdout.write("Next: `corridor serve`, then `corridor unseal`.")

    _passphrase_from_new: str | None = None

    def _create_keystore(self, keystore: Path, o, passphrase: str | None) -> list[str]:
        keystore.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            if o["shamir"]:
                match = re.fullmatch(r"(\d+)-of-(\d+)", o["shamir"])
                if not match:
                    raise CommandError("--shamir must look like 3-of-5.")
                k, n = int(match.group(1)), int(match.group(2))
                shares = create_keystore(str(keystore), mode="shamir", threshold=k, shares=n,
                                         log_origin=o["log_origin"])
                self.stdout.write(self.style.WARNING(
                    f"Root key created. Give each of these {n} shares to a different trustee, in person. "
                    f"Any {k} of them unseal the server. They are shown once and stored nowhere:"))
                for share in shares:
                    self.stdout.write(f"  {share}")
                return shares
            if passphrase is None:
                passphrase = _ask("Root passphrase (12+ characters; write it down somewhere safe): ")
            create_keystore(str(keystore), mode="passphrase", passphrase=passphrase, log_origin=o["log_origin"])
            self._passphrase_from_new = passphrase
            self.stdout.write(self.style.SUCCESS(f"Root key created and sealed under the passphrase: {keystore}"))
            return []
        except ValueError as exc:
            raise CommandError(str(exc)) from None


def _ask(prompt: str) -> str:
    first = getpass.getpass(prompt)
    if first != getpass.getpass("Again: "):
        raise CommandError("The two entries differ; nothing was created.")
    return first
