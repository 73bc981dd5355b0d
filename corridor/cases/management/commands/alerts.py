"""`corridor alerts`: raise alerts for missed check-ins and print the open ones.

Meant for cron (e.g. every five minutes, mailing its output to the duty phone):
it exits with status 1 while any missed check-in is open, so a monitoring job can
page someone. Output names pseudonym codes only, never a person: cron mail
crosses servers we do not control.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from corridor.accounts.models import Organisation
from corridor.cases.models import Alert
from corridor.cases.services import alerts_sweep
from corridor.crypto.context import acting_as


class Command(BaseCommand):
    help = (
        "Raise an alert for every overdue safety check-in, then list all open alerts (codes only). "
        "Exit status 1 when a missed check-in is open, 0 otherwise, for cron and monitoring."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Do not raise new alerts; only show what is open and what would be raised.")
        parser.add_argument("--organisation", metavar="SLUG", help="Only this organisation's alerts.")

    def handle(self, *args, dry_run: bool = False, organisation: str | None = None, **options):
        now = timezone.now()
        with acting_as("system:alerts"):
            new = alerts_sweep(now, dry_run=dry_run)
        open_alerts = Alert.objects.filter(resolved__isnull=True).select_related("case", "case__worker").order_by("raised")
        if organisation:
            org = Organisation.objects.filter(slug=organisation).first()
            if org is None:
                self.stderr.write(f"No organisation {organisation!r}.")
                sys.exit(2)
            open_alerts = open_alerts.filter(organisation=org)
            new = [c for c in new if c.organisation_id == org.pk]
        rows = list(open_alerts)
        if dry_run and new:
            self.stdout.write(f"Would raise {len(new)} new alert(s): " + ", ".join(c.code for c in new))
        elif new:
            self.stdout.write(f"Raised {len(new)} new alert(s).")
        if not rows and not (dry_run and new):
            self.stdout.write("No open alerts.")
            return
        self.stdout.write(f"{len(rows)} open alert(s):")
        for alert in rows:
            due = timezone.localtime(alert.due).strftime("%Y-%m-%d %H:%M %Z") if alert.due else "-"
            late = ""
            if alert.kind == Alert.Kind.MISSED_CHECKIN and alert.due:
                hours = int((now - alert.due).total_seconds() // 3600)
                late = f" ({hours} h overdue)"
            worker = alert.case.worker.username if alert.case.worker else "unassigned"
            self.stdout.write(f"  {alert.case.code:10} {alert.kind:15} due {due}{late}  worker: {worker}")
        missed = any(a.kind == Alert.Kind.MISSED_CHECKIN for a in rows) or (dry_run and bool(new))
        if missed:
            sys.exit(1)
