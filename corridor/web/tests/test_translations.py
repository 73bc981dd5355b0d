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


ALL_CATALOGUES = sorted(APPS.glob("*/locale/*/LC_MESSAGES/django.po"))
RU_PLURALS = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
# Names that are the same in both languages; anything else left in English in a
# Russian catalogue is an untranslated string.
SAME_IN_RUSSIAN = {"Corridor", "API", "SHA-256", "Telegram", "Signal", "WhatsApp"}
ENGLISH_WORDS = re.compile(r"\b(the|and|of|your|with|is|to|this|not|for)\b")


@pytest.mark.parametrize("po_path", ALL_CATALOGUES, ids=lambda p: f"{p.parents[3].name}-{p.parents[1].name}")
def test_no_catalogue_has_an_empty_or_fuzzy_message(po_path):
    """Russian and English alike: an empty msgstr falls back to the English msgid
    silently, and a fuzzy one is not used at all, so neither may stay."""
    po = polib.pofile(str(po_path))
    assert not po.metadata_is_fuzzy, f"{po_path}: the header is still marked fuzzy"
    assert len(po) > 0
    for entry in po:
        assert "fuzzy" not in entry.flags, f"fuzzy: {entry.msgid!r}"
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        assert texts and all(t.strip() for t in texts), f"empty msgstr: {entry.msgid!r}"


@pytest.mark.parametrize("po_path", ALL_CATALOGUES, ids=lambda p: f"{p.parents[3].name}-{p.parents[1].name}")
def test_plural_forms_fit_the_language(po_path):
    """Russian has three forms (1 день, 2 дня, 5 дней; 21 день, 22 дня, 11 дней),
    English two; every plural message gives exactly that many."""
    lang = po_path.parents[1].name
    po = polib.pofile(str(po_path))
    assert po.metadata.get("Language") == lang
    header = po.metadata.get("Plural-Forms", "").rstrip(";").strip()
    expected = RU_PLURALS.rstrip(";") if lang == "ru" else "nplurals=2; plural=(n != 1)"
    assert header == expected, f"{po_path}: Plural-Forms {header!r}"
    n = 3 if lang == "ru" else 2
    for entry in po:
        if entry.msgid_plural:
            assert sorted(int(k) for k in entry.msgstr_plural) == list(range(n)), entry.msgid


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parents[3].name)
def test_no_russian_message_is_left_in_english(po_path):
    for entry in polib.pofile(str(po_path)):
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            if entry.msgid in SAME_IN_RUSSIAN:
                continue
            assert text != entry.msgid, f"copied, not translated: {entry.msgid!r}"
            bare = re.sub(r"%\(\w+\)[sd]|<[^>]+>|`[^`]*`", "", text)
            assert not ENGLISH_WORDS.search(bare), f"English left in {entry.msgid!r}: {text!r}"


def test_russian_plural_forms_are_chosen_right():
    """The compiled catalogue picks the form a Russian reader expects."""
    from django.utils import translation
    from django.utils.translation import ngettext

    with translation.override("ru"):
        shown = {n: ngettext("%(d)s day", "%(d)s days", n) % {"d": n} for n in (1, 2, 5, 11, 21, 22, 25, 111)}
    assert shown == {1: "1 день", 2: "2 дня", 5: "5 дней", 11: "11 дней", 21: "21 день", 22: "22 дня",
                     25: "25 дней", 111: "111 дней"}


TEMPLATES = sorted(APPS.glob("*/templates/**/*.html"))
# Text a template may show as it is: names, formats and commands that read the same
# in both languages, and the language switch, which names each language in itself.
AS_IS = re.compile(r"[\W\d]*(Corridor|PDF|CSV|SHA-256|API|JSON|HXL|Uwazi|HURIDOCS|OpenAPI|Swagger UI|English|Русский"
                   r"|English Русский|Русский English|PDF in English|PDF на русском|corridor [a-z-]+ .*|age -d .*"
                   r"|login|public|staff|public transparency)[\W\d]*")


def _bare_template_text(source: str) -> list[str]:
    source = re.sub(r"\{%\s*blocktrans(late)?\b.*?\{%\s*endblocktrans(late)?\s*%\}", " ", source, flags=re.S)
    source = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    shown = [m.group(2) for m in re.finditer(r"\b(title|placeholder|aria-label|alt)=\"([^\"]*)\"", source)]
    shown += re.sub(r"<[^>]*>", "\n", source).split("\n")
    # Entities (&lt;7) and a fragment of bare attributes (data-x="…") are not words.
    shown = [re.sub(r"&#?\w+;|\b[\w-]+=\"[^\"]*\"", " ", t) for t in shown]
    return [t.strip() for t in shown if re.search(r"[A-Za-z]{2,}", t) and not AS_IS.fullmatch(t.strip())]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(APPS)))
def test_every_text_a_template_shows_is_translatable(template):
    """Text outside {% translate %} / {% blocktranslate %} reaches Russian readers
    in English; that includes titles, placeholders and labels for screen readers."""
    assert _bare_template_text(template.read_text()) == []


def test_the_template_check_sees_bare_english():
    sample = ('{% load i18n %}<p>{% translate "Saved." %}</p><p>Consent of the person</p>'
              '<input placeholder="Search here"><span>&lt;7</span>{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}')
    assert _bare_template_text(sample) == ["Search here", "Consent of the person"]
