from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _assert_common(response):
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_staff_pages_send_every_security_header_and_no_store(cast, staff_client):
    response = staff_client(cast.alice).get("/staff/")
    assert response.status_code == 200
    _assert_common(response)
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_sends_every_security_header(client):
    response = client.get("/staff/login/")
    _assert_common(response)
    assert "no-store" in response["Cache-Control"]


def test_error_pages_send_the_headers_too(client):
    response = client.get("/staff/no-such-page/")
    _assert_common(response)


def test_static_files_are_served_locally_and_cacheable(client):
    response = client.get("/static/web/htmx.min.js")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert client.get("/static/../settings.py").status_code == 404


def test_hsts_is_sent_behind_tls(client, settings):
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/staff/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")


def test_no_page_uses_a_third_party_resource(cast, staff_client):
    import re

    html = staff_client(cast.alice).get("/staff/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "?", "#")), url


def test_the_language_switch_changes_the_staff_language(cast, staff_client):
    c = staff_client(cast.alice)
    c.post("/staff/language/", {"language": "en", "next": "/staff/"})
    assert "Dashboard" in c.get("/staff/").content.decode()
    c.post("/staff/language/", {"language": "ru", "next": "/staff/"})
    assert "Главная" in c.get("/staff/").content.decode() or "Панель" in c.get("/staff/").content.decode()


def test_the_language_switch_refuses_an_offsite_redirect(cast, staff_client):
    response = staff_client(cast.alice).post("/staff/language/", {"language": "en", "next": "https://evil.example/"})
    assert response.url == "/staff/"
