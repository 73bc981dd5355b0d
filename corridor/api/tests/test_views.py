"""The staff pages for tokens, with each member of the cast."""

from __future__ import annotations

import pytest

from corridor.api.models import ApiToken
from corridor.api.services import token_create

pytestmark = pytest.mark.django_db


def test_every_role_sees_only_its_own_tokens(cast, staff_client):
    token_create(actor=cast.bob, name="bobs-token", scope=["case_view_assigned"], write=False, days=7)
    for user in (cast.alice, cast.coordinator, cast.admin, cast.charlie):
        page = staff_client(user).get("/staff/api/tokens/")
        assert page.status_code == 200 and "bobs-token" not in page.content.decode()
    assert "bobs-token" in staff_client(cast.bob).get("/staff/api/tokens/").content.decode()


def test_the_form_offers_only_the_role_s_scopes_and_refuses_others(cast, staff_client):
    c = staff_client(cast.alice)
    page = c.get("/staff/api/tokens/").content.decode()
    assert 'value="case_view_assigned"' in page and 'value="case_view_all"' not in page
    response = c.post("/staff/api/tokens/", {"name": "x", "scope": ["case_view_all"], "days": "30"})
    assert response.status_code == 400 and not ApiToken.objects.exists()
    response = c.post("/staff/api/tokens/", {"name": "x", "scope": ["case_view_assigned"], "days": "30"})
    assert response.status_code == 200 and ApiToken.objects.count() == 1
    assert ApiToken.objects.get().prefix in response.content.decode()


def test_an_administrator_has_nothing_to_give_a_token(cast, staff_client):
    c = staff_client(cast.admin)
    assert "Make token" not in c.get("/staff/api/tokens/?lang=en").content.decode()
    assert c.post("/staff/api/tokens/", {"name": "x", "scope": ["manage_users"], "days": "30"}).status_code == 400


def test_only_administrators_list_all_tokens_and_only_of_their_organisation(cast, staff_client):
    token_create(actor=cast.charlie, name="partner-token", scope=["case_view_assigned"], write=False, days=7)
    token_create(actor=cast.alice, name="our-token", scope=["case_view_assigned"], write=False, days=7)
    for user in (cast.alice, cast.coordinator, cast.auditor, cast.charlie):
        assert staff_client(user).get("/staff/api/tokens/all/").status_code == 404
    page = staff_client(cast.admin).get("/staff/api/tokens/all/").content.decode()
    assert "our-token" in page and "partner-token" not in page


def test_revoking_someone_else_s_token_is_a_404(cast, staff_client):
    token, _secret = token_create(actor=cast.alice, name="t", scope=["case_view_assigned"], write=False, days=7)
    for user in (cast.bob, cast.coordinator, cast.charlie):
        assert staff_client(user).post(f"/staff/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None
    assert staff_client(cast.alice).get(f"/staff/api/tokens/{token.pk}/revoke/").status_code == 405
