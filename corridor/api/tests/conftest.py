from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from corridor.api.services import token_create


@pytest.fixture
def token_for():
    """`token_for(user, scope=None, write=False)` → the secret of a new token
    (every scope the role can give, unless `scope` says otherwise)."""
    from corridor.api import scopes

    def make(user, scope=None, *, write=False, days=30):
        if scope is None:
            scope = [p.value for p, _label, is_write in scopes.offered(user) if write or not is_write]
        _token, secret = token_create(actor=user, name="test", scope=[str(s) for s in scope], write=write, days=days)
        return secret

    return make


@pytest.fixture
def api_client():
    """`api_client(secret)` → a test client that sends `Authorization: Bearer <secret>`."""

    def make(secret: str | None = None):
        return Client(headers={"Authorization": f"Bearer {secret}"} if secret else {})

    return make


@pytest.fixture
def cases(cast):
    """Alice's case K-0001, Bob's K-0002, and Charlie's (other organisation) P-0001."""
    from corridor.cases import services

    def make(org, worker, name):
        person = services.person_create(actor="system:test", organisation=org,
                                        identity={"name_cyrillic": name, "name_latin": name})
        return services.case_open(actor="system:test", person=person, summary=f"summary of {name}", worker=worker)

    return SimpleNamespace(alice=make(cast.org, cast.alice, "Алиса Один"), bob=make(cast.org, cast.bob, "Боб Два"),
                           charlie=make(cast.other_org, cast.charlie, "Чарли Три"))


from corridor.evidence.tests.conftest import world  # noqa: E402, F401  (fixture)
