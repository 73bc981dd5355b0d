"""`corridor import_rates --org north rates.csv`: load exchange rates from a CSV
file with the columns date, currency, quote, rate (e.g. a central bank's table)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corridor.accounts.models import Organisation
from corridor.funds.services import rates_import


class Command(BaseCommand):
    help = ("Load exchange rates from a CSV file with the header date,currency,quote,rate "
            "(1 currency = rate quote from that date). All rows or none are saved; --dry-run only checks.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) with the columns date, currency, quote, rate.")
        parser.add_argument("--org", required=True, help="Slug of the organisation.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file without saving anything.")

    def handle(self, *args, file: str, org: str, dry_run: bool, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {org!r}.")
        path = Path(file)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        missing = {"date", "currency", "quote", "rate"} - set(rows[0] if rows else {})
        if missing:
            raise CommandError(f"The file needs the columns date, currency, quote, rate (missing: {sorted(missing)}).")
        try:
            count = rates_import(actor="system:command", organisation=organisation, rows=rows, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "would be saved (dry run)" if dry_run else "saved"
        self.stdout.write(self.style.SUCCESS(f"{count} rates {verb} for {organisation.slug}."))
