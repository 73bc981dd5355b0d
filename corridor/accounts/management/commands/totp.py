from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from corridor.accounts import totp_store
from corridor.accounts.models import User
from corridor.accounts.services import totp_device
from corridor.accounts.usernames import username_key


class Command(BaseCommand):
    help = "Print the current six-digit sign-in code of a DEMO account, so the demo can be tried without a phone."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username_key=username_key(username)).first()
        if user is None or not user.is_demo:
            raise CommandError("Only demo accounts have codes printed here.")
        device = totp_device(user)
        self.stdout.write(totp_store.code_now(device))
