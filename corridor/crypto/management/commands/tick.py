from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.crypto.management.commands.serve import run_periodic


class Command(BaseCommand):
    help = ("Run the periodic jobs once (audit checkpoint, retention, expiry, sweeps, erasures to settle), "
            "as `corridor serve` does every minute; for a systemd timer when the services run separately.")

    def handle(self, *args, **options):
        failed = run_periodic()
        for job, exc in failed:
            self.stderr.write(f"periodic job {job} skipped: {exc.__class__.__name__}")
        self.stdout.write(f"Periodic jobs run; {len(failed)} skipped.")
