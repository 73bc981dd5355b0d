"""`corridor cases_recount`: check the running case totals against a full recount,
and repair them.

The services keep the totals in the same transaction as each change, so a
difference means someone wrote to the tables directly (a restore of part of a
dump, a hand-made fix, tampering). Exit status 1 when a difference was found, for
cron and monitoring; with `--dry-run` nothing is written.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from corridor.accounts.models import Organisation
from corridor.cases import summaries


class Command(BaseCommand):
    help = ("Recount cases per stage, worker and country and applications per country, compare with the "
            "running totals the board and lists read, and repair them. Exit status 1 when they differed.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only report the difference; write nothing.")
        parser.add_argument("--organisation", metavar="SLUG", help="Only this organisation's totals.")

    def handle(self, *args, dry_run: bool = False, organisation: str | None = None, **options):
        org_id = None
        if organisation:
            org = Organisation.objects.filter(slug=organisation).first()
            if org is None:
                self.stderr.write(f"No organisation {organisation!r}.")
                sys.exit(2)
            org_id = org.pk
        self.stdout.write("Recounting cases and applications…")
        diff = summaries.repair(org_id, dry_run=dry_run)
        if not diff:
            self.stdout.write("The totals match a full recount.")
            return
        verb = "would be corrected" if dry_run else "corrected"
        self.stdout.write(f"The totals differed from a full recount: {len(diff.tallies)} case total(s), "
                          f"{len(diff.days)} stage-day total(s), {len(diff.applications)} application total(s) "
                          f"{verb}.")
        for (_org, dim, key, stage, reached), delta in sorted(diff.tallies.items())[:20]:
            self.stdout.write(f"  {dim} {key or '-'} {stage} (reached {reached}): {delta:+d}")
        sys.exit(1)
