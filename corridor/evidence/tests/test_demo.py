from __future__ import annotations

import pytest

from corridor.evidence import demo
from corridor.evidence import models as m
from corridor.evidence.models import BundleRequest, EvidenceFile, Filing, ViolationEvent
from corridor.web.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_the_demo_loads_synthetic_evidence_in_all_three_waves(cast, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    from corridor.cases.services import person_create

    for _ in range(5):
        person_create(actor="system:demo", organisation=cast.org, identity={"name_latin": "Demo"})
    ctx = DemoContext(seed=3, cases=0)
    ctx.organisations = [cast.org, cast.other_org]
    ctx.staff = {"north": {"legal": [cast.legal]}}
    demo.populate(ctx)
    assert m.Testimony.objects.count() == 10 and EvidenceFile.objects.count() == 3
    waves = set(ViolationEvent.objects.values_list("wave__starts__year", flat=True))
    assert waves == {2016, 2017, 2018}
    assert Filing.objects.filter(body="echr").exists()
    assert BundleRequest.objects.get().status == "pending"
    assert (tmp_path / "demo-bundle-identity.txt").stat().st_mode & 0o077 == 0
