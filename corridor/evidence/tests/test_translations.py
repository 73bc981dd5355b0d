"""Russian is complete: every message translated, no fuzzy entries, placeholders kept,
and the compiled catalogue is what the pages use."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "ru" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>")


def test_every_russian_message_is_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert len(po) > 300
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    for entry in po:
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        strings = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == wanted or entry.msgid_plural, entry.msgid


def test_the_compiled_catalogue_is_current():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    assert {e.msgid: e.msgstr for e in po if not e.msgid_plural} == {
        e.msgid: e.msgstr for e in mo if not e.msgid_plural and e.msgid}


@pytest.mark.django_db
def test_pages_speak_russian(cast, staff_client, world):
    page = staff_client(cast.legal).get(f"/staff/evidence/events/{world.e1.pk}/").content.decode()
    assert "Независимых источников" in page and "Произвольное задержание" in page
    with translation.override("en"):
        assert str(world.a_public.act_type) == "Arbitrary detention"


def test_consent_badges_are_translated_not_raw_codes():
    from django.utils import translation

    from corridor.evidence.models import Testimony

    t = Testimony(consent_partners=["echr", "osce", "journalist"])
    with translation.override("ru"):
        assert t.consent_partner_labels == ["ЕСПЧ", "ОБСЕ", "журналист"]
