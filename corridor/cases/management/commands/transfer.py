"""`corridor transfer`: the case-transfer steps of the web pages, for scripts and
for installations driven from the shell. Every step calls the same service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corridor.accounts.models import Organisation, User
from corridor.cases.models import Case, Partner, Transfer
from corridor.cases.services import transfers
from corridor.crypto.context import acting_as


class Command(BaseCommand):
    help = (
        "Case transfer to another installation. `keys --organisation SLUG` prints this organisation's "
        "receiving age key and this installation's log key (give both to the partner); "
        "`partner-add --by ADMIN --name N --recipient age1... --log-key KEY`; "
        "`consent CASE --by USER --partner N --how written --on YYYY-MM-DD`; "
        "`request CASE --by USER --partner N --parts identity,documents,services,testimonies`; "
        "`approve ID --by OTHER_USER -o FILE` (a second coordinator) writes the package; "
        "`import FILE --by USER` checks it and opens the case under a new pseudonym."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["keys", "partner-add", "consent", "request", "approve", "import"])
        parser.add_argument("target", nargs="?", default="", help="case code, transfer id or package file")
        parser.add_argument("--by", default="", help="username of the staff member acting")
        parser.add_argument("--organisation", default="", help="organisation slug (keys)")
        parser.add_argument("--name", default="")
        parser.add_argument("--recipient", default="")
        parser.add_argument("--log-key", default="")
        parser.add_argument("--partner", default="", help="the partner's recorded name")
        parser.add_argument("--how", default="written")
        parser.add_argument("--on", default="")
        parser.add_argument("--parts", default="identity,documents,services,testimonies")
        parser.add_argument("-o", "--output", default="")

    def handle(self, *args, action: str, target: str, by: str, **o):
        from corridor.keyd.errors import KeydError

        try:
            self._handle(action, target, by, o)
        except KeydError as exc:
            raise CommandError(f"The key agent cannot do this ({exc.__class__.__name__}): start `corridor serve` "
                               "and unseal it first.") from None

    def _handle(self, action: str, target: str, by: str, o) -> None:
        if action == "keys":
            org = Organisation.objects.filter(slug=o["organisation"]).first()
            if org is None:
                raise CommandError(f"No organisation {o['organisation']!r}.")
            with acting_as("system:cli"):
                rk = transfers.receiving_key_ensure(actor="system:cli", organisation=org)
                self.stdout.write(f"recipient {rk.recipient}\nlog-key {transfers.own_log_key()}")
            return
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff account {by!r}.")
        with acting_as(f"user:{user.pk}"):
            try:
                self._act(action, target, user, o)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None

    def _partner(self, user, name: str) -> Partner:
        partner = Partner.objects.filter(organisation_id=user.organisation_id, name=name).first()
        if partner is None:
            raise CommandError(f"No partner {name!r} recorded for {user.username}'s organisation.")
        return partner

    def _case(self, user, code: str) -> Case:
        case = Case.objects.filter(organisation_id=user.organisation_id, code=code.upper()).first()
        if case is None:
            raise CommandError(f"No case {code!r} in {user.username}'s organisation.")
        return case

    def _act(self, action: str, target: str, user, o) -> None:
        if action == "partner-add":
            partner = transfers.partner_create(actor=user, name=o["name"], recipient=o["recipient"],
                                               log_key=o["log_key"])
            self.stdout.write(f"Partner {partner.name} recorded ({partner.pk}).")
        elif action == "consent":
            given = date.fromisoformat(o["on"]) if o["on"] else None
            consent = transfers.transfer_consent_record(actor=user, case=self._case(user, target),
                                                        partner=self._partner(user, o["partner"]), how=o["how"],
                                                        given_on=given)
            self.stdout.write(f"Consent {consent.pk} recorded.")
        elif action == "request":
            transfer = transfers.transfer_request(actor=user, case=self._case(user, target),
                                                  partner=self._partner(user, o["partner"]),
                                                  parts=[p.strip() for p in o["parts"].split(",") if p.strip()])
            self.stdout.write(f"transfer {transfer.pk}")
        elif action == "approve":
            transfer = Transfer.objects.filter(pk=target, organisation_id=user.organisation_id).first()
            if transfer is None or not o["output"]:
                raise CommandError("Give a transfer id of your organisation and -o FILE.")
            transfer = transfers.transfer_approve(actor=user, transfer=transfer)
            Path(o["output"]).write_bytes(transfers.transfer_download(actor=user, transfer=transfer))
            self.stdout.write(f"Package written to {o['output']} (sha256 {transfer.sha256}).")
        elif action == "import":
            receipt = transfers.transfer_import(actor=user, data=Path(target).read_bytes())
            self.stdout.write(f"Imported as {receipt.case_code}.")
