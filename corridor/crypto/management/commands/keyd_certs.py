from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from corridor.keyd.tls import make_certs, parse_address


class Command(BaseCommand):
    help = (
        "Make the certificates with which several application hosts share one key agent over mutual "
        "TLS 1.3: a private CA, the agent's certificate for the names it is reached by, and one client "
        "certificate per host. Run it on the key host; private keys are written 0600 and never "
        "overwritten. With an existing CA in --out, only new hosts' certificates are issued."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default=settings.CORRIDOR_KEYD_TLS_DIR,
                            help="Folder for the CA and certificates (default: CORRIDOR_KEYD_TLS_DIR).")
        parser.add_argument("--hosts", required=True,
                            help="Comma-separated names of the application hosts, e.g. app1,app2.")
        parser.add_argument("--server-name", action="append", default=[], dest="server_names",
                            help="A DNS name or IP address the hosts use to reach the agent (repeatable; "
                                 "default: the host part of CORRIDOR_KEYD_LISTEN).")

    def handle(self, *args, out, hosts, server_names, **options):
        names = list(server_names)
        if not names and settings.CORRIDOR_KEYD_LISTEN:
            names = [parse_address(settings.CORRIDOR_KEYD_LISTEN)[0]]
        host_list = [h.strip() for h in hosts.split(",") if h.strip()]
        if not host_list:
            raise CommandError("Name at least one host with --hosts.")
        try:
            certs = make_certs(out, host_list, names)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        folder = Path(certs.folder)
        self.stdout.write(self.style.SUCCESS(f"Certificates are in {folder}."))
        self.stdout.write(
            "On the key host keep ca.crt, ca.key (offline when not issuing), agent.crt, agent.key, clients.txt.\n"
            "Copy to each application host, into its CORRIDOR_KEYD_TLS_DIR (mode 0700, owned by the web user):")
        for host in host_list:
            self.stdout.write(f"  {host}: ca.crt, {host}.crt as client.crt, {host}.key as client.key")
        self.stdout.write("See docs/operations.md, \"Several application hosts\".")
