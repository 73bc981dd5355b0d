"""Retention rules: each one erases what it says and only that, the dry run changes
nothing, erasure is cryptographic and audited, and a court filing holds a person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry
from corridor.cases.events import CaseEvent
from corridor.cases.models import Case, Person, Stage
from corridor.cases.tests.conftest import make_case  # noqa: F401
from corridor.crypto.models import DataKey
from corridor.evidence.events import EvidenceEvent
from corridor.exposure.events import ExposureEvent
from corridor.exposure.models import ExposureImport, SeizedIndex
from corridor.intake.tests.conftest import fast_receipts, public  # noqa: F401
from corridor.web import retention

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - timedelta(days=800)


def _close(case, when=LONG_AGO):
    Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, closed=when, stage_since=when)


def _key_gone(dk_id) -> bool:
    dk = DataKey.objects.get(pk=dk_id)
    return dk.wrapped is None or getattr(dk, "destroyed", None) is not None


@pytest.fixture
def seized(cast):
    from corridor.exposure.services import list_import

    imp = list_import(actor=cast.coordinator, organisation=cast.org, data="+7 928 111-22-33\n+7 928 444-55-66\n",
                      filename="phone.txt", purpose="seized", label="phone of the detained man")
    ExposureImport.objects.filter(pk=imp.pk).update(created=LONG_AGO)
    return imp


def test_the_dry_run_counts_and_changes_nothing(cast, make_case, seized):  # noqa: F811
    old, recent = make_case(cast.org), make_case(cast.org, name="Другой")
    _close(old)
    _close(recent, timezone.now() - timedelta(days=10))
    entries = AuditEntry.objects.count()
    out = __import__("io").StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "closed_cases" in text and "would erase 1 of 1 due" in text and "Dry run" in text
    assert "exposure_imports" in text
    assert Person.objects.filter(erased__isnull=False).count() == 0
    assert SeizedIndex.objects.filter(source=seized).count() == 2
    assert AuditEntry.objects.count() == entries


def test_a_case_closed_long_ago_is_erased_and_a_recent_one_kept(cast, make_case):  # noqa: F811
    old, recent = make_case(cast.org), make_case(cast.org, name="Другой")
    _close(old)
    _close(recent, timezone.now() - timedelta(days=10))
    outcomes = {o.rule: o for o in retention.run()}
    assert outcomes["closed_cases"].erased == 1
    old.person.refresh_from_db()
    recent.person.refresh_from_db()
    assert old.person.erased is not None and recent.person.erased is None
    assert _key_gone(old.person.data_key_id) and not _key_gone(recent.person.data_key_id)
    entry = AuditEntry.objects.get(code=CaseEvent.PERSON_RETENTION_ERASED)
    assert entry.object_id == old.person.audit_id and "Иван" not in bytes(entry.leaf).decode()
    assert AuditEntry.objects.filter(code=CoreEvent.RETENTION_RUN).count() == 1
    assert {o.rule: o for o in retention.run()}["closed_cases"].due == 0  # idempotent


def test_a_person_with_another_open_case_is_not_erased(cast, make_case):  # noqa: F811
    old = make_case(cast.org)
    _close(old)
    import uuid

    again = Case.objects.get(pk=old.pk)  # a second case of the same person, still on its way
    again.pk, again.code, again.stage, again.closed = uuid.uuid4(), "K-9999", Stage.SHELTERED, None
    again.save(force_insert=True)
    assert {o.rule: o for o in retention.run()}["closed_cases"].due == 0
    old.person.refresh_from_db()
    assert old.person.erased is None


def test_the_period_zero_turns_the_rule_off(cast, make_case, settings):  # noqa: F811
    settings.CORRIDOR_RETENTION_CLOSED_CASE_MONTHS = 0
    _close(make_case(cast.org))
    assert {o.rule: o for o in retention.run()}["closed_cases"].due == 0


def test_a_seized_list_loses_its_indexes_and_label_but_keeps_its_counts(cast, seized):
    assert SeizedIndex.objects.filter(source=seized).count() == 2
    assert {o.rule: o for o in retention.run()}["exposure_imports"].erased == 1
    seized.refresh_from_db()
    assert SeizedIndex.objects.filter(source=seized).count() == 0
    assert seized.label is None and seized.unique == 2
    assert _key_gone(seized.data_key_id)
    assert AuditEntry.objects.filter(code=ExposureEvent.IMPORT_RETENTION_ERASED).count() == 1


def test_a_delivered_bundle_file_is_removed_and_an_undelivered_one_kept(cast, world, identity):
    from corridor.evidence import services, storage

    bundles = []
    for _ in range(2):
        b = services.bundle_request(actor=cast.legal, audience="echr", recipients=[identity.recipient],
                                    events=[world.e2], files=[world.pdf])
        bundles.append(services.bundle_approve(actor=cast.coordinator, bundle=b))
    delivered, waiting = bundles
    services.bundle_download(actor=cast.legal, bundle=delivered).close()
    from corridor.evidence.models import BundleRequest

    BundleRequest.objects.filter(pk__in=[b.pk for b in bundles]).update(built=LONG_AGO)
    path = storage.path_for(delivered.blob)
    assert {o.rule: o for o in retention.run()}["delivered_bundles"].erased == 1
    delivered.refresh_from_db()
    waiting.refresh_from_db()
    assert delivered.status == "removed" and delivered.blob is None and not path.exists()
    assert delivered.sha256  # still verifiable by whoever holds it
    assert waiting.status == "ready" and storage.path_for(waiting.blob).exists()
    assert AuditEntry.objects.filter(code=EvidenceEvent.BUNDLE_REMOVED).count() == 1


def test_old_contacts_and_receipts_are_covered_too(cast, public, org):  # noqa: F811
    from corridor.intake.models import Contact, Receipt
    from corridor.intake.tests.conftest import submit

    submit(public)
    Contact.objects.update(last_activity=LONG_AGO)
    Receipt.objects.update(last_used=LONG_AGO)
    outcomes = {o.rule: o for o in retention.run(dry_run=True)}
    assert outcomes["intake_contacts"].due == 1 and outcomes["receipts"].due == 1
    outcomes = {o.rule: o for o in retention.run()}
    assert outcomes["receipts"].erased == 1 and outcomes["intake_contacts"].erased == 1
    assert Contact.objects.get().erased is not None


def test_the_serve_ticker_runs_retention(monkeypatch):
    from django.apps import apps

    assert "corridor.web.retention.periodic" in apps.get_app_config("web").periodic
    calls = []
    monkeypatch.setattr(retention, "run", lambda **kw: calls.append(kw))
    monkeypatch.setattr(retention, "_last_run", 0.0)
    retention.periodic()
    retention.periodic()  # within the hour: not again
    assert calls == [{}]


def test_administrators_see_what_is_due_in_their_organisation_only(cast, make_case, staff_client, seized):  # noqa: F811
    _close(make_case(cast.org))
    _close(make_case(cast.other_org, name="Чужой"))
    page = staff_client(cast.admin).get("/staff/retention/")
    assert page.status_code == 200
    rows = {o.rule: o.due for o in retention.preview(cast.org)}
    assert rows["closed_cases"] == 1 and rows["exposure_imports"] == 1
    body = page.content.decode()
    assert 'id="rule-closed_cases"' in body and Person.objects.filter(erased__isnull=False).count() == 0
    for user in (cast.alice, cast.coordinator, cast.operator):
        assert staff_client(user).get("/staff/retention/").status_code in (403, 404)
