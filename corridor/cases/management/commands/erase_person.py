from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corridor.accounts.models import User
from corridor.cases.models import ErasureRequest, Person
from corridor.cases.services.erasure import erasure_decide, erasure_plan, erasure_request
from corridor.crypto.context import acting_as


class Command(BaseCommand):
    help = (
        "Erase a person for good, with two people, as in the web interface: `request CODE --by USER "
        "--reason ...` shows what will go and records the request; `approve ID --by OTHER_USER` (a second "
        "coordinator or an administrator) erases; `decline ID --by OTHER_USER`."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["request", "approve", "decline"])
        parser.add_argument("target", help="the person's pseudonym code (request) or the request id")
        parser.add_argument("--by", required=True, help="username of the staff member acting")
        parser.add_argument("--reason", default="", help="why (request only)")
        parser.add_argument("--household", action="store_true", help="erase the household members too")
        parser.add_argument("--organisation", default="", help="organisation slug (request; if codes clash)")

    def handle(self, *args, action: str, target: str, by: str, reason: str, household: bool, organisation: str,
               **options):
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff account {by!r}.")
        with acting_as(f"user:{user.pk}"):
            try:
                if action == "request":
                    people = Person.objects.filter(code=target.upper(), organisation_id=user.organisation_id)
                    if organisation:
                        people = people.filter(organisation__slug=organisation)
                    person = people.first()
                    if person is None:
                        raise CommandError(f"No person {target!r} in {by}'s organisation.")
                    plan = erasure_plan(person, include_household=household)
                    req = erasure_request(actor=user, person=person, reason=reason, include_household=household)
                    counts = ", ".join(f"{v} {k}" for k, v in plan.counts().items())
                    self.stdout.write(f"Erasure {req.pk} requested; approval would erase: {counts} "
                                      f"({', '.join(p.code for p in plan.people)}).")
                    return
                req = ErasureRequest.objects.filter(pk=target, organisation_id=user.organisation_id).first()
                if req is None:
                    raise CommandError(f"No erasure request {target} in {by}'s organisation.")
                req = erasure_decide(actor=user, request=req, approve=action == "approve")
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Erasure {req.pk}: {req.get_status_display()}."))
