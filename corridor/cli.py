"""The `corridor` command: one entry point for operators.

Each sub-command is a Django management command with its own plain-words `--help`;
this wrapper only prints the short list, prepares `var/`, and dispatches.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

COMMANDS: list[tuple[str, str]] = [
    ("init", "Set up a new installation or organisation: root key (passphrase or k-of-n shares) and the first administrator."),
    ("serve", "Start the key agent and the web server together; Ctrl-C stops both."),
    ("unseal", "Give the running key agent the passphrase or key shares so staff can work."),
    ("seal", "Seal the key agent at once: nothing can be decrypted until it is unsealed."),
    ("status", "Show whether the server is sealed, the key versions and the audit log size."),
    ("demo", "Load synthetic demo organisations, staff and cases (never real people)."),
    ("createuser", "Create a staff account and print its authenticator set-up."),
    ("audit", "Check the whole audit log (`audit verify`) or sign a checkpoint (`audit checkpoint`)."),
    ("rotate-root", "Make a new root key and re-wrap every data key under it (data is not re-encrypted)."),
    ("totp", "Print the current sign-in code of a demo account (demo installations only)."),
    ("backup", "Write an age-encrypted backup of the database, keystore and files."),
    ("tick", "Run the periodic jobs once (for a systemd timer; `serve` runs them itself)."),
    ("keyd-certs", "Make the CA and certificates with which several application hosts share one key agent (mutual TLS)."),
    ("watch-seal", "Seal this host when another host seals (for separately run services)."),
    ("restore", "Restore an age backup into an empty installation (--dry-run to check it first)."),
    ("verify-bundle", "Verify an evidence bundle offline: no server, no database needed."),
    ("alerts", "Report missed safety check-ins and other open alerts (for cron; non-zero exit when any)."),
    ("cases-recount", "Check the board's running case totals against a full recount and repair them (has --dry-run)."),
    ("retention", "Apply the retention rules: closed cases, old contacts, receipts, seized lists, delivered bundles (has --dry-run)."),
    ("intake_retention", "Erase contacts that never became a case after the retention period (has --dry-run)."),
    ("close_month", "Close a month of accounts; closed months can only be corrected by new entries."),
    ("import_rates", "Import exchange rates with their dates from a CSV file."),
    ("publish_report", "Publish the public transparency report for closed months."),
    ("transfer", "Transfer a case to a partner installation: keys, partner-add, consent, request, approve, import."),
    ("migrate", "Create or update the database tables."),
]
ALIASES = {"rotate-root": "rotate_root", "verify-bundle": "verify_bundle", "watch-seal": "watch_seal",
           "cases-recount": "cases_recount",
           "keyd-certs": "keyd_certs"}


def _usage() -> str:
    width = max(len(name) for name, _ in COMMANDS)
    lines = [
        "usage: corridor COMMAND [options]",
        "",
        "Corridor: case management, evidence and transparency for evacuation programmes.",
        "",
        "Commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS]
    lines += ["", "Run `corridor COMMAND --help` for the options of one command."]
    return "\n".join(lines)


def prepare_var() -> Path:
    """Create var/ (private) and a secret key on first use, unless one is configured."""
    var = Path(os.environ.get("CORRIDOR_VAR") or Path.cwd() / "var").resolve()
    for sub in ("", "run", "log", "tmp", "blobs"):
        (var / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = var / "secret-key"
    configured = os.environ.get("CORRIDOR_SECRET_KEY") or os.environ.get("CORRIDOR_SECRET_KEY_FILE")
    if not configured and not secret.exists():
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return var


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    prepare_var()
    from corridor.conf import ImproperSetting

    try:
        import django

        django.setup()
    except ImproperSetting as exc:
        print(f"corridor: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    name = ALIASES.get(argv[0], argv[0])
    execute_from_command_line(["corridor", name, *argv[1:]])


if __name__ == "__main__":
    main()
