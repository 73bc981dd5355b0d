from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.crypto import context
from corridor.crypto.fields import ERASED
from corridor.crypto.models import DataKey
from corridor.intake.events import IntakeEvent
from corridor.intake.models import Attachment, Contact, Message, Receipt
from corridor.intake.tests.conftest import submit

pytestmark = pytest.mark.django_db


def _age(days: int) -> None:
    Contact.objects.update(last_activity=timezone.now() - timedelta(days=days))


def _blobs(settings) -> list:
    return [p for p in (settings.CORRIDOR_BLOB_DIR / "intake").glob("*") if p.is_file()]


def test_dry_run_changes_nothing(web_contact, settings):
    _age(100)
    out = StringIO()
    call_command("intake_retention", "--dry-run", stdout=out)
    assert "1 contact" in out.getvalue()
    contact = Contact.objects.get()
    assert contact.erased is None and DataKey.objects.get(pk=contact.data_key_id).wrapped is not None
    assert len(_blobs(settings)) == 1 and Receipt.objects.count() == 1


def test_the_real_run_erases_contacts_without_a_case(web_contact, recorded_contact, settings,
                                                     django_capture_on_commit_callbacks):
    _age(100)
    out = StringIO()
    # The files go once the erasure has committed (here: the test's own transaction).
    with django_capture_on_commit_callbacks(execute=True):
        call_command("intake_retention", stdout=out)
    assert "Erased 2 contact" in out.getvalue()
    for contact in Contact.objects.all():
        assert contact.erased is not None
        assert DataKey.objects.get(pk=contact.data_key_id).wrapped is None
    context.cache_clear()
    loaded = Contact.objects.get(pk=web_contact.pk)
    assert loaded.summary is None or loaded.summary is ERASED
    assert not Message.objects.filter(body__isnull=False).exists()
    assert not Message.objects.filter(sealed__isnull=False).exists()
    assert Attachment.objects.count() == 0 and _blobs(settings) == []
    assert Receipt.objects.count() == 0
    from corridor.exposure.models import Identifier

    assert not Identifier.objects.filter(contact=recorded_contact).exists()
    assert AuditEntry.objects.filter(code=IntakeEvent.CONTACT_ERASED).count() == 2
    assert AuditEntry.objects.filter(code=IntakeEvent.RETENTION_RUN).count() == 1


def test_still_sealed_submissions_are_erased_too(public, org, settings):
    submit(public)
    _age(100)
    call_command("intake_retention", stdout=StringIO())
    assert Message.objects.get().sealed is None and Contact.objects.get().erased


def test_recent_contacts_and_cases_are_kept(cast, web_contact, recorded_contact, staff_client):
    staff_client(cast.coordinator).post(f"/staff/intake/{web_contact.pk}/open-case/", {"name": "x", "override": "нет времени на проверку, опасность"})
    Contact.objects.filter(pk=web_contact.pk).update(last_activity=timezone.now() - timedelta(days=400))
    call_command("intake_retention", stdout=StringIO())
    assert Contact.objects.filter(erased__isnull=True).count() == 2


def test_the_period_is_configurable(web_contact, settings):
    settings.CORRIDOR_CONTACT_RETENTION_DAYS = 10
    _age(11)
    call_command("intake_retention", stdout=StringIO())
    assert Contact.objects.get().erased


def test_an_erased_contact_shows_only_that_it_was_erased(cast, web_contact, staff_client):
    _age(100)
    call_command("intake_retention", stdout=StringIO())
    page = staff_client(cast.operator).get(f"/staff/intake/{web_contact.pk}/")
    assert page.status_code == 200 and "стёрто" in page.content.decode()
    assert "Задержали брата" not in page.content.decode()


def test_the_periodic_job_runs_while_sealed(web_contact, fresh_agent, settings):
    from corridor.intake.services.housekeeping import periodic

    fresh_agent.agent.seal()
    _age(100)
    periodic()
    assert Contact.objects.get().erased


def test_old_temporaries_are_removed(settings):
    import os
    import time

    from corridor.intake.services.housekeeping import cleanup_temporaries
    from corridor.intake.uploads import blob_dir

    tmp = blob_dir(settings.CORRIDOR_BLOB_DIR) / "tmp"
    old, new = tmp / "old.part", tmp / "new.part"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cleanup_temporaries() == 1
    assert not old.exists() and new.exists()
