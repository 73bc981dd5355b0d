"""The case-transfer forms in Chromium, under the production headers: an
administrator records the partner, a coordinator records consent and asks, a
second coordinator approves, and the partner's coordinator uploads the package
and lands on the case under its own new pseudonym."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.accounts.permissions import Role
from corridor.accounts.services import user_create
from corridor.cases import services
from corridor.cases.models import Case, Partner, Transfer, TransferReceipt
from corridor.cases.services import transfers
from corridor.web.tests.forms_harness import submit, submits, text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@submits("cases:partners", "cases:transfer_consent", "cases:transfer_request", "cases:transfer_decide",
         "cases:transfer_import")
def test_a_case_is_sent_and_received_through_the_transfer_forms(forms, cast, screenshot, tmp_path):
    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": "Адам Исаев"}, phone="+7 928 111-22-33")
    case = services.case_open(actor="system:test", person=person, summary="уехал из Грозного",
                              opened=timezone.now() - timedelta(days=3))
    receiving = transfers.receiving_key_ensure(actor="system:test", organisation=cast.other_org)

    admin = forms(user=cast.admin)
    admin.goto("/staff/cases/partners/")
    submit(admin, "/staff/cases/partners/", {"name": "Rainbow Haven", "recipient": receiving.recipient,
                                             "log_key": transfers.own_log_key()})
    assert "Rainbow Haven" in text(admin) and Partner.objects.filter(organisation=cast.org).exists()
    screenshot(admin, "transfer-partners")
    other_admin, _ = user_create(actor="system:test", organisation=cast.other_org, username="padmin",
                                 role=Role.ADMIN, password="a long test password 1", display_name="Padmin")
    from corridor.cases.models import ReceivingKey

    transfers.partner_create(actor=other_admin, name="North",
                             recipient=ReceivingKey.objects.get(organisation=cast.org).recipient,
                             log_key=transfers.own_log_key())

    page = forms(user=cast.coordinator)
    base = f"/staff/cases/{case.code}/transfer/"
    page.goto(f"/staff/cases/{case.code}/")
    page.click(f"a[href='{base}']")
    submit(page, f"{base}consent/", {"how": "written", "given_on": timezone.localdate().isoformat()})
    assert "Rainbow Haven" in text(page)
    submit(page, f"{base}request/", {"parts": ["identity", "services"]})
    transfer = Transfer.objects.get()
    assert transfer.parts == ["identity", "services"]
    screenshot(page, "transfer-asked")

    second = forms(user=cast.coordinator2)
    second.goto("/staff/cases/transfers/")
    submit(second, f"/staff/cases/transfers/{transfer.pk}/decide/", button="button[value='approve']")
    assert Transfer.objects.get().status == "ready"
    download = submit(second, selector="body", button=f"a[href='/staff/cases/transfers/{transfer.pk}/download/']",
                      download=True)
    package = tmp_path / "transfer.age"
    download.save_as(package)
    assert package.read_bytes().startswith(b"age-encryption.org/v1")

    receiver = forms(user=cast.partner_coordinator)
    receiver.goto("/staff/cases/transfers/")
    submit(receiver, "/staff/cases/transfers/import/", {"package": str(package)})
    receipt = TransferReceipt.objects.get()
    assert receiver.url.endswith(f"/staff/cases/{receipt.case_code}/")
    assert "Адам Исаев" in text(receiver) and receipt.case_code != case.code
    assert Case.objects.filter(organisation=cast.other_org).count() == 1
    screenshot(receiver, "transfer-received")
