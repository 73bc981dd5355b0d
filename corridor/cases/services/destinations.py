"""Writes for embassies and for each person's visa, asylum or resettlement application."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.cases import summaries
from corridor.cases.events import CaseEvent
from corridor.cases.models import Application, Case, Country, Embassy, Programme
from corridor.cases.services._common import check_range, clean_text
from corridor.crypto.keys import new_data_key
from corridor.crypto.models import DataKey


def embassy_create(*, actor, organisation, country: Country, city: str, contacts: str = "") -> Embassy:
    city = clean_text(city, limit=80)
    if not city:
        raise ValidationError({"city": _("Which city is the embassy or consulate in?")})
    with transaction.atomic():
        dk = new_data_key(scope=DataKey.Scope.OTHER, organisation=organisation)
        embassy = Embassy(organisation=organisation, country=country, city=city, data_key=dk)
        embassy.contacts = clean_text(contacts)
        embassy.save(force_insert=True)
        record(CaseEvent.EMBASSY_CREATED, actor=actor, organisation=organisation, obj=embassy, country=country.code)
    return embassy


def embassy_update(*, actor, embassy: Embassy, city: str, contacts: str) -> Embassy:
    city = clean_text(city, limit=80)
    if not city:
        raise ValidationError({"city": _("Which city is the embassy or consulate in?")})
    with transaction.atomic():
        embassy.city = city
        embassy.contacts = clean_text(contacts)
        embassy.save(update_fields=["city", "contacts"])
        record(CaseEvent.EMBASSY_UPDATED, actor=actor, organisation=str(embassy.organisation_id), obj=embassy)
    return embassy


def embassy_contact_record(*, actor, embassy: Embassy, on: date | None = None) -> Embassy:
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("This date is in the future.")})
    with transaction.atomic():
        if embassy.last_contact is None or on > embassy.last_contact:
            embassy.last_contact = on
            embassy.save(update_fields=["last_contact"])
        record(CaseEvent.EMBASSY_CONTACTED, actor=actor, organisation=str(embassy.organisation_id), obj=embassy)
    return embassy


def application_add(*, actor, case: Case, country: Country, programme: str, submitted: date,
                    embassy: Embassy | None = None, notes: str = "") -> Application:
    if programme not in Programme.values:
        raise ValidationError({"programme": _("Choose a programme.")})
    if submitted is None:
        raise ValidationError({"submitted": _("When was it submitted?")})
    if submitted > timezone.localdate():
        raise ValidationError({"submitted": _("This date is in the future.")})
    if embassy is not None and (embassy.organisation_id != case.organisation_id or embassy.country_id != country.pk):
        raise ValidationError({"embassy": _("Choose an embassy of this country.")})
    with transaction.atomic():
        # The row lock orders this against a stage move of the same case, which
        # moves the case's country totals.
        locked = Case.objects.select_for_update().only("organisation", "stage", "reached", "stage_since",
                                                        "worker").get(pk=case.pk)
        counted = summaries.snapshot(locked)
        app = Application(case=case, country=country, programme=programme, submitted=submitted, embassy=embassy)
        app.notes = clean_text(notes)
        app.save(force_insert=True)
        summaries.case_changed(counted, locked, countries=counted.countries | {country.pk})
        summaries.application_changed(organisation_id=locked.organisation_id, application=app, before=None)
        record(CaseEvent.APPLICATION_ADDED, actor=actor, organisation=str(case.organisation_id), obj=case,
               country=country.code, programme=programme)
    return app


def application_decide(*, actor, application: Application, decision: str, decided: date | None,
                       notes: str | None = None) -> Application:
    if decision not in Application.Decision.values:
        raise ValidationError({"decision": _("Choose the decision.")})
    if decision == Application.Decision.PENDING:
        decided = None
    elif decided is None:
        raise ValidationError({"decided": _("When was the decision made?")})
    elif decided > timezone.localdate():
        raise ValidationError({"decided": _("This date is in the future.")})
    check_range(application.submitted, decided, end_field="decided",
                message=_("The decision date is before the application was submitted."))
    with transaction.atomic():
        stored = (Application.objects.select_for_update().select_related("case")
                  .only("decision", "decided", "case__organisation").get(pk=application.pk))
        application.decision = decision
        application.decided = decided
        fields = ["decision", "decided"]
        if notes is not None:
            application.notes = clean_text(notes)
            fields.append("notes")
        application.save(update_fields=fields)
        summaries.application_changed(organisation_id=stored.case.organisation_id, application=application,
                                      before=(stored.decision, stored.decided))
        record(CaseEvent.APPLICATION_DECIDED, actor=actor, organisation=str(application.case.organisation_id),
               obj=application.case, country=application.country_id, decision=decision)
    return application
