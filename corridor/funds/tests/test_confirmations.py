"""Irreversible actions ask first: erasing a donor, closing a month (see
test_views), deleting a rate. The first POST only shows what will happen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from corridor.funds.models import Donor
from corridor.funds.models import ExchangeRate as Rate

pytestmark = pytest.mark.django_db


def test_erasing_a_donor_asks_first_and_names_the_consequence(cast, staff_client, donor):
    client = staff_client(cast.finance)
    url = reverse("funds:donor_erase", args=[donor.pk])
    asked = client.post(url + "?lang=en")
    body = asked.content.decode()
    assert asked.status_code == 200 and "destroyed for good" in body and "cannot be undone" in body
    assert Donor.objects.get(pk=donor.pk).data_key.wrapped is not None
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    assert Donor.objects.get(pk=donor.pk).data_key.wrapped is None


def test_deleting_a_rate_asks_first(cast, staff_client, rates):
    client = staff_client(cast.finance)
    url = reverse("funds:rate_delete", args=[rates[0].pk])
    asked = client.post(url + "?lang=en")
    assert asked.status_code == 200 and "deleted for good" in asked.content.decode()
    assert Rate.objects.filter(pk=rates[0].pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not Rate.objects.filter(pk=rates[0].pk).exists()


def test_a_confirmation_cannot_be_skipped_with_get(cast, staff_client, donor):
    assert staff_client(cast.finance).get(reverse("funds:donor_erase", args=[donor.pk])).status_code == 405
