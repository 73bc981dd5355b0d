from __future__ import annotations

import pytest

from corridor.exposure.models import Provocateur
from corridor.exposure.services import list_import, provocateur_add

pytestmark = pytest.mark.django_db

CAST = ["alice", "bob", "coordinator", "operator", "legal", "finance", "admin", "auditor", "charlie"]
IMPORTERS = {"coordinator", "operator"}


def _expect(cast, staff_client, method, url, allowed, ok=200, data=None):
    for name in CAST:
        response = getattr(staff_client(getattr(cast, name)), method)(url, data or {})
        assert response.status_code == (ok if name in allowed else 404), f"{name} {url}: {response.status_code}"


def test_the_import_page(cast, staff_client):
    _expect(cast, staff_client, "get", "/staff/exposure/", IMPORTERS)


def test_an_import_result(cast, staff_client):
    imp = list_import(actor=cast.operator, organisation=cast.org, data="+79281234567\n", purpose="check")
    _expect(cast, staff_client, "get", f"/staff/exposure/imports/{imp.pk}/", IMPORTERS)
    assert staff_client(cast.partner_coordinator).get(f"/staff/exposure/imports/{imp.pk}/").status_code == 404


def test_the_provocateur_list(cast, staff_client):
    _expect(cast, staff_client, "get", "/staff/exposure/provocateurs/", IMPORTERS)


def test_only_coordinators_change_the_provocateur_list(cast, staff_client):
    prov = provocateur_add(actor=cast.coordinator, organisation=cast.org, kind="handle", raw="@agent")
    for name in CAST:
        if name == "coordinator":
            continue
        assert staff_client(getattr(cast, name)).post(
            f"/staff/exposure/provocateurs/{prov.pk}/remove/").status_code == 404
    assert staff_client(cast.partner_coordinator).post(
        f"/staff/exposure/provocateurs/{prov.pk}/remove/").status_code == 404
    assert staff_client(cast.coordinator).post(f"/staff/exposure/provocateurs/{prov.pk}/remove/").status_code == 302
    assert not Provocateur.objects.exists()
    response = staff_client(cast.operator).post("/staff/exposure/provocateurs/", {"kind": "phone", "value": "+79281234567"})
    assert response.status_code == 302 and not Provocateur.objects.exists()
    response = staff_client(cast.coordinator).post("/staff/exposure/provocateurs/",
                                                   {"kind": "phone", "value": "+7 928 123 45 67", "note": "n"})
    assert response.status_code == 302 and Provocateur.objects.count() == 1


def test_a_wrong_identifier_is_explained(cast, staff_client):
    response = staff_client(cast.coordinator).post("/staff/exposure/provocateurs/", {"kind": "phone", "value": "12"})
    assert response.status_code == 400 and "Это не похоже на номер телефона" in response.content.decode()
