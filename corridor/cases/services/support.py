"""Writes for services given to a person and for their identity documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from corridor.audit.services import record
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Document, Person, Service
from corridor.cases.services._common import check_range, clean_text, user_or_none
from corridor.crypto.keys import blind_index
from corridor.crypto.normalize import NotAnIdentifier


def _check_service(kind: str, outcome: str, started: date | None, ended: date | None, cost) -> None:
    if kind not in Service.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of service.")})
    if outcome not in Service.Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    if started is None:
        raise ValidationError({"started": _("When did it start?")})
    check_range(started, ended, end_field="ended")
    if cost is not None and Decimal(cost) < 0:
        raise ValidationError({"cost": _("The cost cannot be negative.")})


def service_add(*, actor, case: Case, kind: str, started: date, provider: str = "", ended: date | None = None,
                cost: Decimal | None = None, currency: str = "RUB", outcome: str = Service.Outcome.ONGOING,
                details: str = "") -> Service:
    _check_service(kind, outcome, started, ended, cost)
    # Services are often written up afterwards: the date is when it happened, within
    # the case (not before it began, not in the future).
    if started > timezone.localdate():
        raise ValidationError({"started": _("This date is in the future.")})
    if started < timezone.localtime(case.opened).date():
        raise ValidationError({"started": _("This date is before the case began (%(date)s).")
                               % {"date": date_format(timezone.localtime(case.opened).date(), "SHORT_DATE_FORMAT")}})
    with transaction.atomic():
        service = Service(case=case, kind=kind, started=started, ended=ended, cost=cost,
                          currency=(currency or "").upper()[:3], outcome=outcome, recorded_by=user_or_none(actor))
        service.provider = clean_text(provider, limit=400)
        service.details = clean_text(details)
        service.save(force_insert=True)
        record(CaseEvent.SERVICE_ADDED, actor=actor, organisation=str(case.organisation_id), obj=case, kind=kind,
               happened=started.isoformat())
    return service


def service_update(*, actor, service: Service, ended: date | None, outcome: str, cost: Decimal | None = None,
                   details: str | None = None) -> Service:
    _check_service(service.kind, outcome, service.started, ended, cost)
    with transaction.atomic():
        service.ended = ended
        service.outcome = outcome
        service.cost = cost
        fields = ["ended", "outcome", "cost"]
        if details is not None:
            service.details = clean_text(details)
            fields.append("details")
        service.save(update_fields=fields)
        record(CaseEvent.SERVICE_UPDATED, actor=actor, organisation=str(service.case.organisation_id),
               obj=service.case, kind=service.kind, outcome=outcome)
    return service


def _check_document(kind: str, status: str, issued: date | None, expires: date | None) -> None:
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")})
    if status not in Document.Status.values:
        raise ValidationError({"status": _("Choose the document's status.")})
    if issued and issued > timezone.localdate():
        raise ValidationError({"issued": _("The issue date is in the future.")})
    check_range(issued, expires, end_field="expires", message=_("The document expires before it was issued."))


def _number_index(number: str) -> bytes | None:
    if not number:
        return None
    try:
        return blind_index("passport", number)
    except NotAnIdentifier:
        raise ValidationError({"number": _("A document number has only letters and digits.")}) from None


def document_add(*, actor, person: Person, kind: str, status: str, number: str = "", issued: date | None = None,
                 expires: date | None = None, problems: str = "") -> Document:
    _check_document(kind, status, issued, expires)
    number = (number or "").strip()
    with transaction.atomic():
        doc = Document(person=person, kind=kind, status=status, issued=issued, expires=expires,
                       number_index=_number_index(number))
        doc.number = number
        doc.problems = clean_text(problems)
        doc.save(force_insert=True)
        record(CaseEvent.DOCUMENT_ADDED, actor=actor, organisation=str(person.organisation_id), obj=person,
               kind=kind, status=status)
    return doc


def document_update(*, actor, document: Document, status: str, number: str | None = None,
                    issued: date | None = None, expires: date | None = None, problems: str | None = None) -> Document:
    _check_document(document.kind, status, issued, expires)
    with transaction.atomic():
        document.status = status
        document.issued = issued
        document.expires = expires
        document.updated = timezone.now()
        fields = ["status", "issued", "expires", "updated"]
        if number is not None:
            number = number.strip()
            document.number = number
            document.number_index = _number_index(number)
            fields += ["number", "number_index"]
        if problems is not None:
            document.problems = clean_text(problems)
            fields.append("problems")
        document.save(update_fields=fields)
        record(CaseEvent.DOCUMENT_UPDATED, actor=actor, organisation=str(document.person.organisation_id),
               obj=document.person, kind=document.kind, status=status)
    return document
