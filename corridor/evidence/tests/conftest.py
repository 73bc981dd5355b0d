"""Fixtures of the evidence app: a small world of testimonies, events, files and
filings in the "north" organisation, built through the services as a legal officer
would, plus a second legal officer (for two-person rules) and one in "partner"."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from corridor.accounts.permissions import Role


def _user(org, username: str, role: str):
    from corridor.accounts.services import user_create

    user, device = user_create(actor="system:test", organisation=org, username=username, role=role,
                               password="a long test password 1", display_name=username.title())
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return user


@pytest.fixture
def legal2(cast):
    return _user(cast.org, "leon", Role.LEGAL)


@pytest.fixture
def partner_legal(cast):
    return _user(cast.other_org, "petra", Role.LEGAL)


@pytest.fixture
def identity(tmp_path):
    """An age identity and its key file, as `age-keygen` writes it."""
    from pyrage import x25519

    ident = x25519.Identity.generate()
    path = tmp_path / "recipient-key.txt"
    path.write_text(f"# created: test\n# public key: {ident.to_public()}\n{ident}\n", encoding="utf-8")
    return SimpleNamespace(identity=ident, recipient=str(ident.to_public()), path=path)


def ensure_shipped_data() -> None:
    """Transactional tests of other apps flush every table, including the vocabularies
    and waves our data migration ships; put them back (idempotent)."""
    import importlib

    from django.apps import apps

    from corridor.evidence.models import Term

    if not Term.objects.filter(organisation=None).exists():
        importlib.import_module("corridor.evidence.migrations.0002_seed_vocabularies").seed(apps, None)


def term(code: str):
    from corridor.evidence.models import Term

    ensure_shipped_data()
    return Term.objects.get(code=code, organisation=None)


def ingest(actor, name: str, data: bytes, description: str = ""):
    from corridor.evidence.ingest import ingest_chunks
    from corridor.evidence.services import file_register

    ingested = ingest_chunks(organisation=actor.organisation, name=name,
                             chunks=[data[i:i + 4096] for i in range(0, len(data), 4096)])
    return file_register(actor=actor, ingested=ingested, description=description)


@pytest.fixture
def world(cast):
    """Two people, three testimonies (public, internal only, ECHR), two events with
    acts and sources, a photo and a PDF, and an ECHR filing."""
    from corridor.cases.services import person_create
    from corridor.evidence import services as s
    from corridor.evidence.samples import make_jpeg, make_pdf

    ensure_shipped_data()
    legal = cast.legal
    org = cast.org
    k1 = person_create(actor=legal, organisation=org, identity={"name_latin": "Test One"})
    k2 = person_create(actor=legal, organisation=org, identity={"name_latin": "Test Two"})
    t_public = s.testimony_record(
        actor=legal, person=k1, language="ru", transcript="Held three days in a basement.", summary="Detained",
        interviewer=legal, interviewed_on=date(2017, 5, 2), consent_public=True, consent_legal=True,
        consent_partners=["osce"],
    )
    t_internal = s.testimony_record(
        actor=legal, person=k2, language="ru", transcript="Only for us.", interviewer=legal,
        interviewed_on=date(2017, 5, 3),
    )
    t_echr = s.testimony_record(
        actor=legal, source_label="relative of a detainee", language="ce", transcript="Saw him taken.",
        interviewer=legal, interviewed_on=date(2017, 5, 4), consent_partners=["echr"],
    )
    place = s.place_create(actor=legal, name="Argun, former commandant's office", kind=term("unofficial_detention"))
    unit = s.perpetrator_create(actor=legal, name="Police unit X", kind=term("police_unit"))
    e1 = s.violation_create(actor=legal, title="Detentions in Argun", starts=date(2017, 2, 20),
                            ends=date(2017, 3, 10), place=place)
    a_public = s.act_add(actor=legal, event=e1, act_type=term("arbitrary_detention"), victim=k1, places=[place],
                         perpetrators=[(unit, "direct")])
    a_internal = s.act_add(actor=legal, event=e1, act_type=term("torture"), victim=k2,
                           perpetrators=[(unit, "direct")])
    photo = ingest(legal, "injuries.jpg", make_jpeg(), "photo of injuries")
    pdf = ingest(legal, "decision.pdf", make_pdf(), "refusal to open a case")
    s.source_add(actor=legal, event=e1, act=a_public, testimony=t_public, reliability="high")
    s.source_add(actor=legal, event=e1, act=a_internal, testimony=t_internal, reliability="medium")
    # The photo documents only the internal act: it must follow that act's consent.
    s.source_add(actor=legal, event=e1, act=a_internal, file=photo, reliability="high")
    e2 = s.violation_create(actor=legal, title="Disappearance", starts=date(2017, 4, 1),
                            starts_precision="month")
    a_echr = s.act_add(actor=legal, event=e2, act_type=term("enforced_disappearance"), victim_label="man, about 30")
    s.source_add(actor=legal, event=e2, act=a_echr, testimony=t_echr, reliability="medium")
    s.source_add(actor=legal, event=e2, file=pdf, reliability="high")
    filing = s.filing_create(actor=legal, body="echr", title="Application re K-0001", final_decision_on=date(2023, 3, 1),
                             events=[e1], people=[k1])
    return SimpleNamespace(
        k1=k1, k2=k2, t_public=t_public, t_internal=t_internal, t_echr=t_echr, place=place, unit=unit,
        e1=e1, e2=e2, a_public=a_public, a_internal=a_internal, a_echr=a_echr, photo=photo, pdf=pdf,
        filing=filing, legal=legal,
    )


@pytest.fixture
def built_bundle(world, cast, identity):
    """An ECHR bundle of both events and both files, approved by a coordinator."""
    from corridor.evidence import services as s

    bundle = s.bundle_request(actor=cast.legal, audience="echr", recipients=[identity.recipient],
                              events=[world.e1, world.e2], files=[world.photo, world.pdf], purpose="application")
    bundle = s.bundle_approve(actor=cast.coordinator, bundle=bundle)
    assert bundle.status == "ready", bundle.status
    return bundle
