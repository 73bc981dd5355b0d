"""The block-wise verifier: whole aligned blocks hashed as one subtree, the indexed
columns checked against the signed leaf by the database, and the incremental mode that
starts from a head an earlier full verification accepted. Tampering is done as an
attacker with write access to the database would: rows, leaf hashes, tree nodes."""

from __future__ import annotations

import pytest
from django.db import transaction

from corridor.audit import merkle, verify
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditEntry, AuditNode, Checkpoint, node_key
from corridor.audit.services import canonical_leaf, make_checkpoint, record
from corridor.audit.verify import OutsideHead, verify_log
from corridor.keyd.keystore import load_keystore

pytestmark = pytest.mark.django_db


def _append(n: int, start: int) -> None:
    for i in range(start, start + n):
        with transaction.atomic():
            record(CoreEvent.USER_UPDATED, actor="system:test", object_type="t", object_id=str(i), n=i)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(verify, "BLOCK_LEVEL", 2)  # blocks of 4 entries


@pytest.fixture
def log(keyd_agent, small_blocks):
    _append(10, 0)
    make_checkpoint()  # 10: inside a block
    _append(10, 10)
    make_checkpoint()  # 20: at a block boundary
    _append(13, 20)
    make_checkpoint()  # 33
    return keyd_agent


def _verify(agent, **kwargs):
    ks = load_keystore(agent.keystore_path)
    return verify_log(public_key=ks.signing_public_key, origin=ks.log_origin, **kwargs)


def _since(size: int) -> OutsideHead:
    return OutsideHead("the last full verification", size, bytes(Checkpoint.objects.get(size=size).root))


def _rewrite(seq: int, *, leaf: bytes | None = None, **columns) -> None:
    """Change one entry and recompute its leaf hash, every tree node and nothing else."""
    e = AuditEntry.objects.get(seq=seq)
    if leaf is None:
        leaf = canonical_leaf(seq=e.seq, ts_us=e.ts_us, code=e.code, actor=e.actor, organisation=e.organisation,
                              object_type=e.object_type, object_id=e.object_id, data={"n": 999})
    AuditEntry.objects.filter(seq=seq).update(leaf=leaf, leaf_hash=merkle.leaf_hash(leaf), **columns)
    AuditNode.objects.all().delete()
    compact = merkle.CompactRange()
    nodes = []
    for h in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
        nodes += [AuditNode(key=node_key(lv, ix), hash=n) for lv, ix, n in compact.append(bytes(h))]
    AuditNode.objects.bulk_create(nodes)


@pytest.mark.parametrize("level", [0, 1, 2, 3, 13])
def test_every_block_size_accepts_the_same_intact_log(keyd_agent, monkeypatch, level):
    _append(10, 0)
    make_checkpoint()
    _append(23, 10)
    make_checkpoint()
    monkeypatch.setattr(verify, "BLOCK_LEVEL", level)
    report = _verify(keyd_agent)
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (33, 2)


def test_the_intact_log_verifies_in_small_blocks(log):
    report = _verify(log)
    assert report.ok, report.problems and report.entries == 33


def test_a_rewritten_entry_inside_a_whole_block_breaks_the_next_checkpoint(log):
    _rewrite(13)  # block 12..15, hashed as one subtree
    report = _verify(log)
    assert not report.ok
    assert any("checkpoint at size 20" in p.message and "between 10 and 19" in p.message for p in report.problems)


def test_a_changed_column_alone_is_named(log):
    # Leaf, hashes and tree untouched: only the searchable copy, to hide the entry from
    # a custody query for object 17.
    AuditEntry.objects.filter(seq=17).update(object_id="something-else")
    report = _verify(log)
    assert report.first_bad_seq == 17
    assert "indexed columns" in report.problems[0].message


@pytest.mark.parametrize("column,value", [("actor", "system:other"), ("code", 1), ("ts_us", 5),
                                          ("organisation", "x"), ("object_type", "u")])
def test_every_indexed_column_is_compared(log, column, value):
    AuditEntry.objects.filter(seq=22).update(**{column: value})
    assert _verify(log).first_bad_seq == 22


def test_a_leaf_that_is_not_json_is_named(log):
    _rewrite(3, leaf=b"not json at all")
    report = _verify(log)
    assert report.first_bad_seq == 3


def test_a_whole_missing_block_is_named(log):
    AuditEntry.objects.filter(seq__gte=4, seq__lt=8).delete()
    report = _verify(log)
    assert report.first_bad_seq == 4
    assert "entry 4 is missing (the next entry is 8)" in report.problems[0].message


def test_the_incremental_mode_accepts_an_intact_log(log):
    report = _verify(log, since=_since(20))
    assert report.ok, report.problems
    assert report.entries == 33


def test_the_incremental_mode_catches_a_rewrite_after_its_start(log):
    _rewrite(25)
    report = _verify(log, since=_since(20))
    assert not report.ok
    assert any("checkpoint at size 33" in p.message for p in report.problems)


def test_the_incremental_mode_catches_a_changed_column_after_its_start(log):
    AuditEntry.objects.filter(seq=30).update(object_id="x")
    assert _verify(log, since=_since(20)).first_bad_seq == 30


def test_the_incremental_mode_catches_a_rewrite_before_its_start_through_the_tree(log):
    _rewrite(5)  # the attacker recomputed every node: the peaks at 20 no longer fold to the accepted root
    report = _verify(log, since=_since(20))
    assert not report.ok and "do not fold" in report.problems[0].message


def test_the_incremental_mode_leaves_earlier_rows_to_the_full_verify(log):
    # Only the row and its leaf hash, not the tree: the incremental mode does not re-read
    # entries before its start (documented); the full verify, the default in cron, does.
    e = AuditEntry.objects.get(seq=5)
    leaf = canonical_leaf(seq=5, ts_us=e.ts_us, code=e.code, actor=e.actor, organisation=e.organisation,
                          object_type=e.object_type, object_id=e.object_id, data={"n": 999})
    AuditEntry.objects.filter(seq=5).update(leaf=leaf, leaf_hash=merkle.leaf_hash(leaf))
    assert _verify(log, since=_since(20)).ok
    assert _verify(log).first_bad_seq == 5


def test_the_incremental_mode_refuses_changed_tree_nodes_at_its_start(log):
    AuditNode.objects.filter(key=node_key(4, 0)).update(hash=b"\x00" * 32)  # the 16-leaf peak of size 20
    report = _verify(log, since=_since(20))
    assert not report.ok and "do not fold" in report.problems[0].message


def test_the_incremental_mode_refuses_a_start_the_database_no_longer_holds(log):
    since = _since(20)
    Checkpoint.objects.filter(size=20).delete()
    report = _verify(log, since=since)
    assert not report.ok and "no longer holds" in report.problems[0].message


def test_the_incremental_mode_refuses_a_start_with_another_root(log):
    report = _verify(log, since=OutsideHead("the last full verification", 20, b"\x01" * 32))
    assert not report.ok


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_column_scan_runs_beside_the_hashing_and_still_names(keyd_agent, small_blocks):
    from django.db import connection

    _append(9, 0)
    make_checkpoint()
    AuditEntry.objects.filter(seq=6).update(object_id="hidden")
    assert not connection.in_atomic_block
    report = _verify(keyd_agent)
    assert report.first_bad_seq == 6 and "indexed columns" in report.problems[0].message
