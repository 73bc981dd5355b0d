"""Russian dates and counted days read as a person writes them: «8 марта» inside a
sentence (never Django's nominative «8 Март»), and «1 день», «3 дня», «5 дней»
chosen by the number (ngettext), never one fixed «дней»."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from corridor.web.templatetags.corridor_time import pattern

MOMENT = dt.datetime(2026, 3, 8, 9, 30, tzinfo=dt.UTC)


def _render(source: str, lang: str, **context) -> str:
    with translation.override(lang), timezone.override("UTC"):
        return Template(source).render(Context(context))


def test_a_russian_moment_writes_the_month_in_the_genitive_and_in_lower_case():
    assert _render('{{ m|when:"MONTH_DAY_FORMAT H:i" }}', "ru", m=MOMENT) == "8 марта 09:30 UTC"
    assert _render('{{ m|when:"DATE_FORMAT" }}', "ru", m=MOMENT) == "8 марта 2026 г. UTC"
    assert _render('{{ m|when:"j F Y, M" }}', "ru", m=MOMENT) == "8 марта 2026, мар UTC"
    assert _render('{{ m|date:"MONTH_DAY_FORMAT" }}', "ru", m=MOMENT) == "8 марта"


def test_the_short_forms_stay_digits_and_english_keeps_its_capitals():
    assert _render("{{ m|when }} · {{ m|day }}", "ru", m=MOMENT) == "08.03.2026 09:30 UTC · 08.03.2026"
    assert _render('{{ m|when:"MONTH_DAY_FORMAT H:i" }}', "en", m=MOMENT) == "March 8 09:30 UTC"
    assert _render("{{ m|day }}", "en", m="2026-03-08") == "8 Mar 2026"


def test_an_escaped_letter_is_left_alone():
    with translation.override("ru"):
        assert pattern(r"j F \F") == r"j E \F"
        assert pattern("SHORT_DATE_FORMAT H:i") == "d.m.Y H:i"


@pytest.mark.parametrize("days, word", [(1, "1 день"), (3, "3 дня"), (5, "5 дней"), (21, "21 день"),
                                        (11, "11 дней")])
def test_days_in_stage_take_the_plural_the_number_needs(days, word):
    source = ("{% load i18n %}{% blocktranslate count d=d %}In this stage for {{ d }} day{% plural %}"
              "In this stage for {{ d }} days{% endblocktranslate %}")
    assert _render(source, "ru", d=days) == f"На этом этапе {word}"
    assert _render(source, "en", d=1) == "In this stage for 1 day"


@pytest.mark.parametrize("days, word", [(1, "1 дня"), (2, "2 дней"), (90, "90 дней")])
def test_the_unknown_receipt_message_counts_its_days(settings, days, word):
    from corridor.intake.views.public import RECEIPT_PROBLEMS

    with translation.override("ru"):
        text = RECEIPT_PROBLEMS["unknown"] % {"days": days}
    assert f"после {word} без визитов" in text


@pytest.mark.parametrize("days, word", [(1, "через 1 день"), (4, "через 4 дня"), (30, "через 30 дней")])
def test_a_certificate_warning_counts_its_days(days, word):
    from corridor.crypto.certificates import CertificateState

    now = dt.datetime(2026, 3, 8, tzinfo=dt.UTC)
    state = CertificateState("TLS", Path("/etc/x.pem"), now + dt.timedelta(days=days, hours=1))
    with translation.override("ru"):
        assert word in state.describe(now)
    with translation.override("en"):
        assert ("(in 1 day)." if days == 1 else f"(in {days} days).") in state.describe(now)


def test_the_reports_count_their_delay_and_write_the_month_in_lower_case(org):
    from corridor.reports.disclosure import Policy
    from corridor.reports.presentation import method_notes
    from corridor.reports.transparency import ReportError, build

    with translation.override("ru"):
        assert "через 1 день после конца" in method_notes({"delay_days": 1, "rounding": 5, "threshold": 10}, 5,
                                                          "EUR")[0]
        assert "через 45 дней после конца" in method_notes({"delay_days": 45, "rounding": 5, "threshold": 10}, 5,
                                                           "EUR")[0]
        with pytest.raises(ReportError) as refused:
            build(org, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 1), currency="EUR",
                  policy=Policy(delay_days=92), today=dt.date(2026, 4, 15))
    message = str(refused.value)
    assert "через 92 дня после конца месяца" in message
    assert "— декабрь 2025 г." in message, message


def test_a_month_inside_a_sentence_is_lower_case_in_russian_only():
    december = dt.date(2026, 12, 1)
    assert _render("{% load corridor_time %}{{ d|month }}", "ru", d=december) == "декабрь 2026 г."
    assert _render("{% load corridor_time %}{{ d|month }}", "en", d=december) == "December 2026"


@pytest.mark.django_db
def test_funds_messages_never_capitalise_a_month_mid_sentence(cast):
    from django.core.exceptions import ValidationError

    from corridor.funds.services import periods

    periods.period_close(actor=cast.finance, organisation=cast.org, month=dt.date(2020, 11, 1))
    with translation.override("ru"), pytest.raises(ValidationError) as raised:
        periods.period_close(actor=cast.finance, organisation=cast.org, month=dt.date(2020, 11, 1))
    assert raised.value.messages == ["Месяц ноябрь 2020 г. уже закрыт."]
