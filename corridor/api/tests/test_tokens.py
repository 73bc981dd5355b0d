"""Personal tokens: made and revoked through services (audited), stored as digests,
refused when expired, revoked, forged, read-only for writes, or out of scope."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from corridor.accounts.permissions import Perm
from corridor.api import scopes, services, tokens
from corridor.api.events import ApiEvent
from corridor.api.models import ApiToken
from corridor.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_secret_is_shown_once_and_only_its_digest_is_kept(cast):
    token, secret = services.token_create(actor=cast.alice, name="sync", scope=[Perm.CASE_VIEW_ASSIGNED],
                                          write=False, days=30)
    assert secret.startswith("crd_") and len(secret) >= 43
    row = ApiToken.objects.get(pk=token.pk)
    assert row.digest == tokens.digest(secret) and secret not in row.digest
    # Nothing in the row holds the secret (the prefix is 6 of its 43 random characters).
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first().values())
    assert secret not in stored and secret[10:] not in stored
    entry = AuditEntry.objects.get(code=ApiEvent.TOKEN_CREATED)
    assert entry.object_id == str(token.pk)
    assert entry.data["scopes"] == ["case_view_assigned"] and secret not in bytes(entry.leaf).decode()


def test_a_token_can_only_hold_what_the_role_allows(cast):
    with pytest.raises(ValidationError):
        services.token_create(actor=cast.alice, name="x", scope=[Perm.CASE_VIEW_ALL], write=False, days=30)
    with pytest.raises(ValidationError):
        services.token_create(actor=cast.admin, name="x", scope=[Perm.MANAGE_USERS], write=False, days=30)
    with pytest.raises(ValidationError):
        services.token_create(actor=cast.alice, name="x", scope=[Perm.CASE_VIEW_ASSIGNED], write=False, days=3650)
    with pytest.raises(ValidationError):
        services.token_create(actor=cast.alice, name=" ", scope=[Perm.CASE_VIEW_ASSIGNED], write=False, days=30)
    # No approval, export, referral or account permission is ever offered to a token.
    for user in (cast.coordinator, cast.legal, cast.finance, cast.admin):
        offered = {p for p, _l, _w in scopes.offered(user)}
        assert not offered & {Perm.CASE_EXPORT_APPROVE, Perm.EVIDENCE_APPROVE_EXPORT, Perm.FUNDS_APPROVE,
                              Perm.MANAGE_USERS, Perm.SEAL, Perm.CASE_REFER, Perm.EVIDENCE_EXPORT}
    # Recording funds and assigning cases are write scopes: a read token never holds them.
    assert {(p, w) for p, _l, w in scopes.offered(cast.finance)} >= {(Perm.FUNDS_EDIT, True)}
    assert Perm.FUNDS_EDIT not in scopes.effective([Perm.FUNDS_EDIT, Perm.FUNDS_VIEW], "finance", write=False)
    assert Perm.CASE_ASSIGN not in scopes.effective([Perm.CASE_ASSIGN], "coordinator", write=False)
    assert scopes.offered(cast.admin) == []


def test_the_scope_follows_the_role_as_it_is_now(cast):
    assert scopes.effective(["case_view_all", "case_edit"], "case_worker", write=True) == {Perm.CASE_EDIT}
    assert scopes.effective(["case_view_all", "case_edit"], "coordinator", write=False) == {Perm.CASE_VIEW_ALL}
    assert scopes.effective(["manage_users", "nonsense"], "admin", write=True) == frozenset()


def test_revoking_is_audited_and_only_the_owner_or_an_administrator_may(cast):
    token, _secret = services.token_create(actor=cast.alice, name="t", scope=[Perm.CASE_VIEW_ASSIGNED],
                                           write=False, days=7)
    for stranger in (cast.bob, cast.coordinator, cast.charlie):
        with pytest.raises(Http404):
            services.token_revoke(actor=stranger, token=token)
    services.token_revoke(actor=cast.admin, token=token)
    token.refresh_from_db()
    assert token.revoked and token.revoked_by == cast.admin
    entry = AuditEntry.objects.get(code=ApiEvent.TOKEN_REVOKED)
    assert entry.data["by_admin"] is True
    # Revoking twice records nothing more.
    services.token_revoke(actor=cast.alice, token=token)
    assert AuditEntry.objects.filter(code=ApiEvent.TOKEN_REVOKED).count() == 1


def test_an_administrator_of_another_organisation_cannot_revoke(cast, django_user_model):
    from conftest import _user
    from corridor.accounts.permissions import Role

    other_admin = _user(cast.other_org, "oscar", Role.ADMIN)
    token, _secret = services.token_create(actor=cast.alice, name="t", scope=[Perm.CASE_VIEW_ASSIGNED],
                                           write=False, days=7)
    with pytest.raises(Http404):
        services.token_revoke(actor=other_admin, token=token)


def _case_get(api_client, secret, code):
    return api_client(secret).get(f"/api/v1/cases/{code}")


def test_a_token_of_one_organisation_cannot_read_anothers_case(cast, cases, token_for, api_client):
    charlie = token_for(cast.charlie)
    assert _case_get(api_client, charlie, cases.charlie.code).status_code == 200
    # Charlie's organisation uses "P-", ours "K-": ask for ours by code, and for a code
    # that exists in both.
    assert _case_get(api_client, charlie, cases.alice.code).status_code == 404
    partner = token_for(cast.partner_coordinator)
    listed = api_client(partner).get("/api/v1/cases").json()
    assert [r["code"] for r in listed["results"]] == [cases.charlie.code]
    assert _case_get(api_client, partner, cases.alice.code).status_code == 404


def test_a_case_worker_token_sees_only_assigned_cases(cast, cases, token_for, api_client):
    alice = token_for(cast.alice)
    listed = api_client(alice).get("/api/v1/cases").json()
    assert [r["code"] for r in listed["results"]] == [cases.alice.code]
    assert _case_get(api_client, alice, cases.alice.code).json()["name"] == "Алиса Один"
    # Bob's case needs break-glass, exactly as on the page.
    response = _case_get(api_client, alice, cases.bob.code)
    assert response.status_code == 403 and response.json()["detail"] == "break_glass_required"


def test_an_expired_or_revoked_token_is_refused(cast, cases, token_for, api_client):
    secret = token_for(cast.alice)
    assert ApiToken.objects.get().last_used is None
    assert _case_get(api_client, secret, cases.alice.code).status_code == 200
    assert ApiToken.objects.get().last_used == timezone.localdate()
    ApiToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert _case_get(api_client, secret, cases.alice.code).status_code == 401
    ApiToken.objects.update(expires=timezone.now() + timedelta(days=1))
    assert _case_get(api_client, secret, cases.alice.code).status_code == 200
    services.token_revoke(actor=cast.alice, token=ApiToken.objects.get())
    assert _case_get(api_client, secret, cases.alice.code).status_code == 401


def test_a_deactivated_owner_s_token_is_refused(cast, cases, token_for, api_client):
    secret = token_for(cast.alice)
    cast.alice.is_active = False
    cast.alice.save(update_fields=["is_active"])
    assert _case_get(api_client, secret, cases.alice.code).status_code == 401


def test_the_stored_digest_is_not_a_token(cast, cases, token_for, api_client):
    token_for(cast.alice)
    digest = ApiToken.objects.get().digest
    for forged in (digest, "crd_" + digest, "crd_" + digest[:43], ApiToken.objects.get().prefix):
        assert _case_get(api_client, forged, cases.alice.code).status_code == 401


def test_a_changed_character_or_a_session_cookie_is_not_a_token(cast, cases, token_for, api_client, staff_client):
    secret = token_for(cast.alice)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert _case_get(api_client, flipped, cases.alice.code).status_code == 401
    # A signed-in browser's session does not authenticate API calls.
    assert staff_client(cast.alice).get(f"/api/v1/cases/{cases.alice.code}").status_code == 401


def test_a_read_token_cannot_write(cast, cases, token_for, api_client):
    secret = token_for(cast.alice, write=False)
    response = api_client(secret).post(f"/api/v1/cases/{cases.alice.code}/stage",
                                       {"to_stage": "vetting", "reason": "checked"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["detail"] == "read_only_token"
    response = api_client(secret).post(f"/api/v1/cases/{cases.alice.code}/checkins", {"status": "ok"},
                                       content_type="application/json")
    assert response.status_code == 403
    cases.alice.refresh_from_db()
    assert cases.alice.stage == "contacted" and not cases.alice.checkins.exists()


def test_a_write_token_without_the_edit_scope_cannot_write(cast, cases, token_for, api_client):
    secret = token_for(cast.alice, scope=["case_view_assigned"], write=True)
    response = api_client(secret).post(f"/api/v1/cases/{cases.alice.code}/stage",
                                       {"to_stage": "vetting", "reason": "checked"}, content_type="application/json")
    assert response.status_code == 404
    cases.alice.refresh_from_db()
    assert cases.alice.stage == "contacted"


def test_every_write_operation_refuses_a_read_token(cast, token_for, api_client):
    """Walk the OpenAPI document: each POST operation but break-glass says read_only_token."""
    from corridor.api.api import api

    secret = token_for(cast.coordinator)
    document = api.get_openapi_schema()
    posts = [path for path, ops in document["paths"].items() if "post" in ops]
    assert len(posts) >= 18
    for path in posts:
        url = re.sub(r"\{[a-z_]+_id\}", "00000000-0000-0000-0000-000000000001", path.replace("{code}", "K-0001"))
        assert "{" not in url, path
        response = api_client(secret).post(url, {}, content_type="application/json")
        if path.endswith("/break-glass"):
            assert response.status_code != 403 or response.json()["detail"] != "read_only_token"
        else:
            assert response.status_code == 403 and response.json()["detail"] == "read_only_token", path


def _every_operation(code: str, some_id: str):
    """(method, url) of every token-protected operation, with `code` and `some_id`
    in its path parameters."""
    from corridor.api.api import api

    for path, ops in api.get_openapi_schema()["paths"].items():
        for method, op in ops.items():
            if not op.get("security") and "/calendar" not in path:
                continue
            url = re.sub(r"\{[a-z_]+_id\}", some_id, path.replace("{code}", code))
            assert "{" not in url, path
            yield method, url


def test_an_expired_or_revoked_write_token_is_refused_by_every_operation(cast, cases, token_for, api_client):
    from corridor.cases.models import Case

    secret = token_for(cast.coordinator, write=True)
    client = api_client(secret)
    assert client.get("/api/v1/cases").status_code == 200
    operations = list(_every_operation(cases.alice.code, "00000000-0000-0000-0000-000000000001"))
    assert len(operations) >= 30
    ApiToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    for method, url in operations:
        response = getattr(client, method)(url, {} if method == "get" else "{}", content_type="application/json")
        assert response.status_code == 401, (method, url)
    ApiToken.objects.update(expires=timezone.now() + timedelta(days=1))
    services.token_revoke(actor=cast.admin, token=ApiToken.objects.get())
    for method, url in operations:
        response = getattr(client, method)(url, {} if method == "get" else "{}", content_type="application/json")
        assert response.status_code == 401, (method, url)
    cases.alice.refresh_from_db()
    assert cases.alice.worker == cast.alice and Case.objects.filter(organisation=cast.org).count() == 2


def test_the_other_organisation_reaches_none_of_our_case_operations_by_code(cast, cases, token_for, api_client):
    """The partner's coordinator (every case of *their* organisation, a write token)
    names our case in every operation that takes a case code: 404 each time, and the
    case is unchanged, unviewed by them."""
    from corridor.audit.models import AuditEntry
    from corridor.cases.events import CaseEvent

    partner = api_client(token_for(cast.partner_coordinator, write=True))
    today = timezone.localdate().isoformat()
    bodies = {"stage": {"to_stage": "vetting", "reason": "x"}, "assign": {"worker": "pat"},
              "checkins": {"status": "ok"}, "services": {"kind": "medical", "started": today},
              "documents": {"kind": "other", "status": "have"}, "break-glass": {"reason": "curious"}}
    seen = 0
    for method, url in _every_operation(cases.alice.code, "00000000-0000-0000-0000-000000000001"):
        if f"/cases/{cases.alice.code}" not in url:
            continue
        tail = url.rstrip("/").split("/")[-1]
        body = bodies.get(tail, {"outcome": "done", "status": "issued"})
        response = (partner.get(url) if method == "get"
                    else partner.post(url, body, content_type="application/json"))
        assert response.status_code == 404, (method, url, response.content)
        assert "Алиса" not in response.content.decode()
        seen += 1
    assert seen >= 12
    assert not AuditEntry.objects.filter(code=CaseEvent.CASE_VIEWED, object_id=cases.alice.audit_id).exists()
