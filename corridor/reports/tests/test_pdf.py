"""The PDF renders in both languages, embeds its fonts, and says what the page says."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from corridor.reports.services import publication_create

pytestmark = pytest.mark.django_db


def _text(pdf: bytes, tmp_path, name: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _fonts(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()


def test_the_pdf_renders_in_russian_and_english_with_the_2017_totals(books_2017, programme_2017, report_day,
                                                                      cast, tmp_path):
    publication = publication_create(actor=cast.finance, organisation=books_2017, start=date(2017, 1, 1),
                                     end=date(2017, 12, 1), currency="USD", today=report_day)
    ru = _text(publication.pdf("ru"), tmp_path, "ru")
    en = _text(publication.pdf("en"), tmp_path, "en")
    for heading in ("Отчёт о прозрачности 2017", "Откуда деньги", "На что потрачены деньги", "Программа",
                    "Как эти цифры защищают людей"):
        assert heading in ru, heading
    for heading in ("Transparency report 2017", "Where the money came from", "How the money was spent",
                    "Programme", "How these figures protect people"):
        assert heading in en, heading
    assert "170 000 USD" in ru.replace("\u00a0", " ") and "26 000 USD" in ru.replace("\u00a0", " ")
    assert "70 000 USD" in ru.replace("\u00a0", " ")
    assert "170,000 USD" in en and "26,000 USD" in en and "70,000 USD" in en
    assert "Northern Lights Foundation" in en and "Quiet Help Foundation" not in en
    assert "more than 85" in en and "более 85" in ru and "fewer than 10" in en
    fonts = _fonts(publication.pdf("ru"), tmp_path)
    assert "Libertinus" in fonts and " no " not in fonts.split("\n", 2)[-1]  # every font embedded


def test_the_pdf_names_disowned_campaigns_and_gives_the_full_address(books_2017, report_day, settings):
    import subprocess
    from datetime import date

    from corridor.funds.services import campaign_create
    from corridor.reports.pdf import render_pdf
    from corridor.reports.transparency import build

    campaign_create(actor="system:test", organisation=books_2017, name="Помощь беженцам Кавказа",
                    status="disowned", run_by="unknown people")
    settings.CORRIDOR_PUBLIC_URL = "https://corridor.example.org"
    report = build(books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1), currency="USD", today=report_day)
    pdf = render_pdf(report, "en", digest="0" * 64)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Помощь беженцам Кавказа" in text and "do not give" in text
    assert "https://corridor.example.org/transparency/campaigns/" in text
    settings.CORRIDOR_PUBLIC_URL = ""
    text = subprocess.run(["pdftotext", "-", "-"], input=render_pdf(report, "en", digest="0" * 64),
                          capture_output=True, check=True).stdout.decode()
    assert "/transparency/campaigns/" not in text and "Campaigns" in text
