"""Bulk export: asked by one coordinator, approved by another, downloaded once."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases import services
from corridor.cases.events import CaseEvent
from corridor.cases.models import ExportRequest, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(cast, make_case):
    return [make_case(cast.org, worker=cast.alice, name=f"Имя {i}", stage=Stage.SHELTERED if i % 2 else Stage.VETTING)
            for i in range(4)]


def _ask(client, **extra):
    data = {"purpose": "monthly report to the donor", "stage": "", "worker": "", "country": ""}
    data.update(extra)
    return client.post("/staff/cases/exports/", data)


def test_an_export_needs_a_second_coordinator(cast, staff_client, cases):
    cora = staff_client(cast.coordinator)
    assert _ask(cora, stage=Stage.SHELTERED).status_code == 302
    req = ExportRequest.objects.get()
    assert req.filters == {"stage": "sheltered"} and req.status == "pending"
    # Not downloadable yet, and the asker cannot approve it.
    r = cora.post(f"/staff/cases/exports/{req.pk}/download/")
    assert r.status_code == 302 and ExportRequest.objects.get().status == "pending"
    cora.post(f"/staff/cases/exports/{req.pk}/decide/", {"approve": "1"})
    assert ExportRequest.objects.get().status == "pending"
    # Case workers and the other organisation cannot see or decide it.
    assert staff_client(cast.alice).post(f"/staff/cases/exports/{req.pk}/decide/", {"approve": "1"}).status_code == 404
    assert staff_client(cast.partner_coordinator).post(
        f"/staff/cases/exports/{req.pk}/decide/", {"approve": "1"}).status_code == 404
    # A second coordinator approves; only the asker downloads, once.
    staff_client(cast.coordinator2).post(f"/staff/cases/exports/{req.pk}/decide/", {"approve": "1"})
    assert ExportRequest.objects.get().status == "approved"
    assert staff_client(cast.coordinator2).post(f"/staff/cases/exports/{req.pk}/download/").status_code == 302
    r = cora.post(f"/staff/cases/exports/{req.pk}/download/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][:3] == ["code", "household", "stage"] and len(rows) == 3
    assert all(row[2] == "sheltered" for row in rows[1:])
    assert "Имя" not in r.content.decode()  # no names unless asked for and approved
    again = cora.post(f"/staff/cases/exports/{req.pk}/download/")
    assert again.status_code == 302 and ExportRequest.objects.get().rows == 2
    codes = list(AuditEntry.objects.filter(code__in=[CaseEvent.EXPORT_REQUESTED, CaseEvent.EXPORT_APPROVED,
                                                     CaseEvent.EXPORT_DOWNLOADED]).values_list("code", "actor"))
    assert codes == [(CaseEvent.EXPORT_REQUESTED, cast.coordinator.principal),
                     (CaseEvent.EXPORT_APPROVED, cast.coordinator2.principal),
                     (CaseEvent.EXPORT_DOWNLOADED, cast.coordinator.principal)]


def test_an_export_with_names_decrypts_them(cast, staff_client, cases):
    req = services.export_request(actor=cast.coordinator, purpose="handover to the new team", filters={},
                                  include_names=True, expected_rows=4)
    services_decide = services.export_decide
    from django.db import transaction

    with transaction.atomic():
        services_decide(actor=cast.coordinator2, request=req, approve=True)
    r = staff_client(cast.coordinator).post(f"/staff/cases/exports/{req.pk}/download/")
    assert "Имя 0" in r.content.decode() and "Ivan Petrov" in r.content.decode()


def test_names_are_limited_to_small_exports(cast):
    with pytest.raises(ValidationError, match="limited"):
        services.export_request(actor=cast.coordinator, purpose="everything with names please", filters={},
                                include_names=True, expected_rows=50_000)


def test_a_declined_export_cannot_be_downloaded(cast, staff_client, cases):
    req = services.export_request(actor=cast.coordinator, purpose="for the annual report", filters={})
    services.export_decide(actor=cast.coordinator2, request=req, approve=False)
    r = staff_client(cast.coordinator).post(f"/staff/cases/exports/{req.pk}/download/")
    assert r.status_code == 302 and ExportRequest.objects.get().status == "declined"


def test_an_approval_expires(cast, staff_client, cases):
    req = services.export_request(actor=cast.coordinator, purpose="for the annual report", filters={})
    services.export_decide(actor=cast.coordinator2, request=req, approve=True)
    ExportRequest.objects.filter(pk=req.pk).update(decided_at=timezone.now() - timedelta(hours=25))
    r = staff_client(cast.coordinator).post(f"/staff/cases/exports/{req.pk}/download/")
    assert r.status_code == 302 and ExportRequest.objects.get().status != "downloaded"


def test_spreadsheet_formulas_are_neutralised():
    from corridor.cases.views.coordination import _csv_safe

    assert _csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _csv_safe("K-0001") == "K-0001"
