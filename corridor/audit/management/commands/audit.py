from __future__ import annotations

import base64
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import Progress

from corridor.audit import verified_state
from corridor.audit.checkpoint import CheckpointError
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditHead
from corridor.audit.services import (
    AlertError,
    SigningRefused,
    acknowledge_alert,
    make_checkpoint,
    record,
    signed_head_reset,
)
from corridor.audit.verify import OutsideHead, TailBound, outside_heads, verify_log
from corridor.crypto.context import acting_as
from corridor.crypto.keys import keyd
from corridor.keyd.errors import KeydError


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
        verify.add_argument("--against", action="append", default=[], metavar="FILE|URL", help=(
            "Also check consistency with checkpoints kept elsewhere: a file or http(s) address holding "
            "one or more signed checkpoints (a witness's copy, a court's copy, an older bundle's "
            "checkpoint.txt). May be given several times."))
        verify.add_argument("--since-checkpoint", action="store_true", help=(
            "Re-read only the entries after the newest checkpoint an earlier verification accepted "
            "(kept in CORRIDOR_AUDIT_VERIFIED_STATE); the stored tree at that size must still fold to "
            "its signed root. Falls back to a full verification when none was recorded. Keep the full "
            "verification as the daily job."))
        sub.add_parser("checkpoint", help="Sign a checkpoint of the current log.")
        reset = sub.add_parser("reset-head", help=(
            "Make the key agent forget the tree head it signed last (after a restore, or when its state "
            "file was lost). The next checkpoint is trusted as a first one: audited and alerted."))
        reset.add_argument("--reason", required=True, help="Why: recorded in the audit log.")
        ack = sub.add_parser("acknowledge", help=(
            "Acknowledge an open alert (its number is on `corridor status`): it leaves the audit page "
            "and the next occurrence raises a new one."))
        ack.add_argument("alert", type=int)
        ack.add_argument("--note", required=True, help="What was found and done (kept with the alert).")

    def handle(self, *args, action: str, **options):
        if action == "checkpoint":
            with acting_as("system:audit"):
                try:
                    cp = make_checkpoint()
                except SigningRefused as exc:
                    raise CommandError(f"The key agent refused to sign: {exc}") from None
            self.stdout.write(cp.note if cp else "Nothing new to sign.")
            return
        if action == "acknowledge":
            try:
                with acting_as("system:cli"):
                    acknowledge_alert(actor="system:cli", alert_id=options["alert"], note=options["note"])
            except AlertError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Alert {options['alert']} acknowledged.")
            return
        if action == "reset-head":
            if not options["reason"].strip():
                raise CommandError("A reason is required.")
            with acting_as("system:cli"):
                status = signed_head_reset(actor="system:cli", reason=options["reason"])
            self.stdout.write(self.style.WARNING(
                f"The key agent's signed head was reset ({status['signed_heads']['condition']}); "
                "the next checkpoint is trusted as a first one. This is in the audit log."))
            return
        from corridor.crypto.keys import log_public_key

        try:
            public_key, origin = log_public_key()
        except KeydError as exc:
            raise CommandError(f"The key agent does not answer, so the log key is unknown here: {exc}") from None
        outside = [h for spec in options["against"] for h in self._against(spec, public_key, origin)]
        pinned = self._pinned_head(origin)
        if pinned is not None:
            outside.append(pinned)
        head = AuditHead.objects.filter(id=1).first()
        total = head.size if head else 0
        tail = TailBound(settings.CORRIDOR_AUDIT_UNSIGNED_MAX_SECONDS, settings.CORRIDOR_AUDIT_UNSIGNED_MAX_ENTRIES,
                         time.time_ns() // 1000)
        kwargs = {"public_key": public_key, "origin": origin, "outside": outside, "tail": tail}
        if options["since_checkpoint"]:
            since = verified_state.load(origin)
            if since is None:
                self.stderr.write("No earlier verification is recorded: verifying the whole log.")
            else:
                kwargs["since"] = since
                total -= since.size
        if options["quiet"]:
            report = verify_log(**kwargs)
        else:
            with Progress(transient=True) as progress:
                task = progress.add_task("Verifying audit log", total=total)
                report = verify_log(**kwargs, progress=lambda n: progress.advance(task, n))
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(self.style.ERROR(f"FAIL: {problem.message}"))
            first = report.first_bad_seq
            with transaction.atomic():
                record(CoreEvent.AUDIT_VERIFY_FAILED, actor="system:cli", problems=len(report.problems),
                       first=report.problems[0].message[:300])
            raise CommandError("The audit log does NOT verify" + (f"; first bad entry: {first}" if first is not None else ""))
        since = kwargs.get("since")
        with transaction.atomic():
            record(CoreEvent.AUDIT_VERIFIED, actor="system:cli", entries=report.entries, checkpoints=report.checkpoints,
                   since=since.size if since else 0)
        verified_state.save(origin, report.newest_checkpoint)
        self.stdout.write(self.style.SUCCESS(
            (f"OK: entries {since.size}–{report.entries - 1} re-read, " if since else "OK: ")
            + f"{report.entries} entries, {report.checkpoints} signed checkpoints, all consistent"
            + (f"; {len(outside)} outside heads agree." if outside else ".")))

    def _against(self, spec: str, public_key: bytes, origin: str) -> list[OutsideHead]:
        if spec.startswith(("http://", "https://")):
            try:
                with urllib.request.urlopen(spec, timeout=30) as response:  # noqa: S310 -- scheme checked above
                    text = response.read(10 * 1024 * 1024).decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Could not read {spec}: {exc}") from None
        else:
            try:
                text = Path(spec).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Could not read {spec}: {exc}") from None
        try:
            return outside_heads(text, f"the checkpoint from {spec}", public_key=public_key, origin=origin)
        except (CheckpointError, TypeError) as exc:
            raise CommandError(f"{spec} does not hold checkpoints signed by this log's key: {exc}") from None

    def _pinned_head(self, origin: str) -> OutsideHead | None:
        """The head keyd signed last: out of the database's reach, so it must be in the log."""
        try:
            heads = keyd().status().get("signed_heads") or {}
        except KeydError:
            self.stderr.write("The key agent is not running: its signed head was not compared.")
            return None
        pinned = heads.get("heads", {}).get(origin)
        if heads.get("condition") != "ok" or not pinned:
            self.stderr.write(self.style.WARNING(
                f"The key agent's signed head is {heads.get('condition', 'unknown')}: not compared."))
            return None
        return OutsideHead("the key agent", pinned["size"], base64.b64decode(pinned["root"]))
