from __future__ import annotations

import importlib
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import Progress

from corridor.accounts import services
from corridor.accounts.models import Organisation
from corridor.accounts.permissions import Role
from corridor.audit.events import CoreEvent
from corridor.audit.services import make_checkpoint, record, signed_head_reset
from corridor.crypto.agent_session import agent_for_command
from corridor.crypto.context import acting_as
from corridor.keyd.keystore import create_keystore
from corridor.web.demo import DEMO_ORDER, DemoContext

ORGANISATIONS = [
    {"name": "Демо: Северный коридор", "slug": "north", "prefix": "K", "time_zone": "Europe/Moscow"},
    {"name": "Demo: Partner Shelter Network", "slug": "partner", "prefix": "P", "time_zone": "Europe/Berlin"},
]
# Two of some roles, so two-person rules (export approval, expense approval) can be tried.
ROLES = [Role.OPERATOR, Role.CASE_WORKER, Role.CASE_WORKER, Role.COORDINATOR, Role.COORDINATOR,
         Role.LEGAL, Role.FINANCE, Role.FINANCE, Role.ADMIN, Role.AUDITOR]


class Command(BaseCommand):
    help = (
        "Load a synthetic demo network: two organisations, staff of every role, and people and "
        "cases across all stages, made up with Faker in Russian and English. Sign-in details, "
        "authenticator keys included, go to var/demo-credentials.txt (readable only by you). "
        "Does nothing if demo data is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="How many cases to create (default 300).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed, for repeatable data.")

    def handle(self, *args, cases: int, seed: int, **options):
        if cases < 0 or cases > 2_000_000:
            raise CommandError("--cases must be between 0 and 2,000,000.")
        call_command("migrate", verbosity=0)
        var = Path(settings.VAR_DIR)
        passphrase_file = var / "demo-passphrase"
        keystore = Path(settings.CORRIDOR_KEYSTORE)
        new_keystore = not keystore.exists()
        if new_keystore:
            passphrase = "demo-" + secrets.token_urlsafe(18)
            _write_private(passphrase_file, passphrase + "\n")
            create_keystore(str(keystore), mode="passphrase", passphrase=passphrase,
                            log_origin=settings.CORRIDOR_LOG_ORIGIN)
        elif not passphrase_file.exists():
            raise CommandError("This installation was not created by `corridor demo`; refusing to add demo data.")
        if Organisation.objects.filter(slug__in=[o["slug"] for o in ORGANISATIONS]).exists():
            self.stdout.write("Demo data is already loaded.")
            return
        passphrase = passphrase_file.read_text(encoding="utf-8").strip()
        ctx = DemoContext(seed=seed, cases=cases)
        credentials: list[str] = []
        with agent_for_command(passphrase=passphrase), acting_as("system:demo"), Progress() as progress:
            tasks: dict[str, int] = {}
            # Wall time per step, printed at the end: a step runs from the previous
            # progress update (of any step) to its own last one.
            # The processor time of this process beside it (the shared machine's
            # load stretches the wall time, much less the processor time).
            spans: dict[str, list[float]] = {}
            started = tick = time.monotonic()
            cpu_tick = time.process_time()

            def advance(label: str, done: int, total: int) -> None:
                nonlocal tick, cpu_tick
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                    spans[label] = [tick, tick, cpu_tick, cpu_tick]
                progress.update(tasks[label], completed=done, total=total)
                tick = spans[label][1] = time.monotonic()
                cpu_tick = spans[label][3] = time.process_time()

            ctx.advance = advance
            if new_keystore:
                signed_head_reset(actor="system:demo", reason="new installation", new_installation=True)
            for spec in ORGANISATIONS:
                org = services.organisation_create(actor="system:demo", name=spec["name"], slug=spec["slug"],
                                                   code_prefix=spec["prefix"], time_zone=spec["time_zone"])
                ctx.organisations.append(org)
                ctx.staff[org.slug] = {}
                counts: dict[str, int] = {}
                for role in ROLES:
                    counts[role] = counts.get(role, 0) + 1
                    username = f"{org.slug}-{role.replace('_', '')}" + (str(counts[role]) if counts[role] > 1 else "")
                    password = "demo-" + secrets.token_urlsafe(9)
                    fake = ctx.fake_ru if org.slug == "north" else ctx.fake_en
                    user, device = services.user_create(
                        actor="system:demo", organisation=org, username=username, role=role, password=password,
                        display_name=fake.name(), language="ru" if org.slug == "north" else "en", is_demo=True,
                    )
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    ctx.staff[org.slug].setdefault(role, []).append(user)
                    from corridor.accounts.totp_store import secret_b32

                    secret = secret_b32(device)
                    credentials.append(f"{org.slug:8} {role:18} {username:24} {password:18} {secret}")
            for app in DEMO_ORDER:
                try:
                    module = importlib.import_module(f"corridor.{app}.demo")
                except ModuleNotFoundError:
                    continue
                module.populate(ctx)
            with transaction.atomic():
                record(CoreEvent.DEMO_LOADED, actor="system:demo", cases=cases, seed=seed)
            make_checkpoint()
        header = [
            "Corridor demo sign-ins (synthetic data). Keep this file private.",
            f"Sign in at http://{os.environ.get('CORRIDOR_BIND', '127.0.0.1:8000')}/staff/ ; the code comes from an "
            "authenticator app with the",
            "key below, or from `corridor totp USERNAME`.",
            "",
            f"{'org':8} {'role':18} {'username':24} {'password':18} authenticator key",
        ]
        _write_private(var / "demo-credentials.txt", "\n".join(header + credentials) + "\n")
        for label, (first, last, cpu_first, cpu_last) in spans.items():
            self.stdout.write(f"  {label}: {last - first:.1f} s (processor {cpu_last - cpu_first:.1f} s)")
        self.stdout.write(f"  total (after migrate): {time.monotonic() - started:.1f} s")
        self.stdout.write(self.style.SUCCESS(
            f"Demo loaded: {len(ctx.organisations)} organisations, {len(credentials)} staff, {cases} cases. "
            f"Sign-ins: {var / 'demo-credentials.txt'}"))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
