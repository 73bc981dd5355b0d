"""`corridor verify-bundle FILE --identity KEYFILE`: a thin wrapper around the
offline verifier, which needs no server and no database (see bundle_verify)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from corridor.evidence import bundle_verify


class Command(BaseCommand):
    help = (
        "Verify an evidence bundle offline: decrypt it with your age identity, check the signed "
        "checkpoint, the manifest, every custody entry's inclusion proof and every file's SHA-256. "
        "Names the item that was changed. Needs no server and no database."
    )
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="The .age bundle file.")
        parser.add_argument("--identity", "-i", required=True, help="Your age identity file (AGE-SECRET-KEY-1...).")
        parser.add_argument("--log-key", help="The log's verifier key as the organisation publishes it.")

    def handle(self, *args, bundle: str, identity: str, log_key: str | None, **options):
        try:
            identities = bundle_verify.read_identities(identity)
        except Exception as exc:  # unreadable file or a malformed key line
            raise CommandError(f"cannot read the identity: {exc}") from None
        report = bundle_verify.verify_bundle(bundle, identities, pinned_key=log_key)
        self.stdout.write(bundle_verify.render(report))
        if not report.ok:
            raise CommandError("the bundle did NOT verify", returncode=1)
