from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.audit.models import AuditEntry
from corridor.cases.models import Person
from corridor.exposure.events import ExposureEvent
from corridor.exposure.models import (
    ExposureAlert,
    ExposureImport,
    ExposureMatch,
    Provocateur,
    SeizedIndex,
)
from corridor.exposure.services import list_import, provocateur_add

pytestmark = pytest.mark.django_db

SEIZED = """Имя,Телефон,Заметка
Ахмед,8 (928) 123-45-67,друг
Заря,+7 928 765 43 21,
Рус,@ruslan_k,
Чужой,+7 928 000 00 01,
Случайный,+7 999 111 22 33,
Битый,+7 928 12,
"""


def _import(cast, text=SEIZED, purpose="seized", name="phone.csv"):
    return list_import(actor=cast.operator, organisation=cast.org, data=text.encode(), filename=name,
                       purpose=purpose, label="телефон задержанного Х")


def test_matches_raise_risk_alert_workers_and_write_audit(cast, people):
    imp = _import(cast)
    assert (imp.matched_people, imp.matched_contacts, imp.failed) == (3, 0, 1)
    risks = dict(Person.objects.filter(organisation=cast.org).values_list("code", "risk"))
    assert risks[people["ahmed"].code] == 4 and risks[people["zarema"].code] == 5 and risks[people["ruslan"].code] == 4
    recipients = {(a.recipient.username, a.match.person.code) for a in ExposureAlert.objects.select_related(
        "recipient", "match__person")}
    assert ("alice", people["ahmed"].code) in recipients and ("bob", people["ruslan"].code) in recipients
    # No case worker: the coordinators are told.
    assert {("cora", people["zarema"].code), ("colin", people["zarema"].code)} <= recipients
    assert AuditEntry.objects.filter(code=ExposureEvent.PERSON_EXPOSED).count() == 3
    entry = AuditEntry.objects.get(code=ExposureEvent.LIST_IMPORTED)
    assert entry.data["people"] == 3 and "928" not in str(entry.data)


def test_the_list_itself_is_never_stored_in_plaintext(cast, people):
    from corridor.intake.tests.test_public_intake import _dump_everything

    imp = _import(cast)
    dump = _dump_everything()
    for needle in ("79991112233", "999 111", "ruslan_k", "Случайный", "телефон задержанного"):
        assert needle.encode() not in dump
    assert SeizedIndex.objects.filter(source=imp).count() == 5
    assert ExposureImport.objects.get().label == "телефон задержанного Х"


def test_checking_only_changes_no_risk(cast, people):
    imp = _import(cast, purpose="check")
    assert imp.matched_people == 3
    assert Person.objects.get(pk=people["ahmed"].pk).risk == 2
    assert ExposureAlert.objects.count() == 0 and SeizedIndex.objects.count() == 0


def test_a_provocateur_in_a_list_is_reported(cast, people):
    provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="phone", raw="8 999 111 22 33",
                    note="приходил в 2018")
    imp = _import(cast, purpose="check")
    assert imp.matched_provocateurs == 1
    match = ExposureMatch.objects.get(target="provocateur")
    assert match.provocateur.kind == "phone"
    assert AuditEntry.objects.filter(code=ExposureEvent.PROVOCATEUR_MATCHED).exists()


def test_importing_a_provocateur_list_adds_each_once(cast):
    _import(cast, text="+79991112233\n8 999 111 22 33\n@agent_x\n", purpose="provocateurs", name="p.txt")
    assert Provocateur.objects.count() == 2
    _import(cast, text="+79991112233\n", purpose="provocateurs", name="p.txt")
    assert Provocateur.objects.count() == 2
    values = {p.value for p in Provocateur.objects.select_related("data_key")}
    assert values == {"+79991112233", "agent_x"}


def test_a_contact_in_triage_is_flagged_exposed(cast):
    from corridor.intake.models import Contact
    from corridor.intake.services import contact_record

    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="звонок",
                             identifiers=[("phone", "+79991112233")])
    imp = _import(cast)
    assert imp.matched_contacts == 1
    assert Contact.objects.get(pk=contact.pk).flag_exposed
    assert ExposureAlert.objects.filter(recipient=cast.operator).exists()


def test_someone_who_writes_after_an_import_is_flagged_as_exposed(cast):
    from corridor.intake.services import contact_record

    _import(cast)
    contact = contact_record(actor=cast.operator, organisation=cast.org, channel="phone", what="позвонил",
                             identifiers=[("phone", "8 999 111-22-33")])
    contact.refresh_from_db()
    assert contact.flag_exposed


def test_the_import_page_shows_our_people_at_once(cast, people, staff_client):
    client = staff_client(cast.operator)
    upload = SimpleUploadedFile("phone.csv", SEIZED.encode("cp1251"))
    response = client.post("/staff/exposure/", {"purpose": "seized", "label": "телефон Х", "file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    for person in people.values():
        assert person.code in page
    assert "Alice" in page  # the case worker
    assert "Строка" in page and "такого номера телефона не бывает" in page


def test_a_pasted_list_works_too(cast, people, staff_client):
    response = staff_client(cast.coordinator).post("/staff/exposure/", {"purpose": "check",
                                                                        "text": "+7 928 123 45 67\n"})
    assert response.status_code == 302
    assert ExposureImport.objects.get().matched_people == 1


def test_an_unreadable_file_gets_a_message(cast, staff_client):
    upload = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    response = staff_client(cast.operator).post("/staff/exposure/", {"purpose": "seized", "file": upload})
    assert response.status_code == 400 and "не текстовый" in response.content.decode()
    assert ExposureImport.objects.count() == 0


def test_a_large_list_never_touches_the_disk(cast, staff_client, settings, tmp_path):
    lines = "\n".join(f"+7928{n:07d}" for n in range(60_000)).encode()  # > 256 KiB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    response = staff_client(cast.operator).post("/staff/exposure/", {
        "purpose": "check", "file": SimpleUploadedFile("big.txt", lines)})
    assert response.status_code == 302
    assert list((tmp_path / "uploads").iterdir()) == []
    assert ExposureImport.objects.get().unique == 60_000


def test_alerts_show_on_the_dashboard_and_can_be_acknowledged(cast, people, staff_client):
    _import(cast)
    client = staff_client(cast.alice)
    page = client.get("/staff/").content.decode()
    assert people["ahmed"].code in page and "изъятом списке" in page
    alert = ExposureAlert.objects.get(recipient=cast.alice)
    assert staff_client(cast.bob).post(f"/staff/exposure/alerts/{alert.pk}/done/").status_code == 404
    assert client.post(f"/staff/exposure/alerts/{alert.pk}/done/").status_code == 302
    assert ExposureAlert.objects.get(pk=alert.pk).acknowledged
    assert people["ahmed"].code not in client.get("/staff/").content.decode()
