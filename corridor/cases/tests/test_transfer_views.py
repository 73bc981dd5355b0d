"""The transfer pages, with the cast: who may record partners, consent, ask,
approve, download and import; bad input gives a clear error and no 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pyrage import x25519

from corridor.cases.models import Partner, Transfer, TransferConsent
from corridor.cases.services import transfers

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(cast):
    return transfers.partner_create(actor=cast.admin, name="Rainbow Haven",
                                    recipient=str(x25519.Identity.generate().to_public()),
                                    log_key=transfers.own_log_key())


def test_only_an_administrator_opens_the_partners_page(cast, staff_client):
    for user in (cast.alice, cast.coordinator, cast.legal, cast.auditor):
        assert staff_client(user).get("/staff/cases/partners/").status_code in (403, 404)
    page = staff_client(cast.admin).get("/staff/cases/partners/")
    assert page.status_code == 200 and transfers.own_log_key() in page.content.decode()


def test_the_partner_form_explains_bad_keys(cast, staff_client):
    c = staff_client(cast.admin)
    r = c.post("/staff/cases/partners/", {"name": "X", "recipient": "age1nope", "log_key": "nope"})
    assert r.status_code == 400 and "age public key" in r.content.decode() and not Partner.objects.exists()
    recipient = str(x25519.Identity.generate().to_public())
    r = c.post("/staff/cases/partners/", {"name": "X", "recipient": recipient, "log_key": transfers.own_log_key()})
    assert r.status_code == 302 and Partner.objects.get().recipient == recipient
    assert "age1" in c.get("/staff/cases/partners/").content.decode()


def test_a_worker_cannot_reach_the_transfer_of_a_case(cast, staff_client, alice_case, partner):
    for user in (cast.alice, cast.charlie, cast.admin):
        c = staff_client(user)
        assert c.get(f"/staff/cases/{alice_case.code}/transfer/").status_code in (302, 403, 404)
        r = c.post(f"/staff/cases/{alice_case.code}/transfer/consent/",
                   {"partner": str(partner.pk), "how": "written", "given_on": timezone.localdate().isoformat()})
        assert r.status_code in (302, 403, 404)
    assert not TransferConsent.objects.exists()


def test_asking_without_consent_says_so(cast, staff_client, alice_case, partner):
    c = staff_client(cast.coordinator)
    base = f"/staff/cases/{alice_case.code}/transfer/"
    assert c.get(base).status_code == 200
    r = c.post(base + "request/", {"partner": str(partner.pk), "parts": ["identity"]})
    assert r.status_code == 400 and "consent" in r.content.decode() and not Transfer.objects.exists()
    r = c.post(base + "consent/", {"partner": str(partner.pk), "how": "written", "given_on": "2999-01-01"})
    assert r.status_code == 400 and "future" in r.content.decode()
    r = c.post(base + "consent/", {"partner": str(partner.pk), "how": "written",
                                   "given_on": timezone.localdate().isoformat()})
    assert r.status_code == 302
    r = c.post(base + "request/", {"partner": str(partner.pk), "parts": ["identity", "documents"]})
    assert r.status_code == 302 and Transfer.objects.get().parts == ["identity", "documents"]
    # the asker sees no approve button and cannot approve by posting
    page = c.get("/staff/cases/transfers/").content.decode()
    assert "Approve and build" not in page
    c.post(f"/staff/cases/transfers/{Transfer.objects.get().pk}/decide/", {"decision": "approve"})
    assert Transfer.objects.get().status == "pending"
    c2 = staff_client(cast.coordinator2)
    assert "Approve and build" in c2.get("/staff/cases/transfers/").content.decode()
    r = c2.post(f"/staff/cases/transfers/{Transfer.objects.get().pk}/decide/", {"decision": "approve"})
    assert r.status_code == 302 and Transfer.objects.get().status == "ready"
    download = c.get(f"/staff/cases/transfers/{Transfer.objects.get().pk}/download/")
    assert download.status_code == 200 and download.content.startswith(b"age-encryption.org/v1")
    # another organisation's coordinator finds nothing
    other = staff_client(cast.partner_coordinator)
    assert other.get(f"/staff/cases/transfers/{Transfer.objects.get().pk}/download/").status_code == 404


def test_a_junk_upload_is_refused_in_plain_words(cast, staff_client, partner):
    c = staff_client(cast.coordinator)
    r = c.post("/staff/cases/transfers/import/", {"package": SimpleUploadedFile("x.age", b"\x00junk" * 100)})
    assert r.status_code == 400 and "does not open" in r.content.decode()
    r = c.post("/staff/cases/transfers/import/", {})
    assert r.status_code == 400
    assert staff_client(cast.alice).post("/staff/cases/transfers/import/", {}).status_code in (403, 404)
