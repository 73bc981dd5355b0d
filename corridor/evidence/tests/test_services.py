"""Services: validation, audit entries (codes and ids, never content) and encryption at rest."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from corridor.audit.models import AuditEntry
from corridor.evidence import models as m
from corridor.evidence import selectors, services
from corridor.evidence.events import EvidenceEvent
from corridor.evidence.models import Source, Term, ViolationEvent, Wave
from corridor.evidence.tests.conftest import term

pytestmark = pytest.mark.django_db


def raw_row(model, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])
        row = cursor.fetchone()
    return repr(row)


def test_testimony_text_is_encrypted_at_rest(world):
    row = raw_row(m.Testimony, world.t_public.pk)
    assert "basement" not in row and "Detained" not in row
    assert m.Testimony.objects.get(pk=world.t_public.pk).transcript == "Held three days in a basement."


def test_event_titles_are_encrypted_at_rest(world):
    assert "Argun" not in raw_row(ViolationEvent, world.e1.pk)


def test_the_audit_log_holds_codes_and_ids_not_content(world):
    text = repr(list(AuditEntry.objects.values_list("leaf", flat=True)))
    for secret in ("basement", "Argun", "Police unit", "relative of a detainee", "Only for us", "injuries"):
        assert secret not in text
    recorded = AuditEntry.objects.get(code=EvidenceEvent.TESTIMONY_RECORDED, object_id=world.t_public.code)
    assert recorded.data == {"person": world.k1.code, "consent": ["public", "legal", "osce"],
                             "happened": world.t_public.interviewed_on.isoformat()}


def test_a_testimony_needs_a_witness_or_a_source_description(cast):
    with pytest.raises(services.EvidenceError):
        services.testimony_record(actor=cast.legal, language="ru", transcript="x", interviewer=cast.legal,
                                  interviewed_on=date(2017, 1, 1))


def test_a_testimony_is_dated_by_the_interview_never_in_the_future(cast, world):
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(services.EvidenceError, match="future|наступила"):
        services.testimony_record(actor=cast.legal, source_label="a neighbour", language="ru", transcript="x",
                                  interviewer=cast.legal, interviewed_on=tomorrow)
    with pytest.raises(services.EvidenceError, match="future|наступила"):
        services.testimony_update(actor=cast.legal, testimony=world.t_public, interviewed_on=tomorrow)
    written_up_later = services.testimony_record(actor=cast.legal, source_label="a neighbour", language="ru",
                                                 transcript="x", interviewer=cast.legal,
                                                 interviewed_on=date(2017, 5, 2))
    entry = AuditEntry.objects.get(code=EvidenceEvent.TESTIMONY_RECORDED, object_id=written_up_later.code)
    assert entry.data["happened"] == "2017-05-02"


def test_a_testimony_cannot_name_another_organisations_person(cast):
    from corridor.cases.services import person_create

    theirs = person_create(actor="system:test", organisation=cast.other_org, identity={})
    with pytest.raises(services.EvidenceError):
        services.testimony_record(actor=cast.legal, person=theirs, language="ru", transcript="x",
                                  interviewer=cast.legal, interviewed_on=date(2017, 1, 1))


def test_changing_consent_is_its_own_audit_entry(world, cast):
    services.testimony_update(actor=cast.legal, testimony=world.t_internal, consent_partners=["un"])
    entry = AuditEntry.objects.get(code=EvidenceEvent.TESTIMONY_CONSENT_CHANGED)
    assert entry.data == {"before": ["internal"], "after": ["un"]}
    with pytest.raises(services.EvidenceError):
        services.testimony_update(actor=cast.legal, testimony=world.t_internal, consent_partners=["kgb"])


def test_events_fall_into_their_wave_by_date(cast):
    first = services.violation_create(actor=cast.legal, title="a", starts=date(2017, 1, 20))
    third = services.violation_create(actor=cast.legal, title="b", starts=date(2019, 1, 2))
    outside = services.violation_create(actor=cast.legal, title="c", starts=date(2020, 6, 1))
    assert first.wave.starts == date(2016, 12, 1)
    assert third.wave.ends == date(2019, 1, 31)
    assert outside.wave is None
    assert first.code == "E-0001" and outside.code == "E-0003"


def test_the_three_waves_and_vocabularies_ship_in_both_languages():
    assert Wave.objects.filter(organisation=None).count() == 3
    for code in ("arbitrary_detention", "torture", "sexual_violence", "killing", "enforced_disappearance",
                 "threats", "extortion", "forced_outing"):
        t = Term.objects.get(vocabulary="act_type", code=code, organisation=None)
        assert t.label_en and t.label_ru and t.label_en != t.label_ru
    assert Term.objects.filter(vocabulary="place_kind", code="unofficial_detention").exists()
    assert Term.objects.filter(vocabulary="perpetrator_kind", code="relative").exists()


def test_a_vocabulary_is_extended_per_organisation(cast, partner_legal):
    added = services.term_add(actor=cast.legal, vocabulary="act_type", label_en="Forced shaving",
                              label_ru="Принудительное бритьё")
    assert added.code == "forced_shaving" and added.organisation == cast.org
    assert added in selectors.terms_for(cast.org, "act_type")
    assert added not in selectors.terms_for(cast.other_org, "act_type")
    with pytest.raises(services.EvidenceError):
        services.term_add(actor=cast.legal, vocabulary="act_type", label_en="Torture", label_ru="Пытки")
    with pytest.raises(services.EvidenceError):
        services.act_add(actor=partner_legal, event=services.violation_create(actor=partner_legal, title="x"),
                         act_type=added)


def test_event_dates_must_make_sense(cast):
    with pytest.raises(services.EvidenceError):
        services.violation_create(actor=cast.legal, title="x", starts=date(2017, 3, 1), ends=date(2017, 2, 1))
    with pytest.raises(services.EvidenceError):
        services.violation_create(actor=cast.legal, title="x", starts_precision="week")
    with pytest.raises(services.EvidenceError):
        services.violation_create(actor=cast.legal, title="  ")


def test_a_source_is_a_testimony_or_a_document_never_both(world, cast):
    with pytest.raises(services.EvidenceError):
        services.source_add(actor=cast.legal, event=world.e1, testimony=world.t_public, file=world.pdf)
    with pytest.raises(services.EvidenceError):
        services.source_add(actor=cast.legal, event=world.e1)
    with pytest.raises(services.EvidenceError):
        services.source_add(actor=cast.legal, event=world.e2, act=world.a_public, testimony=world.t_public)


def test_independent_sources_count_witnesses_not_testimonies(world, cast):
    per_event, per_act = selectors.independent_counts([world.e1.id, world.e2.id])
    assert per_event[world.e1.id] == 3  # K-0001's testimony, K-0002's testimony, the photo
    assert per_act[world.a_public.id] == 1 and per_act[world.a_internal.id] == 2
    # A second testimony of the same witness adds no independent source ...
    again = services.testimony_record(actor=cast.legal, person=world.k1, language="ru", transcript="again",
                                      interviewer=cast.legal, interviewed_on=date(2018, 1, 1))
    services.source_add(actor=cast.legal, event=world.e1, act=world.a_public, testimony=again)
    # ... an event-level document supports every act of the event.
    services.source_add(actor=cast.legal, event=world.e1, file=world.pdf)
    per_event, per_act = selectors.independent_counts([world.e1.id])
    assert per_event[world.e1.id] == 4
    assert per_act[world.a_public.id] == 2 and per_act[world.a_internal.id] == 3
    # e2: an anonymous source and an event-level document.
    assert selectors.independent_counts([world.e2.id])[1][world.a_echr.id] == 2
    assert Source.objects.count() == 7


def test_acts_validate_perpetrators_and_places(world, cast, partner_legal):
    foreign = services.place_create(actor=partner_legal, name="elsewhere", kind=term("settlement"))
    with pytest.raises(services.EvidenceError):
        services.act_add(actor=cast.legal, event=world.e1, act_type=term("threats"), places=[foreign])
    with pytest.raises(services.EvidenceError):
        services.act_add(actor=cast.legal, event=world.e1, act_type=term("police_unit"))
    with pytest.raises(services.EvidenceError):
        services.act_add(actor=cast.legal, event=world.e1, act_type=term("threats"),
                         perpetrators=[(world.unit, "cheered")])


def test_custody_of_a_file_is_in_the_merkle_log_with_its_hash(world, cast):
    from corridor.audit import merkle
    from corridor.audit.models import AuditHead
    from corridor.audit.services import inclusion_proof, make_checkpoint

    list(services.file_view(actor=cast.legal, file=world.photo))
    services.file_transfer(actor=cast.legal, file=world.photo, to="echr", method="courier")
    custody = list(selectors.custody_for(world.photo))
    assert [e.code for e in custody] == [EvidenceEvent.FILE_RECEIVED, EvidenceEvent.FILE_VIEWED,
                                         EvidenceEvent.FILE_TRANSFERRED]
    assert all(e.data["sha256"] == world.photo.sha256 and e.data["file"] == str(world.photo.id) for e in custody)
    make_checkpoint()
    size = AuditHead.objects.get().size
    root = bytes(AuditHead.objects.get().root)
    for entry in custody:
        assert merkle.verify_inclusion(bytes(entry.leaf_hash), entry.seq, size, inclusion_proof(entry.seq, size), root)
    with pytest.raises(services.EvidenceError):
        services.file_transfer(actor=cast.legal, file=world.photo, to="kgb", method="courier")


def test_filings_validate_body_and_ownership(cast, partner_legal, world):
    with pytest.raises(services.EvidenceError):
        services.filing_create(actor=cast.legal, body="fsb", title="x")
    with pytest.raises(services.EvidenceError):
        services.filing_create(actor=partner_legal, body="echr", title="x", events=[world.e1])
    with pytest.raises(services.EvidenceError):
        services.filing_create(actor=cast.legal, body="echr", title="x", final_decision_on=date(2023, 5, 1),
                               lodged_on=date(2023, 4, 1))
    filing = services.filing_update(actor=cast.legal, filing=world.filing, status="lodged",
                                    lodged_on=date(2023, 6, 1), events=[world.e1, world.e2])
    assert set(filing.events.all()) == {world.e1, world.e2}
