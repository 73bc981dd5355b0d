"""`corridor retention [--dry-run]`: apply the retention rules now (see `corridor.web.retention`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.web import retention


class Command(BaseCommand):
    help = "Erase what the retention rules say is no longer needed; --dry-run only counts it."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")

    def handle(self, *args, dry_run: bool, **options):
        outcomes = retention.run(dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        for o in outcomes:
            done = o.due if dry_run else o.erased
            held = f", {o.held} held for a court filing" if o.held else ""
            self.stdout.write(f"{o.rule:<18} after {o.period:<10} {verb} {done} of {o.due} due{held}")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
