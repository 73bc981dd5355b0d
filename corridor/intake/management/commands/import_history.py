from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from corridor.accounts.models import User
from corridor.crypto.context import acting_as
from corridor.intake.services.history import history_import

MAX_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import earlier records (a CSV, one row per person who contacted the organisation, with the date of "
        "each step; see docs/import.md) into the organisation of the coordinator named by --by. Every line is "
        "checked first; if any is wrong, nothing is imported and each problem is listed by line. --dry-run "
        "only checks and counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8 or Windows-1251)")
        parser.add_argument("--by", required=True, help="username of the coordinator importing")
        parser.add_argument("--dry-run", action="store_true", help="Only check and count; change nothing.")

    def handle(self, *args, file: str, by: str, dry_run: bool, **options):
        user = User.objects.filter(username=by, is_active=True).select_related("organisation").first()
        if user is None:
            raise CommandError(f"No active staff account {by!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError("The file is larger than 200 MB: split it.")
        data = path.read_bytes()
        with acting_as(f"user:{user.pk}"):
            try:
                with Progress(disable=not self.stdout.isatty()) as progress:
                    task = progress.add_task("Importing", total=None)
                    result = history_import(actor=user, data=data, dry_run=dry_run,
                                            progress=lambda done, total: progress.update(task, completed=done,
                                                                                         total=total))
            except PermissionDenied:
                raise CommandError(f"{by} cannot import: only coordinators decide on contacts.") from None
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        if result.errors:
            for line, problem in result.errors:
                self.stderr.write(f"line {line}: {problem}")
            raise CommandError(f"{len(result.errors)} problem(s) in {file}; nothing was imported.")
        furthest = ", ".join(f"{n} {stage}" for stage, n in sorted(result.furthest.items()))
        summary = (f"{result.rows} row(s): {result.contacts} contact(s), of whom {result.cases} became a case "
                   f"(furthest step: {furthest or 'none'}).")
        if dry_run:
            self.stdout.write(f"Dry run: {summary} Nothing was changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {summary} sha256 {result.digest}."))
