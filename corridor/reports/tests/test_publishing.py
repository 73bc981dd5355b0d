"""Publishing: closed months only, after the delay, audited, and via the command."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from corridor.audit.models import AuditEntry
from corridor.reports.events import ReportEvent
from corridor.reports.models import Publication
from corridor.reports.services import digest_of, publication_create

pytestmark = pytest.mark.django_db


def test_a_publication_is_frozen_fingerprinted_and_audited(books_2017, cast, report_day):
    publication = publication_create(actor=cast.finance, organisation=books_2017, start=date(2017, 1, 1),
                                     end=date(2017, 12, 1), currency="USD", today=report_day)
    assert publication.digest == digest_of(publication.data)
    entry = AuditEntry.objects.get(code=ReportEvent.REPORT_PUBLISHED)
    assert entry.data["digest"] == publication.digest and entry.data["start"] == "2017-01"


def test_open_months_cannot_be_published(org, cast, expense, report_day):
    with pytest.raises(ValidationError) as exc:
        publication_create(actor=cast.finance, organisation=org, start=date(2017, 1, 1), end=date(2017, 3, 1),
                           currency="USD", today=report_day)
    assert exc.value.code == "open"


def test_recent_months_wait_for_the_publication_delay(books_2017, cast):
    with pytest.raises(ValidationError) as exc:
        publication_create(actor=cast.finance, organisation=books_2017, start=date(2017, 1, 1),
                           end=date(2017, 12, 1), currency="USD", today=date(2018, 2, 15))
    assert exc.value.code == "period"
    assert not Publication.objects.exists()


def test_only_finance_publishes(books_2017, cast, report_day):
    for who in (cast.coordinator, cast.legal, cast.auditor, cast.admin):
        with pytest.raises(ValidationError):
            publication_create(actor=who, organisation=books_2017, start=date(2017, 1, 1), end=date(2017, 12, 1),
                               currency="USD", today=report_day)


def test_staff_preview_and_publish_pages(books_2017, cast, staff_client, settings):
    preview = staff_client(cast.legal).get(reverse("reports:preview") + "?start=2017-01&end=2017-12&currency=USD")
    assert preview.status_code == 200
    assert b"<svg" in preview.content and reverse("reports:publish").encode() not in preview.content
    response = staff_client(cast.legal).post(reverse("reports:publish"),
                                             {"start": "2017-01", "end": "2017-12", "currency": "USD"})
    assert response.status_code == 404
    response = staff_client(cast.finance).post(reverse("reports:publish"),
                                               {"start": "2017-01", "end": "2017-12", "currency": "USD"})
    assert response.status_code == 302 and Publication.objects.count() == 1
    withdraw = reverse("reports:withdraw", args=[Publication.objects.get().pk])
    assert staff_client(cast.coordinator).post(withdraw).status_code == 404
    assert staff_client(cast.finance).post(withdraw).status_code == 302
    assert Publication.objects.get().withdrawn is not None


def test_a_missing_rate_is_a_clear_error_on_the_preview(org, cast, staff_client, expense):
    response = staff_client(cast.finance).get(reverse("reports:preview")
                                              + "?start=2017-01&end=2017-03&currency=GBP&lang=en")
    assert response.status_code == 200
    assert "There is no exchange rate from RUB to GBP" in response.content.decode()


def test_the_publish_command(books_2017, cast):
    out = StringIO()
    call_command("publish_report", org="north", start="2017-01", end="2017-12", dry_run=True, stdout=out)
    assert "received 196,000" in out.getvalue() and not Publication.objects.exists()
    call_command("publish_report", org="north", start="2017-01", end="2017-12", stdout=out)
    assert Publication.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("publish_report", org="north", start="2017-01", end="2099-12")


def _publish(org, cast, start, end, report_day, **kw):
    return publication_create(actor=cast.finance, organisation=org, start=start, end=end, currency="USD",
                              today=report_day, **kw)


@pytest.mark.parametrize("start, end", [
    (date(2017, 1, 1), date(2017, 11, 1)),   # nested: Jan–Dec minus Jan–Nov gives December
    (date(2017, 6, 1), date(2017, 12, 1)),   # shares a boundary half
    (date(2017, 12, 1), date(2017, 12, 1)),  # one month inside
    (date(2017, 1, 1), date(2017, 12, 1)),   # the same months, not marked as a correction
])
def test_an_overlapping_period_is_refused_so_reports_cannot_be_differenced(books_2017, cast, report_day,
                                                                            start, end):
    _publish(books_2017, cast, date(2017, 1, 1), date(2017, 12, 1), report_day)
    with pytest.raises(ValidationError) as exc:
        _publish(books_2017, cast, start, end, report_day)
    assert exc.value.code == "overlap"
    assert Publication.objects.count() == 1
    assert AuditEntry.objects.filter(code=ReportEvent.REPORT_OVERLAP_REFUSED).count() == 1


def test_a_withdrawn_report_still_blocks_an_overlap(books_2017, cast, report_day):
    from corridor.reports.services import publication_withdraw

    first = _publish(books_2017, cast, date(2017, 1, 1), date(2017, 12, 1), report_day)
    publication_withdraw(actor=cast.finance, publication=first)
    with pytest.raises(ValidationError):
        _publish(books_2017, cast, date(2017, 7, 1), date(2017, 12, 1), report_day)


def test_a_correction_of_exactly_the_same_months_supersedes_and_is_recorded(books_2017, cast, report_day):
    first = _publish(books_2017, cast, date(2017, 1, 1), date(2017, 12, 1), report_day)
    second = _publish(books_2017, cast, date(2017, 1, 1), date(2017, 12, 1), report_day, correction=True)
    third = _publish(books_2017, cast, date(2017, 1, 1), date(2017, 12, 1), report_day, correction=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.withdrawn is not None and second.withdrawn is not None and third.withdrawn is None
    assert (second.supersedes_id, third.supersedes_id) == (first.pk, second.pk)
    entry = AuditEntry.objects.filter(code=ReportEvent.REPORT_CORRECTED).last()
    assert entry.data["replaces"] == str(second.pk)
    # A "correction" of other months is still an overlap.
    with pytest.raises(ValidationError):
        _publish(books_2017, cast, date(2017, 1, 1), date(2017, 6, 1), report_day, correction=True)


def test_adjacent_periods_are_fine(books_2017, cast, report_day):
    _publish(books_2017, cast, date(2017, 1, 1), date(2017, 6, 1), report_day)
    _publish(books_2017, cast, date(2017, 7, 1), date(2017, 12, 1), report_day)
    assert Publication.objects.count() == 2
