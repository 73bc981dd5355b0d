"""`corridor publish_report --org north --from 2017-01 --to 2017-12`: publish a
transparency report (HTML page and PDFs) for closed months."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from corridor.accounts.models import Organisation
from corridor.funds.forms import MonthField
from corridor.reports.presentation import present
from corridor.reports.services import publication_create, report_preview


class Command(BaseCommand):
    help = ("Publish the transparency report for the closed months FROM..TO in a currency. The figures pass "
            "disclosure control, are frozen, and appear at /transparency/ with PDFs in Russian and English. "
            "--dry-run prints the headline figures and publishes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organisation.")
        parser.add_argument("--from", dest="start", required=True, help="First month, YYYY-MM.")
        parser.add_argument("--to", dest="end", required=True, help="Last month, YYYY-MM.")
        parser.add_argument("--currency", default="USD", help="Currency of the report (default USD).")
        parser.add_argument("--dry-run", action="store_true", help="Compute and print, publish nothing.")

    def handle(self, *args, org: str, start: str, end: str, currency: str, dry_run: bool, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {org!r}.")
        try:
            first, last = MonthField().clean(start), MonthField().clean(end)
            if dry_run:
                snapshot = report_preview(organisation=organisation, start=first, end=last, currency=currency)
            else:
                publication = publication_create(actor="system:command", organisation=organisation, start=first,
                                                 end=last, currency=currency)
                snapshot = publication.data
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        with translation.override("en"):
            view = present(snapshot, "en")
        self.stdout.write(f"{view['organisation']} · {view['period']}: received {view['income_total']}, "
                          f"spent {view['spending_total']}, left the country: {view['headline_left_country']}.")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Published as {publication.pk} (fingerprint {publication.digest})."))
