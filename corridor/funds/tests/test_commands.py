"""Management commands delegate to the services and have a dry run."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from corridor.funds.models import ClosedPeriod, ExchangeRate

pytestmark = pytest.mark.django_db


def test_import_rates_checks_then_saves(org, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,quote,rate\n2017-01-01,RUB,USD,0.0170\n2017-01-01,EUR,USD,1.06\n")
    out = StringIO()
    call_command("import_rates", str(path), org="north", dry_run=True, stdout=out)
    assert "2 rates would be saved" in out.getvalue() and not ExchangeRate.objects.exists()
    call_command("import_rates", str(path), org="north", stdout=out)
    assert ExchangeRate.objects.count() == 2


@translation.override("en")
def test_import_rates_names_the_bad_line(org, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,quote,rate\n2017-01-01,RUB,USD,0.0170\n2017-01-02,RUR,USD,0.017\n")
    with pytest.raises(CommandError, match="Line 2"):
        call_command("import_rates", str(path), org="north")
    with pytest.raises(CommandError, match="columns"):
        (tmp_path / "bad.csv").write_text("day,rate\n1,2\n")
        call_command("import_rates", str(tmp_path / "bad.csv"), org="north")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_rates", str(path), org="nowhere")


@translation.override("en")
def test_close_month_has_a_dry_run(org, expense):
    out = StringIO()
    call_command("close_month", "2017-03", org="north", dry_run=True, stdout=out)
    assert "1 expenses" in out.getvalue() and not ClosedPeriod.objects.exists()
    call_command("close_month", "2017-03", org="north", stdout=out)
    assert ClosedPeriod.objects.get().month == date(2017, 3, 1)
    with pytest.raises(CommandError, match="already closed"):
        call_command("close_month", "2017-03", org="north")
