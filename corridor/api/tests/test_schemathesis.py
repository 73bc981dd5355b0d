"""Schemathesis against the live OpenAPI document of /api/v1/, as every role.

The document is fetched from the running application (WSGI, in-process), and
requests generated from it are sent with a write token of each role of the cast
(and with none). Every response must be no server error, have a documented status
and content type, match its schema, and hold nothing the role may not read: the
names of people in cases it cannot open, triage text for roles without triage,
violation titles for roles without evidence, and anything of the other
organisation. The default run is small (a few examples per operation and role);
`-m slow` runs a long one.

The stateful run follows the OpenAPI links the document declares (list → one,
create → read and update, contact → open a case → the case), so objects a role
creates are then read and changed by the same role, with the same checks.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

STATEFUL_EXAMPLES, STATEFUL_STEPS = 4, 6  # scenarios per role, steps per scenario (default run)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["anonymous", "alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor",
         "charlie", "partner_coordinator"]
MARKERS = {
    "alice_case": "Алиса Один", "bob_case": "Боб Два", "charlie_case": "Чарли Три",
    "contact": "They took my friend", "partner_contact": "Partner intake text",
    "event": "Detentions in Argun", "victim_name": "Test One",
}
# What each role may see of MARKERS (everything else must never appear).
VISIBLE = {
    "anonymous": set(), "alice": {"alice_case"}, "bob": {"bob_case"},
    "coordinator": {"alice_case", "bob_case", "contact"}, "operator": {"contact"}, "legal": {"event"},
    "finance": set(), "admin": set(), "auditor": set(), "charlie": {"charlie_case"},
    "partner_coordinator": {"charlie_case", "partner_contact"},
}


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept on the test's database connection (as Django's
    test client does) so each test's data is visible and rolled back."""
    from django.core.wsgi import get_wsgi_application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(cast, cases, world):
    from corridor.intake.services import contact_record

    contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what=MARKERS["contact"])
    contact_record(actor=cast.partner_coordinator, organisation=cast.other_org, channel="phone",
                   what=MARKERS["partner_contact"])
    return cast


def _runner(operation, role: str, headers: dict, examples: int, sent: list):
    forbidden = [text for key, text in MARKERS.items() if key not in VISIBLE[role]]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        sent.append(1)
        case.validate_response(response, checks=CHECKS, headers=headers)
        body = response.text
        if "json" in (response.headers.get("content-type") or [""])[0]:
            body = json.dumps(response.json(), ensure_ascii=False)
        leaked = [text for text in forbidden if text in body]
        assert not leaked, f"{role} got {leaked} from {case.method} {case.formatted_path}"

    return run


def _secret(cast, role: str, token_for) -> str:
    if role != "admin":
        return token_for(getattr(cast, role), write=True)
    # No scope can be given to an administrator's token; write one straight into the
    # database, as someone with write access to it could, holding every permission.
    from datetime import timedelta

    from django.utils import timezone

    from corridor.accounts.permissions import Perm
    from corridor.api import tokens
    from corridor.api.models import ApiToken

    secret = tokens.new_secret()
    ApiToken.objects.create(user=cast.admin, organisation=cast.org, name="forged", prefix=secret[:10],
                            digest=tokens.digest(secret), scopes=[p.value for p in Perm], write=True,
                            expires=timezone.now() + timedelta(days=1))
    return secret


def _fuzz(wsgi_app, cast, token_for, examples: int) -> int:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    sent: list = []
    for role in ROLES:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {_secret(cast, role, token_for)}"}
        for operation in operations:
            _runner(operation, role, headers, examples, sent)()
    return len(sent)


class _Steps:
    """What a stateful run did: (operation, status, reached by a link) per step."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, bool]] = []

    def linked_ok(self, label: str) -> int:
        return sum(1 for op, status, linked in self.rows if op == label and linked and status < 300)


def _machine(schema, role: str, headers: dict, steps: _Steps):
    forbidden = [text for key, text in MARKERS.items() if key not in VISIBLE[role]]

    class Machine(schema.as_state_machine()):
        def step(self, input):
            output = super().step(input)
            steps.rows.append((input.case.operation.label, output.response.status_code,
                               input.transition is not None and input.is_applied))
            return output

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=headers)
            body = response.text
            if "json" in (response.headers.get("content-type") or [""])[0]:
                body = json.dumps(response.json(), ensure_ascii=False)
            leaked = [text for text in forbidden if text in body]
            assert not leaked, f"{role} got {leaked} from {case.method} {case.formatted_path}"

    return Machine


def _fuzz_stateful(wsgi_app, cast, token_for, examples: int, step_count: int) -> _Steps:
    from schemathesis.generation.stateful.state_machine import release_state_machines

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    steps = _Steps()
    for role in ROLES:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {_secret(cast, role, token_for)}"}
        machine = _machine(schema, role, headers, steps)
        machine.run(settings=settings(max_examples=examples, stateful_step_count=step_count, deadline=None,
                                      database=None, derandomize=True, suppress_health_check=list(HealthCheck)))
        release_state_machines(machine)
    return steps


def test_the_api_survives_schemathesis_as_every_role(wsgi_app, fuzz_world, token_for):
    sent = _fuzz(wsgi_app, fuzz_world, token_for, examples=3)
    assert sent >= len(ROLES) * 20


@pytest.mark.slow
def test_the_api_survives_a_long_schemathesis_run(wsgi_app, fuzz_world, token_for):
    _fuzz(wsgi_app, fuzz_world, token_for, examples=60)


def test_stateful_runs_create_then_read_and_update_as_every_role(wsgi_app, fuzz_world, token_for):
    steps = _fuzz_stateful(wsgi_app, fuzz_world, token_for, examples=STATEFUL_EXAMPLES, step_count=STATEFUL_STEPS)
    assert len(steps.rows) >= len(ROLES) * STATEFUL_EXAMPLES
    # The links were followed, not just declared: something listed was then reached
    # through a link, with a successful answer.
    assert any(linked and status < 300 for _op, status, linked in steps.rows), steps.rows[:20]


@pytest.mark.slow
def test_a_long_stateful_run(wsgi_app, fuzz_world, token_for):
    _fuzz_stateful(wsgi_app, fuzz_world, token_for, examples=40, step_count=12)


def test_the_leak_check_would_see_a_leak(fuzz_world, token_for, api_client, cases):
    """The markers are really in the data: the coordinator's list shows both names
    that a case worker's must not."""
    listed = api_client(token_for(fuzz_world.coordinator)).get("/api/v1/cases").json()
    body = json.dumps(listed, ensure_ascii=False)
    assert MARKERS["alice_case"] in body and MARKERS["bob_case"] in body
    queue = api_client(token_for(fuzz_world.operator)).get("/api/v1/intake/contacts").json()
    assert MARKERS["contact"] in json.dumps(queue, ensure_ascii=False)
