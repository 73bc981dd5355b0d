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
