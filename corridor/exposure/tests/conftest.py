from __future__ import annotations

import pytest


@pytest.fixture
def people(cast):
    """Three people of the north organisation: one with a case worker, one in a
    case without a worker, one whose phone is kept only as a further identifier."""
    from corridor.cases.services import case_open, person_create
    from corridor.exposure.services import identifier_add

    ahmed = person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Ахмед"},
                          phone="+7 928 123-45-67", risk=2)
    case_open(actor="system:test", person=ahmed, worker=cast.alice)
    zarema = person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Зарема"},
                           phone="+79287654321", risk=5)
    case_open(actor="system:test", person=zarema)
    ruslan = person_create(actor="system:test", organisation=cast.org, identity={"name_cyrillic": "Руслан"}, risk=1)
    case_open(actor="system:test", person=ruslan, worker=cast.bob)
    identifier_add(actor="system:test", organisation=cast.org, kind="handle", raw="@ruslan_k",
                   data_key=ruslan.data_key, person=ruslan)
    # Someone of the partner organisation with a phone that is also in the list:
    # never matched for the north organisation.
    person_create(actor="system:test", organisation=cast.other_org, identity={"name_cyrillic": "Чужой"},
                  phone="+79280000001")
    return {"ahmed": ahmed, "zarema": zarema, "ruslan": ruslan}
