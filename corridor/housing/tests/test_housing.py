"""Safe houses: addresses only for coordinators, capacity, stays, moves, occupancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.housing import selectors, services
from corridor.housing.events import HousingEvent
from corridor.housing.models import SafeHouse, Stay

pytestmark = pytest.mark.django_db
ADDRESS = "ул. Секретная, 7, кв. 3"


def test_the_address_is_stored_encrypted(house):
    raw = SafeHouse.objects.values_list("address", flat=True).get(pk=house.pk)
    assert "Секретная".encode() not in bytes(raw)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_address_is_hidden_from_case_workers(cast, staff_client, house, who):
    client = staff_client(getattr(cast, who))
    page = client.get(f"/staff/housing/{house.pk}/")
    assert page.status_code == 200 and "Берёза" in page.content.decode()
    assert ADDRESS not in page.content.decode() and "Ереван" not in page.content.decode()
    assert client.get(f"/staff/housing/{house.pk}/address/").status_code == 404
    assert client.get(f"/staff/housing/{house.pk}/edit/").status_code == 404
    assert ADDRESS not in client.get("/staff/housing/").content.decode()


def test_a_coordinator_reads_the_address_and_it_is_audited(cast, staff_client, house):
    client = staff_client(cast.coordinator)
    assert ADDRESS not in client.get(f"/staff/housing/{house.pk}/").content.decode()  # not until asked
    page = client.get(f"/staff/housing/{house.pk}/address/")
    assert ADDRESS in page.content.decode() and "Ануш" in page.content.decode()
    fragment = client.get(f"/staff/housing/{house.pk}/address/", HTTP_HX_REQUEST="true").content.decode()
    assert ADDRESS in fragment and "<header" not in fragment
    entries = AuditEntry.objects.filter(code=HousingEvent.HOUSE_ADDRESS_VIEWED)
    assert entries.count() == 2 and entries.last().actor == cast.coordinator.principal
    assert ADDRESS not in str(entries.last().data)


@pytest.mark.parametrize("who", ["operator", "legal", "finance", "admin", "auditor", "charlie",
                                 "partner_coordinator"])
def test_others_cannot_see_the_house(cast, staff_client, house, who):
    client = staff_client(getattr(cast, who))
    for url in (f"/staff/housing/{house.pk}/", f"/staff/housing/{house.pk}/address/"):
        assert client.get(url).status_code == 404


def test_check_in_out_and_capacity(cast, make_case, house):
    a, b, c = (make_case(cast.org, worker=cast.alice) for _ in range(3))
    services.stay_start(actor=cast.coordinator, house=house, person=a.person)
    services.stay_start(actor=cast.coordinator, house=house, person=b.person)
    with pytest.raises(ValidationError, match="full"):
        services.stay_start(actor=cast.coordinator, house=house, person=c.person)
    with pytest.raises(ValidationError, match="already stays"):
        services.stay_start(actor=cast.coordinator, house=house, person=a.person)
    stay = Stay.objects.get(person=a.person)
    services.stay_end(actor=cast.coordinator, stay=stay, check_out=timezone.localdate())
    services.stay_start(actor=cast.coordinator, house=house, person=c.person)
    assert selectors.occupancy_now(cast.org.pk)["occupied"] == 2


def test_dates_out_of_order_are_refused(cast, make_case, house):
    case = make_case(cast.org)
    stay = services.stay_start(actor=cast.coordinator, house=house, person=case.person,
                               check_in=timezone.localdate() - timedelta(days=3))
    with pytest.raises(ValidationError, match="before the check-in"):
        services.stay_end(actor=cast.coordinator, stay=stay, check_out=timezone.localdate() - timedelta(days=5))
    with pytest.raises(ValidationError, match="future"):
        services.stay_start(actor=cast.coordinator, house=house, person=make_case(cast.org).person,
                            check_in=timezone.localdate() + timedelta(days=1))
    services.stay_end(actor=cast.coordinator, stay=stay, check_out=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="last check-out"):
        services.stay_start(actor=cast.coordinator, house=house, person=case.person,
                            check_in=timezone.localdate() - timedelta(days=2))


def test_a_move_ends_one_stay_and_starts_the_next(cast, make_case, house, other_house):
    case = make_case(cast.org)
    stay = services.stay_start(actor=cast.coordinator, house=house, person=case.person,
                               check_in=timezone.localdate() - timedelta(days=10))
    new = services.stay_move(actor=cast.coordinator, stay=stay, to_house=other_house)
    stay.refresh_from_db()
    assert stay.check_out == timezone.localdate() and new.house == other_house and new.moved_from == stay
    assert AuditEntry.objects.filter(code=HousingEvent.STAY_MOVED).count() == 1


def test_occupancy_over_time(cast, make_case, house):
    today = timezone.localdate()
    a, b = make_case(cast.org), make_case(cast.org)
    s = services.stay_start(actor=cast.coordinator, house=house, person=a.person, check_in=today - timedelta(days=5))
    services.stay_end(actor=cast.coordinator, stay=s, check_out=today - timedelta(days=2))
    services.stay_start(actor=cast.coordinator, house=house, person=b.person, check_in=today - timedelta(days=3))
    series = dict(selectors.occupancy_series(cast.org.pk, days=7))
    assert [series[today - timedelta(days=d)] for d in range(6, -1, -1)] == [0, 1, 1, 2, 1, 1, 1]


def test_check_in_through_the_page(cast, staff_client, make_case, house):
    case = make_case(cast.org, worker=cast.alice)
    client = staff_client(cast.coordinator)
    r = client.post(f"/staff/housing/{house.pk}/check-in/", {"code": case.code.lower(),
                                                              "check_in": timezone.localdate().isoformat()})
    assert r.status_code == 302
    page = staff_client(cast.alice).get(f"/staff/housing/{house.pk}/").content.decode()
    assert case.code in page
    assert case.code not in staff_client(cast.bob).get(f"/staff/housing/{house.pk}/").content.decode()
    # A case of another organisation cannot be placed, and says nothing about existing.
    foreign = make_case(cast.other_org)
    r = client.post(f"/staff/housing/{house.pk}/check-in/", {"code": foreign.code,
                                                              "check_in": timezone.localdate().isoformat()})
    assert r.status_code == 400 and "No case with this code" in r.content.decode()
    # Case workers may not check people in.
    assert staff_client(cast.alice).post(f"/staff/housing/{house.pk}/check-in/", {"code": case.code}).status_code == 404


def test_capacity_cannot_drop_below_occupancy(cast, make_case, house):
    services.stay_start(actor=cast.coordinator, house=house, person=make_case(cast.org).person)
    services.stay_start(actor=cast.coordinator, house=house, person=make_case(cast.org).person)
    with pytest.raises(ValidationError, match="stay here now"):
        services.house_update(actor=cast.coordinator, house=house, label="Берёза", capacity=1, active=True)


def test_editing_keeps_the_address_encrypted_and_locked(cast, staff_client, house):
    client = staff_client(cast.coordinator)
    r = client.post(f"/staff/housing/{house.pk}/edit/", {"label": "Берёза-2", "capacity": 3, "active": "on",
                                                         "address": "новый адрес", "city": "Ереван",
                                                         "version": house.version})
    assert r.status_code == 302
    r = client.post(f"/staff/housing/{house.pk}/edit/", {"label": "Берёза-3", "capacity": 3, "active": "on",
                                                         "address": "ещё адрес", "version": house.version})
    assert r.status_code == 400 and "ещё адрес" in r.content.decode()
    assert SafeHouse.objects.get(pk=house.pk).label == "Берёза-2"


def test_departure_frees_the_bed(cast, make_case, house):
    from corridor.cases.models import Stage
    from corridor.cases.tests.conftest import advance

    case = make_case(cast.org, stage=Stage.VISA_ASYLUM)
    services.stay_start(actor=cast.coordinator, house=house, person=case.person,
                        check_in=timezone.localdate() - timedelta(days=20))
    advance(case, Stage.DEPARTED)
    assert Stay.objects.get().check_out is not None  # on the departure date
    assert selectors.occupancy_now(cast.org.pk)["occupied"] == 0
