"""Russian is complete for the cases and housing apps, and the pages speak it."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from corridor.cases.models import Stage

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("app", ["cases", "housing"])
def test_every_russian_message_is_translated(app):
    po = polib.pofile(str(ROOT / app / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    assert len(po) > 50
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    for entry in po:
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            # Every placeholder survives translation, or formatting fails at 2 a.m.
            assert set(PLACEHOLDER.findall(entry.msgid)) == set(PLACEHOLDER.findall(text)), entry.msgid
    assert (ROOT / app / "locale" / "ru" / "LC_MESSAGES" / "django.mo").stat().st_mtime >= \
        (ROOT / app / "locale" / "ru" / "LC_MESSAGES" / "django.po").stat().st_mtime - 5


@pytest.mark.django_db
def test_the_pages_are_in_russian(cast, staff_client, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.VISA_ASYLUM)
    client = staff_client(cast.coordinator, lang="ru")
    page = client.get(f"/staff/cases/{case.code}/").content.decode()
    assert "Виза или убежище" in page and "Хроника" in page and "Отметки безопасности" in page
    assert "Нельзя выехать, пока не выдан действующий загранпаспорт" in page
    assert "Воронка" in client.get("/staff/cases/board/").content.decode()
    assert "стран ЕС" in client.get("/staff/cases/countries/").content.decode()
    assert "Безопасное жильё" in client.get("/staff/housing/").content.decode()


@pytest.mark.django_db
def test_svg_numbers_are_not_localised(cast, staff_client, make_case):
    """Russian writes 390,0; an SVG attribute must say 390.0 or the chart collapses."""
    make_case(cast.org, worker=cast.alice, stage=Stage.SHELTERED)
    for url in ("/staff/cases/board/", "/staff/housing/"):
        html = staff_client(cast.coordinator, lang="ru").get(url).content.decode()
        assert "<svg" in html
        assert not re.search(r'(?:x|y|width|x1|x2|y1|y2)="-?\d+,\d', html), url
        assert not re.search(r'd="[^"]*\d,\d+,\d', html)  # path points are "x,y", never "x,y,z"


@pytest.mark.django_db
@pytest.mark.parametrize("days, words", [(1, "На этом этапе 1 день"), (3, "На этом этапе 3 дня"),
                                         (25, "На этом этапе 25 дней")])
def test_the_case_page_counts_the_days_in_stage_in_russian(cast, staff_client, make_case, days, words):
    from datetime import timedelta

    from django.utils import timezone

    from corridor.cases.models import Case

    case = make_case(cast.org, worker=cast.alice)
    Case.objects.filter(pk=case.pk).update(stage_since=timezone.now() - timedelta(days=days, hours=1))
    page = staff_client(cast.alice, lang="ru").get(f"/staff/cases/{case.code}/").content.decode()
    assert words in page
    english = staff_client(cast.alice).get(f"/staff/cases/{case.code}/").content.decode()
    assert ("In this stage for 1 day<" if days == 1 else f"In this stage for {days} days") in english


@pytest.mark.django_db
def test_the_dashboard_periods_count_their_days_in_russian(cast, staff_client):
    page = staff_client(cast.coordinator, lang="ru").get("/staff/cases/board/").content.decode()
    assert all(f"за последние {n} дней" in page for n in (30, 90, 365))
