"""The role cast on every staff view of intake: 200 (or a redirect after a POST)
for operators and coordinators of the contact's organisation, 404 for everyone
else, other organisations included."""

from __future__ import annotations

import pytest

from corridor.intake.models import Message

pytestmark = pytest.mark.django_db

CAST = ["alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor", "charlie"]
TRIAGE = {"coordinator", "operator"}
RECORD = {"alice", "bob", "coordinator", "operator", "charlie"}


def _expect(cast, staff_client, method: str, url: str, allowed: set[str], ok: int = 200, data=None):
    for name in CAST:
        client = staff_client(getattr(cast, name))
        response = getattr(client, method)(url, data or {})
        expected = ok if name in allowed else 404
        assert response.status_code == expected, f"{name} {method.upper()} {url}: {response.status_code}"


def test_the_queue(cast, staff_client):
    _expect(cast, staff_client, "get", "/staff/intake/", TRIAGE)


def test_recording(cast, staff_client):
    _expect(cast, staff_client, "get", "/staff/intake/record/", RECORD)


def test_the_contact_page_and_its_file(cast, staff_client, web_contact):
    _expect(cast, staff_client, "get", f"/staff/intake/{web_contact.pk}/", TRIAGE)
    attachment = Message.objects.get(direction="in").attachments.get()
    _expect(cast, staff_client, "get", f"/staff/intake/files/{attachment.pk}/", TRIAGE)


@pytest.mark.parametrize("action,data", [
    ("status", {"status": "vetting"}),
    ("flags", {"urgency": "2", "flags": ["family"]}),
    ("vetting", {"item": "consistency", "outcome": "concern"}),
    ("notes", {"notes": "n"}),
    ("reply", {"text": "ответ"}),
    ("identifiers", {"kind": "handle", "value": "@someone"}),
    ("provocateurs", {}),
    ("handled", {}),
])
def test_each_contact_action(cast, staff_client, web_contact, action, data):
    _expect(cast, staff_client, "post", f"/staff/intake/{web_contact.pk}/{action}/", TRIAGE, ok=302, data=data)


def test_opening_a_case_is_for_coordinators(cast, staff_client, web_contact):
    _expect(cast, staff_client, "post", f"/staff/intake/{web_contact.pk}/open-case/", {"coordinator"}, ok=302,
            data={"name": "Тест", "override": "задержан брат, нет времени на проверку"})


def test_a_missing_contact_looks_like_a_foreign_one(cast, staff_client):
    import uuid

    for name in ("operator", "coordinator"):
        assert staff_client(getattr(cast, name)).get(f"/staff/intake/{uuid.uuid4()}/").status_code == 404


def test_state_changes_refuse_get(cast, staff_client, web_contact):
    assert staff_client(cast.coordinator).get(f"/staff/intake/{web_contact.pk}/status/").status_code == 405
