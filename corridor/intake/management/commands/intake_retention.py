from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from corridor.crypto.context import acting_as
from corridor.intake import conf
from corridor.intake.services.housekeeping import (
    contacts_erase_expired,
    receipts_expire,
    retention_candidates,
)


class Command(BaseCommand):
    help = (
        "Erase contacts that never became a case and had no activity for N days (default "
        "CORRIDOR_CONTACT_RETENTION_DAYS, 90): their data keys are destroyed, so nothing they held can be "
        "read again, and their files and sealed messages are deleted. Also deletes receipts unused for "
        "CORRIDOR_RECEIPT_EXPIRY_DAYS. `corridor serve` runs this every minute; use --dry-run to see what "
        "would be erased without changing anything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="Inactivity in days before erasure (default: the configured period).")
        parser.add_argument("--dry-run", action="store_true", help="Only count; change nothing.")

    def handle(self, *args, days: int | None, dry_run: bool, **options):
        days = conf.retention_days() if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        with acting_as("system:retention"):
            if dry_run:
                count = retention_candidates(days=days).count()
                self.stdout.write(f"Dry run: {count} contact(s) older than {days} days without a case would be "
                                  "erased. Nothing was changed.")
                return
            with Progress(disable=not self.stdout.isatty()) as progress:
                task = progress.add_task("Erasing contacts", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                result = contacts_erase_expired(days=days, progress=advance)
            expired = receipts_expire()
        self.stdout.write(self.style.SUCCESS(
            f"Erased {result.erased} contact(s) older than {days} days without a case; "
            f"deleted {expired} expired receipt(s)."))
