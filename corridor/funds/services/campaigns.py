"""Campaigns using the organisation's name, and their public status."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.permissions import Perm
from corridor.audit.services import record
from corridor.funds.events import FundsEvent
from corridor.funds.models import Campaign
from corridor.funds.services.common import require

FIELDS = ["name", "status", "run_by", "url", "public_note", "started", "ended", "listed"]


def _validate(campaign: Campaign) -> None:
    campaign.name = (campaign.name or "").strip()
    if not campaign.name:
        raise ValidationError(_("Enter the campaign's name."), code="required")
    if campaign.status not in Campaign.Status.values:
        raise ValidationError(_("Choose a status."), code="status")
    if campaign.url and not campaign.url.lower().startswith(("https://", "http://")):
        raise ValidationError(_("The address must start with https:// or http://."), code="url")
    if campaign.started and campaign.ended and campaign.ended < campaign.started:
        raise ValidationError(_("A campaign cannot end before it starts."), code="dates")


def campaign_create(*, actor, organisation, name: str, status: str, run_by: str = "", url: str = "",
                    public_note: str = "", started: date | None = None, ended: date | None = None,
                    listed: bool = True) -> Campaign:
    require(actor, Perm.FUNDS_EDIT)
    campaign = Campaign(organisation=organisation, name=name, status=status, run_by=run_by.strip(),
                        url=url.strip(), public_note=public_note.strip(), started=started, ended=ended,
                        listed=listed)
    _validate(campaign)
    with transaction.atomic():
        campaign.save(force_insert=True)
        record(FundsEvent.CAMPAIGN_CREATED, actor=actor, organisation=organisation, obj=campaign,
               status=campaign.status)
    return campaign


def campaign_update(*, actor, campaign: Campaign, **changes) -> Campaign:
    require(actor, Perm.FUNDS_EDIT)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    before = campaign.status
    for name, value in changes.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) and name != "status" else value)
    _validate(campaign)
    with transaction.atomic():
        campaign.updated = timezone.now()
        campaign.save()
        record(FundsEvent.CAMPAIGN_UPDATED, actor=actor, organisation=str(campaign.organisation_id),
               obj=campaign, before=before, after=campaign.status)
    return campaign
