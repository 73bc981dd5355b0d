from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import Progress

from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditHead
from corridor.audit.services import make_checkpoint, record
from corridor.audit.verify import verify_log
from corridor.crypto.context import acting_as
from corridor.keyd.keystore import load_keystore


class Command(BaseCommand):
    help = (
        "Audit log tools. `verify` recomputes every entry and the Merkle tree, checks each signed "
        "checkpoint and the consistency between them, and names the first entry that was altered, "
        "removed or reordered. `checkpoint` signs the current tree head (needs an unsealed agent)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check the whole log against its signed checkpoints.")
        verify.add_argument("--quiet", action="store_true", help="No progress bar.")
        sub.add_parser("checkpoint", help="Sign a checkpoint of the current log.")

    def handle(self, *args, action: str, **options):
        if action == "checkpoint":
            with acting_as("system:audit"):
                cp = make_checkpoint()
            self.stdout.write(cp.note if cp else "Nothing new to sign.")
            return
        keystore = load_keystore(settings.CORRIDOR_KEYSTORE)
        public_key = keystore.signing_public_key
        head = AuditHead.objects.filter(id=1).first()
        total = head.size if head else 0
        if options["quiet"]:
            report = verify_log(public_key=public_key, origin=keystore.log_origin)
        else:
            with Progress(transient=True) as progress:
                task = progress.add_task("Verifying audit log", total=total)
                report = verify_log(public_key=public_key, origin=keystore.log_origin,
                                    progress=lambda n: progress.advance(task, n))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(self.style.ERROR(f"FAIL: {problem.message}"))
            first = report.first_bad_seq
            raise CommandError("The audit log does NOT verify" + (f"; first bad entry: {first}" if first is not None else ""))
        with transaction.atomic():
            record(CoreEvent.AUDIT_VERIFIED, actor="system:cli", entries=report.entries, checkpoints=report.checkpoints)
        self.stdout.write(self.style.SUCCESS(
            f"OK: {report.entries} entries, {report.checkpoints} signed checkpoints, all consistent."))
