"""Bad input gets a 4xx or a redirect, never a 500 (each was a 500 before)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_huge_page_number_in_the_intake_queue(cast, staff_client):
    c = staff_client(cast.operator)
    for page in ("99999999999999999999", "-5", "1e9", "９"):
        assert c.get(f"/staff/intake/?page={page}").status_code == 200


@pytest.mark.parametrize("target", ["foo bar", "foo", "cases:list", "//evil.example/", "https://evil.example/",
                                    "/staff/\x01", "/staff/cases/?q=a b"])
def test_set_language_with_a_strange_next(cast, staff_client, target):
    r = staff_client(cast.alice).post("/staff/language/", {"language": "en", "next": target})
    assert r.status_code == 302 and r.url in {"/staff/", target} and r.url.startswith("/staff/")


@pytest.mark.parametrize("code", ["junk!!", "K-", "'; drop", "К-12", "K-12345678901", " "])
def test_opening_a_case_by_a_bad_code(cast, staff_client, code):
    r = staff_client(cast.legal).post("/staff/cases/open/", {"code": code})
    assert r.status_code == 302 and r.url == "/staff/cases/"
