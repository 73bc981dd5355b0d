from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _post(headers: dict, token: bool = True):
    client = Client(enforce_csrf_checks=True)
    client.get("/staff/login/")
    data = {"username": "x", "password": "y"}
    if token:
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    return client.post("/staff/login/", data, **headers)


def test_a_null_origin_from_our_own_page_is_accepted():
    response = _post({"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"})
    assert response.status_code == 200


def test_a_null_origin_from_another_site_is_refused():
    assert _post({"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"}).status_code == 403
    assert _post({"HTTP_ORIGIN": "null"}).status_code == 403


def test_a_foreign_origin_is_refused():
    assert _post({"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "same-origin"}).status_code == 403


def test_the_token_is_still_required_with_a_null_origin():
    assert _post({"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}, token=False).status_code == 403
