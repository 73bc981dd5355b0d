"""The public transparency pages: no sign-in, no cookies, no scripts, both languages."""

from __future__ import annotations

import re
from datetime import date

import pytest

from corridor.reports.services import publication_create, publication_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def publication(books_2017, programme_2017, report_day, cast):
    return publication_create(actor=cast.finance, organisation=books_2017, start=date(2017, 1, 1),
                              end=date(2017, 12, 1), currency="USD", today=report_day)


def _assert_public(response):
    assert response.status_code == 200
    assert not response.cookies, f"cookies set: {list(response.cookies)}"
    assert "Set-Cookie" not in response
    html = response.content.decode()
    assert "<script" not in html
    assert " style=" not in html
    # Nothing is loaded from elsewhere (links out to a partner's campaign page are fine).
    assets = re.findall(r'src="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+)"', html)
    for url in assets:
        assert url.startswith("/"), url
    return html


def test_the_report_is_public_in_russian_by_default(client, publication):
    html = _assert_public(client.get("/transparency/"))
    assert "Отчёт о прозрачности 2017" in html
    assert "170\xa0000\xa0USD" in html and "26\xa0000\xa0USD" in html and "70\xa0000\xa0USD" in html
    assert "Northern Lights Foundation" in html and "Quiet Help Foundation" not in html
    assert "<svg" in html and 'role="img"' in html


def test_the_report_is_public_in_english(client, publication):
    html = _assert_public(client.get("/transparency/?lang=en"))
    assert "Transparency report 2017" in html
    assert "170,000\xa0USD" in html and "more than 85" in html and "fewer than 10" in html
    assert 'lang="en"' in html


def test_the_public_pages_set_no_cookie_even_for_a_signed_in_visitor_without_one(client, publication):
    for url in ("/transparency/", "/transparency/?lang=en", "/transparency/campaigns/",
                f"/transparency/north/{publication.pk}/", "/transparency/north/"):
        _assert_public(client.get(url))


def test_the_pdfs_are_public(client, publication):
    for lang in ("ru", "en"):
        response = client.get(f"/transparency/north/{publication.pk}/report-{lang}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert not response.cookies
    assert client.get(f"/transparency/north/{publication.pk}/report-de.pdf").status_code == 404


def test_a_withdrawn_report_disappears(client, publication, cast):
    publication_withdraw(actor=cast.finance, publication=publication)
    assert client.get(f"/transparency/north/{publication.pk}/").status_code == 404
    assert client.get(f"/transparency/north/{publication.pk}/report-ru.pdf").status_code == 404
    assert "Отчёт о прозрачности 2017" not in client.get("/transparency/").content.decode()


def test_another_organisations_slug_cannot_reach_a_report(client, publication):
    assert client.get(f"/transparency/partner/{publication.pk}/").status_code == 404
    assert client.get("/transparency/nobody/").status_code == 404
