"""`corridor close_month --org north 2017-03`: close a month of the books."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corridor.accounts.models import Organisation
from corridor.funds.forms import MonthField
from corridor.funds.services import month_digest, period_close


class Command(BaseCommand):
    help = ("Close a month: its donations, expenses and rates can then never change, only be corrected in an "
            "open month. The closing and the month's fingerprint go to the audit log. --dry-run shows what "
            "would be closed.")

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month, as YYYY-MM.")
        parser.add_argument("--org", required=True, help="Slug of the organisation.")
        parser.add_argument("--dry-run", action="store_true", help="Show the month's counts without closing it.")

    def handle(self, *args, month: str, org: str, dry_run: bool, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {org!r}.")
        try:
            day = MonthField().clean(month)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if dry_run:
            digest, donations, expenses = month_digest(organisation, day)
            self.stdout.write(f"{day:%Y-%m}: {donations} donations, {expenses} expenses, fingerprint {digest} "
                              "(dry run: nothing closed).")
            return
        try:
            period = period_close(actor="system:command", organisation=organisation, month=day)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{day:%Y-%m} closed: {period.donations} donations, {period.expenses} expenses, "
            f"fingerprint {period.digest}."))
