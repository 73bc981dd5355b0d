"""Wording a tired worker reads: no raw codes, the right status for each side of a
referral, countries in the reader's alphabet, one date style per language, and
demo texts in grammatical Russian."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from corridor.cases import services
from corridor.cases.models import Country, Stage

pytestmark = pytest.mark.django_db


def _in(client, lang):
    session = client.session
    session["django_language"] = lang
    session.save()
    return client


def _english(client):
    return _in(client, "en")


def test_gender_is_shown_in_words_not_as_its_code(cast, staff_client):
    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": "Ислам", "gender_identity": "man"})
    case = services.case_open(actor="system:test", person=person, worker=cast.alice)
    page = _in(staff_client(cast.alice), "ru").get(f"/staff/cases/{case.code}/").content.decode()
    assert re.search(r"Гендер</dt><dd>Мужчина</dd>", page)
    english = _english(staff_client(cast.alice)).get(f"/staff/cases/{case.code}/").content.decode()
    assert re.search(r"Gender</dt><dd>Man</dd>", english)


@pytest.fixture
def referral(cast, make_case):
    case = make_case(cast.org, worker=cast.alice, stage=Stage.LEAVING_REGION)
    return services.referral_create(actor=cast.coordinator, case=case, to_org=cast.other_org, consent="written",
                                    consent_at=timezone.localdate(), note="")


def test_the_referral_page_names_the_stage_and_each_side_its_own_status(cast, staff_client, referral):
    url = f"/staff/cases/referrals/{referral.pk}/"
    sender = _in(staff_client(cast.coordinator), "ru").get(url).content.decode()
    receiver = _in(staff_client(cast.partner_coordinator), "ru").get(url).content.decode()
    assert "leaving_region" not in sender and "leaving_region" not in receiver
    assert "Выезд из региона" in sender and "Выезд из региона" in receiver
    assert "Ждёт ответа другой организации" in sender and "Ждёт вашего решения" not in sender
    assert "Ждёт вашего решения" in receiver and "Ждёт ответа другой организации" not in receiver
    english = _english(staff_client(cast.partner_coordinator)).get(url).content.decode()
    assert "Leaving the region" in english and "Waiting for your decision" in english
    listing = _in(staff_client(cast.partner_coordinator), "ru").get("/staff/cases/referrals/").content.decode()
    assert "Ждёт вашего решения" in listing


def test_countries_follow_the_readers_alphabet(cast, staff_client):
    with translation.override("ru"):
        russian = [c.name_ru for c in Country.objects.by_name()]
    with translation.override("en"):
        english = [c.name_en for c in Country.objects.by_name()]
    assert russian == sorted(russian) and english == sorted(english)
    assert russian.index("Австрия") < russian.index("Германия") < russian.index("Швеция")
    page = _in(staff_client(cast.coordinator), "ru").get("/staff/cases/").content.decode()
    options = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', page)
    assert options and options == sorted(options)


def test_the_application_form_lists_countries_in_russian_order(cast):
    from corridor.cases.forms import ApplicationForm

    with translation.override("ru"):
        labels = [label for value, label in ApplicationForm().fields["country"].choices if value]
    assert labels == sorted(labels) and labels.index("Австрия") < labels.index("Германия")


@pytest.mark.parametrize("lang, day, month", [("en", "2 Dec 2026", "September 2025"), ("ru", "02.12.2026", "Сентябрь 2025")])
def test_each_language_has_one_date_style(lang, day, month):
    with translation.override(lang):
        assert date_format(date(2026, 12, 2), "SHORT_DATE_FORMAT") == day
        assert date_format(date(2025, 9, 1), "YEAR_MONTH_FORMAT") == month


def test_months_are_shown_in_one_style_everywhere():
    """Every month on a page goes through YEAR_MONTH_FORMAT: no template or code
    spells a month pattern of its own ("m.Y", "F Y", "%m.%Y")."""
    import re
    from pathlib import Path

    import corridor

    own = re.compile(r"""date:["'](?:F Y|m\.Y|N Y|M Y)["']|strftime\(["']%(?:m\.%Y|B %Y)|date_format\([^)]*["'](?:F Y|m\.Y)["']""")
    root = Path(corridor.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in (".html", ".py", ".typ")
                 and "tests" not in p.parts and "formats" not in p.parts and own.search(p.read_text("utf-8"))]
    assert not offenders


def test_staff_are_not_told_about_a_receipt_they_do_not_have():
    from django.core.exceptions import ValidationError

    from corridor.intake import text

    with translation.override("ru"):
        with pytest.raises(ValidationError) as staff:
            text.clean("а" * 30, limit=10)
        with pytest.raises(ValidationError) as public:
            text.clean("а" * 30, limit=10, public=True)
        assert "квитанци" not in " ".join(staff.value.messages)
        assert "квитанци" in " ".join(public.value.messages)


def test_the_lost_receipt_sentence_is_one_grammatical_sentence(client):
    page = client.get("/receipt/?lang=ru").content.decode()
    assert re.search(r'Потеряли квитанцию\? <a href="/\?lang=ru">Напишите нам ещё раз</a> и упомяните, '
                     r"что уже писали раньше\.", page)


def test_demo_stories_decline_towns_and_days():
    from corridor.intake.demo import IN_CITY, STORIES, WHERE, days_ru

    assert [days_ru(n) for n in (1, 2, 4, 5, 9, 11, 12, 21, 22, 25)] == [
        "1 день", "2 дня", "4 дня", "5 дней", "9 дней", "11 дней", "12 дней", "21 день", "22 дня", "25 дней"]
    assert set(WHERE[:5]) <= set(IN_CITY)

    class Ctx:
        rng = random.Random(7)

    from corridor.intake.demo import _story

    stories = [_story(Ctx) for _ in range(200)]
    assert not any(re.search(r"в (Грозный|Москва|Махачкала) и держали|в Москва|у подруги в Грозный", s) for s in stories)
    assert not any(re.search(r"\b[5-9] дня\b", s) for s in stories)
    assert len({s.split(".")[0] for s in stories}) > len(STORIES)


def test_demo_case_summaries_are_written_sentences_not_filler():
    from corridor.cases import demo_data

    assert demo_data.SUMMARIES and all(s.endswith(".") and s[0].isupper() for s in demo_data.SUMMARIES)
