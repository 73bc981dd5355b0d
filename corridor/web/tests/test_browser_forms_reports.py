"""The transparency report's forms in Chromium, by a finance officer."""

from __future__ import annotations

import pytest

from corridor.reports.models import Publication
from corridor.reports.tests.test_browser import published  # noqa: F401  (fixture)
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("reports:publish", "reports:withdraw")
def test_a_finance_officer_previews_publishes_and_withdraws(forms, cast, published):  # noqa: F811
    page = forms(user=cast.finance)
    page.goto("/staff/reports/")
    submit(page, selector="main form.card[method=get]", values={"start": "2017-01", "end": "2017-12"})
    assert "/staff/reports/preview/" in page.url
    # The months are open (a live-server test must be able to flush its tables, which
    # closed months forbid): the form goes through and the refusal is explained.
    submit(page, "/staff/reports/publish/")
    assert page.url.endswith("/staff/reports/")
    assert page.locator(".messages, [role=alert], .alert").count() >= 1
    assert Publication.objects.count() == 1
    submit(page, f"/staff/reports/{published.pk}/withdraw/")
    assert Publication.objects.get(pk=published.pk).withdrawn
    assert text(page)
