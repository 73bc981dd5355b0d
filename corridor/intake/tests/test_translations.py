from __future__ import annotations

from pathlib import Path

import polib
import pytest

APPS = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", ["intake", "exposure"])
def test_russian_is_complete(app):
    po = polib.pofile(str(APPS / app / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    assert len(po) > 50
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po:
        if entry.msgid_plural:
            assert all(entry.msgstr_plural.values()), entry.msgid
    assert (APPS / app / "locale" / "ru" / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("days, words", [(1, "ещё на 1 день"), (3, "ещё на 3 дня"), (90, "ещё на 90 дней")])
def test_the_receipt_page_counts_the_days_a_visit_adds(client, cast, monkeypatch, days, words):
    from corridor.intake.tests.conftest import submit

    monkeypatch.setenv("CORRIDOR_RECEIPT_EXPIRY_DAYS", str(days))
    page = submit(client).content.decode()
    assert words in page and "дн." not in page
