from __future__ import annotations

import getpass
import shlex
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from corridor.audit.events import CoreEvent
from corridor.audit.services import record
from corridor.crypto.keys import keyd
from corridor.keyd.errors import BadUnseal, KeydError


class Command(BaseCommand):
    help = (
        "Unseal the running key agent. With a passphrase keystore you are asked for the passphrase; "
        "with key shares, each trustee types a share in turn until enough are given. A wrong "
        "passphrase or share changes nothing. With --all, the same passphrase or shares then "
        "unseal every other application host listed in CORRIDOR_HOSTS, each through its own "
        "command (normally ssh), from this one terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--passphrase-file", help="Read the passphrase from this file instead of asking.")
        parser.add_argument("--share", action="append", default=[], help="A key share (may repeat).")
        parser.add_argument("--stdin", action="store_true",
                            help="Read the passphrase, or one share per line, from standard input (used by --all).")
        parser.add_argument("--all", action="store_true", dest="all_hosts",
                            help="Also unseal every host in CORRIDOR_HOSTS with what was typed here.")

    def handle(self, *args, passphrase_file, share, stdin, all_hosts, **options):
        given: list[str] = list(share)
        if passphrase_file:
            given = [Path(passphrase_file).read_text(encoding="utf-8").strip()]
        if stdin:
            given += [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
        hosts = remote_hosts() if all_hosts else []
        if all_hosts and not hosts:
            raise CommandError("CORRIDOR_HOSTS lists no other host; nothing to do with --all.")
        used = self._unseal_here(given, interactive=not stdin, want_secrets=bool(hosts))
        if not hosts:
            return
        failed = []
        for name, command in hosts:
            ok, message = unseal_remote(command, used)
            self.stdout.write(f"{name}: {message}")
            if not ok:
                failed.append(name)
        if failed:
            raise CommandError(f"Not unsealed: {', '.join(failed)}. Those hosts stay sealed.")
        self.stdout.write(self.style.SUCCESS(f"Unsealed here and on {len(hosts)} other host(s)."))

    def _unseal_here(self, given: list[str], *, interactive: bool, want_secrets: bool) -> list[str]:
        """Unseal this host's agent; returns the secrets that did it (for the other hosts)."""
        agent = keyd()
        try:
            status = agent.status()
        except KeydError as exc:
            raise CommandError(f"The key agent is not running ({exc}). Start it with `corridor serve`.") from None
        if not status["sealed"]:
            self.stdout.write("Already unsealed here.")
            if want_secrets and not given:
                raise CommandError("This host is already unsealed, so what is typed cannot be checked here. "
                                   "Seal it first, or give the passphrase or shares with --stdin.")
            return given
        used: list[str] = []
        try:
            if status["mode"] == "passphrase":
                secret = given[0] if given else (getpass.getpass("Passphrase: ") if interactive else "")
                used = [secret]
                status = agent.unseal_passphrase(secret)
            else:
                pending = list(given)
                while status["sealed"]:
                    if not pending and not interactive:
                        raise BadUnseal("Not enough key shares were given.")
                    text = pending.pop(0) if pending else getpass.getpass(
                        f"Share ({status['shares_have']} of {status['shares_needed']} given): ")
                    status = agent.unseal_share(text.strip())
                    used.append(text.strip())
        except BadUnseal as exc:
            with transaction.atomic():
                record(CoreEvent.UNSEAL_FAILED, actor="system:cli")
            raise CommandError(f"{exc.message} Nothing changed; the server stays sealed.") from None
        except (EOFError, KeyboardInterrupt):
            raise CommandError("Stopped. The server stays sealed.") from None
        with transaction.atomic():
            record(CoreEvent.UNSEALED, actor="system:cli", root_version=status["root_version"])
        self.stdout.write(self.style.SUCCESS("Unsealed."))
        return used

def remote_hosts() -> list[tuple[str, list[str]]]:
    """CORRIDOR_HOSTS: `name=command; name=command`, each command running `corridor` on
    that host, e.g. `app2=ssh -T corridor@app2.internal /srv/corridor/.venv/bin/corridor`."""
    hosts = []
    for item in getattr(settings, "CORRIDOR_HOSTS", []):
        name, _, command = item.partition("=")
        if not name.strip() or not command.strip():
            raise CommandError(f"CORRIDOR_HOSTS entry {item!r} must look like name=command")
        hosts.append((name.strip(), shlex.split(command)))
    return hosts


def unseal_remote(command: list[str], secrets: list[str], timeout: int = 120) -> tuple[bool, str]:
    """Run `<command> unseal --stdin` and write the secrets to its standard input: never
    on a command line (visible in `ps`) nor in an environment."""
    try:
        done = subprocess.run([*command, "unseal", "--stdin"], input="\n".join(secrets) + "\n",
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"could not run ({exc.__class__.__name__})"
    lines = (done.stdout + done.stderr).strip().splitlines()
    message = lines[-1] if lines else f"exit {done.returncode}"
    return done.returncode == 0, message
