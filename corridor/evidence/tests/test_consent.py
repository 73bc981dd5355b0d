"""Consent: an act whose only testimony is internal only never leaves the organisation,
neither in a bundle for outside partners nor in a public aggregate."""

from __future__ import annotations

import io
import json
import tarfile
from types import SimpleNamespace

import pyrage
import pytest

from corridor.evidence import bundle_format as fmt
from corridor.evidence import consent, selectors, services, storage
from corridor.evidence.statistics import raw_counts
from corridor.reports.disclosure import Policy

pytestmark = pytest.mark.django_db
EXACT = Policy(threshold=1, rounding=1, delay_days=0)


def t(public=False, legal=False, partners=()):
    return SimpleNamespace(consent_public=public, consent_legal=legal, consent_partners=list(partners))


@pytest.mark.parametrize(("testimony", "use", "allowed"), [
    (t(), "public", False), (t(), "legal", False), (t(), "echr", False), (t(), "journalist", False),
    (t(public=True), "public", True), (t(public=True), "legal", False),
    (t(legal=True), "legal", True), (t(legal=True), "echr", True), (t(legal=True), "osce", False),
    (t(partners=["echr"]), "echr", True), (t(partners=["echr"]), "legal", False),
    (t(partners=["journalist"]), "journalist", True), (t(partners=["journalist"]), "public", False),
    (t(public=True, legal=True, partners=["osce", "un"]), "internal", False),
])
def test_each_use_needs_its_own_consent(testimony, use, allowed):
    assert consent.testimony_permits(testimony, use) is allowed


def test_act_rules():
    internal, public = t(), t(public=True)
    assert not consent.act_permitted([internal], 0, "public")
    assert not consent.act_permitted([internal], 3, "public"), "a document does not override the testimony"
    assert consent.act_permitted([internal, public], 0, "public")
    assert consent.act_permitted([], 1, "public"), "documents alone may go"
    assert not consent.act_permitted([], 0, "public"), "an unsourced act is not evidence yet"


def test_permitted_acts_uses_event_level_sources_too(world):
    assert selectors.permitted_acts([world.e1.id, world.e2.id], "public") == {world.a_public.id}
    # e2's act is supported by an ECHR-consented testimony and an event-level PDF.
    assert selectors.permitted_acts([world.e2.id], "echr") == {world.a_echr.id}
    assert selectors.permitted_acts([world.e2.id], "osce") == set()


def _manifest(bundle, identity) -> tuple[dict, bytes]:
    plain = pyrage.decrypt(storage.path_for(bundle.blob).read_bytes(), [identity.identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
        return json.loads(archive.extractfile(fmt.MANIFEST).read()), plain


def test_an_echr_bundle_leaves_out_the_internal_act_its_testimony_and_its_photo(built_bundle, world, identity):
    manifest, plain = _manifest(built_bundle, identity)
    acts = [a["type"] for e in manifest["events"] for a in e["acts"]]
    assert sorted(acts) == ["arbitrary_detention", "enforced_disappearance"]
    assert "torture" not in acts
    assert sorted(x["code"] for x in manifest["testimonies"]) == sorted([world.t_public.code, world.t_echr.code])
    assert [f["id"] for f in manifest["files"]] == [str(world.pdf.id)]
    assert manifest["withheld_for_consent"] == {"events": [], "acts": 1, "files": [world.photo.code],
                                               "files_without_copy": []}
    # Nothing of the internal testimony is anywhere in the archive.
    assert b"Only for us." not in plain and world.t_internal.code.encode() not in plain
    assert world.k2.code.encode() not in plain
    assert built_bundle.excluded["files"] == [world.photo.code]


def test_a_journalist_bundle_gets_nothing_without_journalist_consent(world, cast, identity):
    bundle = services.bundle_request(actor=cast.legal, audience="journalist", recipients=[identity.recipient],
                                     events=[world.e1, world.e2], files=[world.photo, world.pdf])
    bundle = services.bundle_approve(actor=cast.coordinator, bundle=bundle)
    manifest, plain = _manifest(bundle, identity)
    assert manifest["events"] == [] and manifest["files"] == [] and manifest["testimonies"] == []
    assert b"basement" not in plain and b"Saw him taken" not in plain


def test_an_osce_bundle_takes_the_osce_consented_act_only(world, cast, identity):
    bundle = services.bundle_request(actor=cast.legal, audience="osce", recipients=[identity.recipient],
                                     events=[world.e1, world.e2])
    manifest, _ = _manifest(services.bundle_approve(actor=cast.coordinator, bundle=bundle), identity)
    assert [e["code"] for e in manifest["events"]] == [world.e1.code]
    assert [a["type"] for a in manifest["events"][0]["acts"]] == ["arbitrary_detention"]
    assert manifest["withheld_for_consent"]["events"] == [world.e2.code]


def test_the_public_aggregate_never_counts_an_internal_only_act(world, cast):
    from datetime import date

    counts, _ = raw_counts(cast.org, date(2030, 1, 1), EXACT)
    assert dict(counts["type"]) == {world.a_public.act_type.label: 1}
    assert counts["total"]["all"] == 1  # e2's only testimony does not consent to public use


def test_withdrawing_consent_removes_the_act_from_the_aggregate(world, cast):
    from datetime import date

    services.testimony_update(actor=cast.legal, testimony=world.t_public, consent_public=False)
    counts, _ = raw_counts(cast.org, date(2030, 1, 1), EXACT)
    assert counts["total"]["all"] == 0
