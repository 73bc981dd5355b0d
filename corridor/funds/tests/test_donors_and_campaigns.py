"""Donors are private by default; campaigns are public by design."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from corridor.audit.models import AuditEntry
from corridor.crypto import context
from corridor.funds.events import FundsEvent
from corridor.funds.models import Campaign, Donor
from corridor.funds.services import (
    campaign_create,
    campaign_update,
    donation_record,
    donor_create,
    donor_erase,
    donor_set_consent,
)

pytestmark = pytest.mark.django_db


def _person(org, **kwargs):
    return donor_create(actor="system:test", organisation=org, kind="individual", name="Мария Сидорова",
                        contact="maria@example.org", **kwargs)


def test_a_private_donor_is_encrypted_and_never_named(org):
    donor = _person(org)
    raw = bytes(Donor.objects.filter(pk=donor.pk).values_list("identity", flat=True).get())
    assert "Мария".encode() not in raw and b"maria@" not in raw
    assert donor.consent == Donor.Consent.PRIVATE and donor.public_name == ""
    context.cache_clear()
    assert Donor.objects.get(pk=donor.pk).name == "Мария Сидорова"
    entry = AuditEntry.objects.get(code=FundsEvent.DONOR_CREATED)
    assert "Мария" not in str(entry.data)


def test_consent_needs_the_name_to_publish_and_can_be_withdrawn(org):
    donor = _person(org)
    with pytest.raises(ValidationError):
        donor_set_consent(actor="system:test", donor=donor, consent="named", public_name="")
    donor_set_consent(actor="system:test", donor=donor, consent="named", public_name="M. S.")
    assert Donor.objects.get(pk=donor.pk).public_name == "M. S."
    donor_set_consent(actor="system:test", donor=donor, consent="private")
    assert Donor.objects.get(pk=donor.pk).public_name == ""
    assert AuditEntry.objects.filter(code=FundsEvent.DONOR_CONSENT_CHANGED).count() == 2


def test_erasing_a_donor_keeps_the_money_and_loses_the_name(org, cast):
    donor = _person(org, consent="named", public_name="M. S.")
    donation_record(actor=cast.finance, organisation=org, date=date(2017, 3, 1), amount="100", currency="USD",
                    donor=donor)
    donor_erase(actor=cast.finance, donor=donor)
    context.cache_clear()
    erased = Donor.objects.get(pk=donor.pk)
    assert erased.erased and not erased.identity and erased.public_name == ""
    assert erased.donations.count() == 1


def test_only_finance_records_donors(org, cast):
    for who in (cast.coordinator, cast.auditor, cast.alice, cast.admin):
        with pytest.raises(ValidationError):
            donor_create(actor=who, organisation=org, kind="individual", name="x")


def test_a_donation_from_another_organisations_donor_is_refused(org, other_org, cast):
    theirs = _person(other_org)
    with pytest.raises(ValidationError):
        donation_record(actor=cast.finance, organisation=org, date=date(2017, 3, 1), amount="1", currency="USD",
                        donor=theirs)


def test_a_campaign_can_be_disowned_and_the_change_is_audited(org, cast):
    campaign = campaign_create(actor=cast.finance, organisation=org, name="Help now", status="unverified",
                               url="https://help-now.example.com")
    campaign_update(actor=cast.finance, campaign=campaign, status="disowned", public_note="Not ours.")
    assert Campaign.objects.get(pk=campaign.pk).status == "disowned"
    entry = AuditEntry.objects.get(code=FundsEvent.CAMPAIGN_UPDATED)
    assert entry.data == {"before": "unverified", "after": "disowned"}


@pytest.mark.parametrize("kwargs", [
    {"name": ""}, {"status": "maybe"}, {"url": "javascript:alert(1)"},
    {"started": date(2017, 5, 1), "ended": date(2017, 4, 1)},
])
def test_bad_campaigns_are_refused(org, cast, kwargs):
    data = {"name": "Appeal", "status": "official", **kwargs}
    with pytest.raises(ValidationError):
        campaign_create(actor=cast.finance, organisation=org, **data)


def test_the_public_campaign_list_shows_listed_campaigns_and_warns(client, org, cast):
    campaign_create(actor=cast.finance, organisation=org, name="Send crypto", status="disowned",
                    url="https://scam.example.com", public_note="We never ask for cryptocurrency.")
    campaign_create(actor=cast.finance, organisation=org, name="Draft appeal", status="official", listed=False)
    response = client.get("/transparency/campaigns/?lang=en")
    html = response.content.decode()
    assert response.status_code == 200 and not response.cookies
    assert "Send crypto" in html and "We never ask for cryptocurrency." in html and "Draft appeal" not in html
    # A disowned campaign's address is shown as text, never as a link to click.
    assert 'href="https://scam.example.com"' not in html and "https://scam.example.com" in html
    assert "Send crypto" in client.get("/transparency/campaigns/?q=crypto").content.decode()
    assert "Send crypto" not in client.get("/transparency/campaigns/?q=zzz").content.decode()
