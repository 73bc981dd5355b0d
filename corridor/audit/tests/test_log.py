from __future__ import annotations

import pytest
from django.db import connection, transaction

from corridor.audit import merkle
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry, AuditHead, Checkpoint
from corridor.audit.services import (
    AuditOutsideTransaction,
    inclusion_proof,
    make_checkpoint,
    record,
)
from corridor.audit.verify import verify_log
from corridor.keyd.keystore import load_keystore

pytestmark = pytest.mark.django_db


def _append(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with transaction.atomic():
            record(CoreEvent.USER_UPDATED, actor="system:test", object_type="t", object_id=str(i), n=i)


def _verify(keyd_agent):
    ks = load_keystore(keyd_agent.keystore_path)
    return verify_log(public_key=ks.signing_public_key, origin=ks.log_origin)


@pytest.fixture
def log(keyd_agent):
    _append(20)
    make_checkpoint()
    _append(13, start=20)
    make_checkpoint()
    return keyd_agent


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction():
    with pytest.raises(AuditOutsideTransaction):
        record(CoreEvent.USER_UPDATED, actor="x")


def test_an_entry_rolls_back_with_its_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        record(CoreEvent.USER_UPDATED, actor="x")
        raise RuntimeError
    assert AuditEntry.objects.count() == 0


def test_audit_data_refuses_floats_and_objects():
    with transaction.atomic(), pytest.raises(TypeError):
        record(CoreEvent.USER_UPDATED, actor="x", amount=1.5)


def test_an_intact_log_verifies(log):
    report = _verify(log)
    assert report.ok, report.problems
    assert report.entries == 33 and report.checkpoints == 2


def test_the_head_root_matches_an_independent_computation(log):
    leaves = [bytes(h) for h in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    assert bytes(AuditHead.objects.get().root) == merkle.root_from_leaf_hashes(leaves)


def _leaf_with(entry, **changes) -> bytes:
    from corridor.audit.services import canonical_leaf

    fields = dict(seq=entry.seq, ts_us=entry.ts_us, code=entry.code, actor=entry.actor,
                  organisation=entry.organisation, object_type=entry.object_type, object_id=entry.object_id,
                  data=entry.data)
    return canonical_leaf(**{**fields, **changes})


def test_an_altered_row_is_named(log):
    AuditEntry.objects.filter(seq=7).update(leaf=_leaf_with(AuditEntry.objects.get(seq=7), data={"n": 999}))
    report = _verify(log)
    assert not report.ok
    assert report.first_bad_seq == 7


def test_an_altered_row_with_a_recomputed_leaf_hash_is_still_named(log):
    leaf = _leaf_with(AuditEntry.objects.get(seq=5), data={"n": 12345})
    AuditEntry.objects.filter(seq=5).update(leaf=leaf, leaf_hash=merkle.leaf_hash(leaf))
    report = _verify(log)
    assert report.first_bad_seq == 5
    assert any("checkpoint" in p.message for p in report.problems)


def test_a_deleted_row_is_named(log):
    AuditEntry.objects.filter(seq=11).delete()
    report = _verify(log)
    assert report.first_bad_seq == 11
    assert "missing" in report.problems[0].message


def test_deleting_the_tail_is_detected(log):
    AuditEntry.objects.filter(seq__gte=25).delete()
    report = _verify(log)
    assert not report.ok
    assert any("removed from the end" in p.message for p in report.problems)


def test_reordered_rows_are_named(log):
    a = AuditEntry.objects.get(seq=3)
    b = AuditEntry.objects.get(seq=4)
    with connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET seq = -1 WHERE seq = 3")  # noqa: S608
        cursor.execute(f"UPDATE {table} SET seq = 3 WHERE seq = 4")  # noqa: S608
        cursor.execute(f"UPDATE {table} SET seq = 4 WHERE seq = -1")  # noqa: S608
    assert AuditEntry.objects.get(seq=3).leaf_hash == b.leaf_hash and a.seq == 3
    report = _verify(log)
    assert report.first_bad_seq == 3


def test_a_forged_checkpoint_signature_is_detected(log):
    cp = Checkpoint.objects.order_by("size").first()
    lines = cp.note.split("\n")
    sig_line = next(i for i, line in enumerate(lines) if line.startswith("\u2014"))
    name, sig = lines[sig_line].rsplit(" ", 1)
    lines[sig_line] = f"{name} {'A' + sig[1:] if sig[0] != 'A' else 'B' + sig[1:]}"
    Checkpoint.objects.filter(pk=cp.pk).update(note="\n".join(lines))
    report = _verify(log)
    assert not report.ok
    assert "signature" in report.problems[0].message


def test_an_inclusion_proof_from_stored_nodes_verifies(log):
    cp = Checkpoint.objects.order_by("-size").first()
    for seq in (0, 7, 19, 32):
        entry = AuditEntry.objects.get(seq=seq)
        proof = inclusion_proof(seq, cp.size)
        assert merkle.verify_inclusion(bytes(entry.leaf_hash), seq, cp.size, proof, bytes(cp.root))


def test_checkpoints_follow_the_c2sp_shape(log):
    cp = Checkpoint.objects.order_by("size").first()
    body, _, signatures = cp.note.partition("\n\n")
    origin, size, root = body.split("\n")
    assert origin == "corridor.test/audit" and size == "20"
    assert signatures.startswith("\u2014 corridor.test/audit ")


def test_the_audit_verify_command_names_the_first_bad_entry(log, capsys):
    from django.core.management import CommandError, call_command

    call_command("audit", "verify", "--quiet")
    assert "OK: 33 entries" in capsys.readouterr().out
    AuditEntry.objects.filter(seq=9).update(actor="someone-else")
    with pytest.raises(CommandError, match="first bad entry: 9"):
        call_command("audit", "verify", "--quiet")
