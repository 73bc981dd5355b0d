from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import Progress

from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto.context import acting_as
from corridor.crypto.keys import keyd, legacy_keys, rewrap_all
from corridor.keyd.errors import KeydError


class Command(BaseCommand):
    help = (
        "Create a new root key version in the running, unsealed agent and re-wrap every data key "
        "under it. Encrypted data is not touched. Safe to re-run if interrupted. With --retire, the "
        "old root versions are then deleted from the keystore."
    )

    def add_arguments(self, parser):
        parser.add_argument("--retire", action="store_true", help="Retire old versions when all keys moved.")

    def handle(self, *args, retire: bool, **options):
        agent = keyd()
        try:
            status = agent.status()
            if status["sealed"]:
                raise CommandError("The agent is sealed; run `corridor unseal` first.")
            status = agent.rotate_root()
        except KeydError as exc:
            raise CommandError(str(exc)) from None
        new_version = status["root_version"]
        # Bucketed keys move with their bucket keys inside the keystore; only keys
        # from before erasure buckets are re-wrapped (into buckets).
        total = legacy_keys().count()
        with acting_as("system:rotate-root"), Progress() as progress:
            task = progress.add_task("Moving data keys into erasure buckets", total=total)
            done = rewrap_all(progress=lambda n: progress.advance(task, n))
        with transaction.atomic():
            record(CoreEvent.ROOT_ROTATED, actor="system:cli", root_version=new_version, rewrapped=done)
        if retire:
            for version in status["root_versions"]:
                if version != new_version:
                    agent.retire_root(version)
        self.stdout.write(self.style.SUCCESS(f"Root key is now version {new_version}; {done} data keys re-wrapped."))
