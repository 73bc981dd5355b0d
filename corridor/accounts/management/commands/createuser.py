from __future__ import annotations

import getpass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corridor.accounts import services
from corridor.accounts.management.commands._enrol import enrolment_text
from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Role
from corridor.keyd.errors import KeydError


class Command(BaseCommand):
    help = (
        "Create a staff account in an organisation and print its authenticator set-up. "
        f"Roles: {', '.join(Role.values)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--org", required=True, help="The organisation's short name (slug).")
        parser.add_argument("--name", default="", help="Display name.")
        parser.add_argument("--password-file", help="Read the password from this file instead of asking.")

    def handle(self, *args, username, role, org, name, password_file, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No organisation {org!r} (known: {known}).")
        password = (Path(password_file).read_text(encoding="utf-8").strip() if password_file
                    else _ask_password())
        try:
            user, device = services.user_create(actor="system:cli", organisation=organisation,
                                                username=username, role=role, password=password, display_name=name)
        except services.AccountError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except KeydError as exc:  # the new seed is encrypted through the agent
            raise CommandError(f"The key agent must be running and unsealed: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({Role(role).label}) in {organisation}."))
        self.stdout.write(enrolment_text(device))


def _ask_password() -> str:
    first = getpass.getpass("Password (12+ characters): ")
    if first != getpass.getpass("Again: "):
        raise CommandError("The two passwords differ; nothing was created.")
    return first
