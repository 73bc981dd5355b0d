"""API tokens in Chromium: a case worker makes a read token, sees it once, uses it,
and revokes it; an administrator revokes another account's token. And the API's
browsable docs run under the production CSP with nothing from elsewhere."""

from __future__ import annotations

import pytest

from corridor.api.models import ApiToken
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("api_tokens:list", "api_tokens:revoke")
def test_a_case_worker_makes_uses_and_revokes_a_token(forms, cast, client):
    page = forms(user=cast.alice)
    page.goto("/staff/api/tokens/")
    assert "API" in text(page)
    submit(page, selector="main form[method=post]:has([name=name])",
           values={"name": "documentation sync", "scope": ["case_view_assigned"], "days": "7"})
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("crd_")
    token = ApiToken.objects.get()
    assert token.scopes == ["case_view_assigned"] and not token.write and token.digest != secret
    # The secret is on that one page only: reloading the list does not show it.
    page.goto("/staff/api/tokens/")
    assert secret not in page.content() and token.prefix in page.content()
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    submit(page, f"/staff/api/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked is not None
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


@submits("api_tokens:revoke")
def test_an_administrator_revokes_anothers_token(forms, cast):
    from corridor.api.services import token_create

    token, _secret = token_create(actor=cast.coordinator, name="partner export", scope=["case_view_all"],
                                  write=False, days=30)
    page = forms(user=cast.admin)
    page.goto("/staff/api/tokens/all/")
    assert "partner export" in text(page) and cast.coordinator.username in text(page)
    submit(page, f"/staff/api/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_by == cast.admin
    assert page.url.endswith("/staff/api/tokens/all/")


def test_the_browsable_docs_render_under_the_csp_from_our_own_origin(browser, live_server):
    page = browser()
    violations, foreign = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server.url) else None)
    response = page.goto("/api/v1/docs")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    assert "/api/v1/cases/{code}/stage" in text(page)
    assert not violations, violations
    assert not [u for u in foreign if not u.startswith("data:")], foreign
