"""Russian and English are complete: every app's catalogue is fully translated,
keeps its placeholders, and its compiled .mo matches the .po."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

APPS = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(APPS.glob("*/locale/ru/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def test_every_app_with_templates_or_views_has_a_russian_catalogue():
    apps = {p.parent.name for p in APPS.glob("*/views.py")} | {p.parent.name for p in APPS.glob("*/templates")}
    covered = {p.parents[3].name for p in CATALOGUES}
    assert apps <= covered, f"no Russian catalogue for {sorted(apps - covered)}"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_the_russian_catalogue_is_complete(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:5]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:5]}"
    for entry in po.translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        got = set(PLACEHOLDER.findall(entry.msgstr or next(iter(entry.msgstr_plural.values()), "")))
        assert wanted == got, f"placeholders differ in {entry.msgid!r}"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_the_compiled_catalogue_matches(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"run `make messages` to compile {mo_path}"
    po = {e.msgid: e.msgstr for e in polib.pofile(str(po_path)).translated_entries() if not e.msgid_plural}
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(mo_path)) if not e.msgid_plural}
    stale = {k for k in po if mo.get(k) != po[k]}
    assert not stale, f"{mo_path} is out of date (run `make messages`): {sorted(stale)[:3]}"
