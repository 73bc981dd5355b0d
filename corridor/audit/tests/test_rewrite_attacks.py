"""The rewrites an attacker with write access to the database would try, each caught
by the key agent refusing to sign or by `corridor audit verify` failing.

The attacker here can do anything to the tables: change a row, recompute its leaf
hash, every tree node and the head, delete entries and checkpoints. What they
cannot reach is the key agent's memory of the head it signed.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from corridor.audit import merkle
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditAlert, AuditEntry, AuditHead, AuditNode, Checkpoint, node_key
from corridor.audit.services import SigningRefused, canonical_leaf, make_checkpoint, record
from corridor.keyd.signed_heads import state_path

pytestmark = pytest.mark.django_db


def _append(n: int) -> None:
    start = AuditHead.objects.filter(id=1).values_list("size", flat=True).first() or 0
    for i in range(start, start + n):
        with transaction.atomic():
            record(CoreEvent.USER_UPDATED, actor="system:test", object_type="t", object_id=str(i), n=i)


def _recompute_tree() -> None:
    """The attacker's clean-up: leaf hashes, every node and the head rebuilt from the rows."""
    AuditNode.objects.all().delete()
    compact = merkle.CompactRange()
    nodes = []
    for e in AuditEntry.objects.order_by("seq"):
        leaf = merkle.leaf_hash(bytes(e.leaf))
        AuditEntry.objects.filter(seq=e.seq).update(leaf_hash=leaf)
        nodes += [AuditNode(key=node_key(lv, ix), hash=h) for lv, ix, h in compact.append(leaf)]
    AuditNode.objects.bulk_create(nodes)
    AuditHead.objects.update_or_create(id=1, defaults={
        "size": compact.size, "compact": compact.to_bytes(), "root": compact.root()})


def _forge_row(seq: int) -> None:
    e = AuditEntry.objects.get(seq=seq)
    AuditEntry.objects.filter(seq=seq).update(actor="someone-else", leaf=canonical_leaf(
        seq=e.seq, ts_us=e.ts_us, code=e.code, actor="someone-else", organisation=e.organisation,
        object_type=e.object_type, object_id=e.object_id, data={"n": 999}))
    _recompute_tree()


def _delete_from(seq: int) -> None:
    AuditEntry.objects.filter(seq__gte=seq).delete()
    Checkpoint.objects.filter(size__gt=seq).delete()
    _recompute_tree()


def _verify(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", "--quiet", *args, stdout=out, stderr=err)
    except CommandError as exc:
        raise AssertionError(err.getvalue() + str(exc)) from None
    return out.getvalue()


def _verify_fails(*args: str, match: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="does NOT verify"):
        call_command("audit", "verify", "--quiet", *args, stdout=io.StringIO(), stderr=err)
    assert match in err.getvalue(), err.getvalue()
    return err.getvalue()


@pytest.fixture
def signed_log():
    _append(30)
    make_checkpoint()
    _append(20)
    make_checkpoint()
    assert _verify().startswith("OK: 50 entries")  # the verification itself is audited: entry 50
    return Checkpoint.objects.order_by("-size").first()


def _refused(match: str) -> None:
    with pytest.raises(SigningRefused, match=match):
        make_checkpoint()
    alert = AuditAlert.objects.get(kind=AuditAlert.Kind.SIGNING_REFUSED)
    assert match in alert.message
    refusal = AuditEntry.objects.filter(code=CoreEvent.CHECKPOINT_REFUSED).get()
    assert match in refusal.data["reason"]


def test_a_changed_row_with_recomputed_tree_and_no_checkpoints_is_caught_twice(signed_log):
    _forge_row(7)
    Checkpoint.objects.all().delete()
    _verify_fails(match="no signed checkpoint")
    _verify_fails(match="the key agent signed 50 entries with another root")
    # ... and the key agent will not sign the forgery, however it is presented.
    _refused("not consistent with the head keyd signed at 50")
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "REFUSED" in out.getvalue() and "ALERT" in out.getvalue()


def test_the_refusal_is_audited_and_alerted_once_while_the_alert_is_open(signed_log):
    _delete_from(50)  # back to exactly the signed size, then one changed row
    _forge_row(3)
    Checkpoint.objects.all().delete()
    _refused("different root at size 50")
    with pytest.raises(SigningRefused):
        make_checkpoint()  # the ticker tries again a minute later
    assert AuditAlert.objects.count() == 1
    assert AuditEntry.objects.filter(code=CoreEvent.CHECKPOINT_REFUSED).count() == 1


def test_deleting_signed_entries_after_the_last_stored_checkpoint_is_caught(signed_log):
    # The newest entries were signed by the key agent; the attacker removes them and
    # the checkpoint row, so the database ends at an older, genuine checkpoint.
    _append(5)
    make_checkpoint()
    _delete_from(51)
    _verify_fails(match="the key agent signed 56 entries but the log holds only 51")


def test_an_unsigned_tail_older_than_the_bound_fails(signed_log, settings):
    _append(3)
    settings.CORRIDOR_AUDIT_UNSIGNED_MAX_SECONDS = 1
    AuditEntry.objects.filter(seq__gte=50).update(ts_us=time.time_ns() // 1000 - 5_000_000)
    _recompute_tree()
    _verify_fails(match="stayed unsigned for")


def test_an_unsigned_tail_longer_than_the_bound_fails(signed_log, settings):
    settings.CORRIDOR_AUDIT_UNSIGNED_MAX_ENTRIES = 4
    _append(5)
    _verify_fails(match="6 entries after the newest signed checkpoint (at 50) exceed the bound of 4")
    make_checkpoint()
    assert _verify().startswith("OK")


def test_a_log_with_entries_and_no_checkpoint_fails():
    _append(3)
    _verify_fails(match="no signed checkpoint")


def test_deleting_the_last_200_entries_with_their_checkpoint_is_caught(signed_log):
    _append(200)
    make_checkpoint()
    _delete_from(51)
    _verify_fails(match="signed 251 entries but the log holds only 51")
    # Growing the log back to a shorter tree than the one signed is refused too.
    _append(100)
    _refused("already signed 251")


def test_deleting_the_newest_checkpoint_and_re_signing_a_shorter_tree_is_refused(signed_log):
    _append(40)
    make_checkpoint()
    newest = Checkpoint.objects.order_by("-size").first()
    _delete_from(newest.size - 10)
    _refused(f"already signed {newest.size}")
    _verify_fails(match=f"the key agent signed {newest.size} entries")


def test_rewriting_then_growing_past_the_signed_head_is_refused(signed_log):
    _forge_row(10)
    Checkpoint.objects.all().delete()
    _append(30)  # a longer forged tree: no consistency proof from the signed head exists
    _refused("not consistent with the head keyd signed at 50")


def test_a_state_file_replaced_with_an_older_one_is_refused(signed_log, keyd_agent):
    path = state_path(keyd_agent.keystore_path)
    old = path + ".attacker-copy"
    shutil.copy(path, old)  # the head at 50
    _append(10)
    make_checkpoint()
    # Roll keyd back to 50, then rewrite what came after and ask for a signature.
    shutil.copy(old, path)
    _delete_from(50)
    _forge_row(49)
    _append(30)
    _refused("replaced")
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Signed head: replaced" in out.getvalue()


def test_reset_head_needs_a_reason_and_is_audited_and_alerted(signed_log):
    with pytest.raises(CommandError, match="reason"):
        call_command("audit", "reset-head", "--reason", "  ", stdout=io.StringIO())
    call_command("audit", "reset-head", "--reason", "restored from backup after disk failure", stdout=io.StringIO())
    entry = AuditEntry.objects.get(code=CoreEvent.SIGNED_HEAD_RESET)
    assert entry.data["reason"] == "restored from backup after disk failure"
    assert entry.data["previous_size"] == 50
    assert AuditAlert.objects.filter(kind=AuditAlert.Kind.HEAD_RESET).count() == 1


def test_a_checkpoint_kept_elsewhere_catches_a_rewrite_even_after_an_insider_resets_keyd(signed_log, tmp_path):
    copy = tmp_path / "court-copy.txt"
    copy.write_text(signed_log.note)  # what a witness or court kept
    # An insider administrator resets keyd (audited, but the attacker rewrites that
    # entry too) and has the forged history signed afresh.
    _forge_row(5)
    Checkpoint.objects.all().delete()
    call_command("audit", "reset-head", "--reason", "cover-up", stdout=io.StringIO())
    AuditAlert.objects.all().delete()
    make_checkpoint()
    assert _verify().startswith("OK")  # the database and keyd now agree with each other...
    _verify_fails("--against", str(copy), match="signed 50 entries with another root")


def test_against_reads_several_notes_and_refuses_a_file_without_our_signature(signed_log, tmp_path):
    both = tmp_path / "both.txt"
    both.write_text("".join(cp.note for cp in Checkpoint.objects.order_by("size")))
    assert "3 outside heads agree" in _verify("--against", str(both))  # two, plus the key agent's
    junk = tmp_path / "junk.txt"
    junk.write_text("not a checkpoint\n")
    with pytest.raises(CommandError, match="does not hold checkpoints signed"):
        call_command("audit", "verify", "--quiet", "--against", str(junk), stdout=io.StringIO())


def test_against_a_url_on_this_machine(signed_log, tmp_path):
    """A witness publishes its copy over HTTP; here a server on the loopback interface."""
    import functools
    import http.server
    import threading

    (tmp_path / "checkpoint.txt").write_text(signed_log.note)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/checkpoint.txt"
        assert "2 outside heads agree" in _verify("--against", url)
        _forge_row(1)
        Checkpoint.objects.all().delete()
        call_command("audit", "reset-head", "--reason", "cover-up", stdout=io.StringIO())
        make_checkpoint()
        _verify_fails("--against", url, match="signed 50 entries with another root")
    finally:
        server.shutdown()
        server.server_close()


def test_the_incremental_verify_starts_where_the_last_one_ended(signed_log, tmp_path):
    (tmp_path / "audit-verified.json").unlink()  # as if the first verification had not happened
    err = io.StringIO()
    call_command("audit", "verify", "--quiet", "--since-checkpoint", stdout=io.StringIO(), stderr=err)
    assert "verifying the whole log" in err.getvalue()  # nothing recorded yet
    first = json.loads((tmp_path / "audit-verified.json").read_text())
    _append(5)
    make_checkpoint()
    out = _verify("--since-checkpoint")
    assert f"entries {first['size']}–" in out, out
    assert json.loads((tmp_path / "audit-verified.json").read_text())["size"] > first["size"]


def test_the_incremental_verify_catches_a_rewrite_after_its_start(signed_log, tmp_path):
    _verify()
    start = json.loads((tmp_path / "audit-verified.json").read_text())["size"]
    _append(5)
    make_checkpoint()
    _forge_row(start + 2)
    _verify_fails("--since-checkpoint", match="does not match the log")


def test_an_edited_state_file_cannot_skip_a_rewrite(signed_log, tmp_path):
    # The attacker rewrites an old entry (recomputing the tree) and points the state file
    # at the newest checkpoint with a root of their choosing: refused, not skipped.
    state = tmp_path / "audit-verified.json"
    _verify()
    _forge_row(3)
    data = json.loads(state.read_text())
    _verify_fails("--since-checkpoint", match="do not fold")
    data["root"] = base64.b64encode(b"\x07" * 32).decode()
    state.write_text(json.dumps(data))
    _verify_fails("--since-checkpoint", match="no longer holds")


def test_repeats_are_counted_on_the_open_alert_and_acknowledging_rearms_it(signed_log, cast):
    from corridor.audit.services import AlertError, acknowledge_alert

    _delete_from(50)
    _forge_row(3)
    Checkpoint.objects.all().delete()
    _refused("different root at size 50")
    for _ in range(3):
        with pytest.raises(SigningRefused):
            make_checkpoint()
    alert = AuditAlert.objects.get()
    assert alert.repeats == 3 and "rewritten" in alert.last_message and alert.last_seen
    with pytest.raises(PermissionError):
        acknowledge_alert(actor=cast.coordinator, alert_id=alert.pk, note="looked")
    with pytest.raises(AlertError):
        acknowledge_alert(actor=cast.admin, alert_id=alert.pk, note="  ")
    acknowledge_alert(actor=cast.admin, alert_id=alert.pk, note="restored the database from the 02:00 backup")
    entry = AuditEntry.objects.get(code=CoreEvent.ALERT_ACKNOWLEDGED)
    assert entry.object_id == str(alert.pk) and "backup" not in bytes(entry.leaf).decode()
    with pytest.raises(AlertError):
        acknowledge_alert(actor=cast.admin, alert_id=alert.pk, note="twice")
    # The condition persists: the next refusal raises a new alert, audited again.
    with pytest.raises(SigningRefused):
        make_checkpoint()
    assert AuditAlert.objects.filter(acknowledged=None).count() == 1
    assert AuditEntry.objects.filter(code=CoreEvent.CHECKPOINT_REFUSED).count() == 2


def test_the_cli_acknowledges_an_alert_by_its_number(signed_log):
    alert = AuditAlert.objects.create(kind=AuditAlert.Kind.HEAD_RESET, message="reset")
    with pytest.raises(CommandError):
        call_command("audit", "acknowledge", str(alert.pk + 100), "--note", "x", stdout=io.StringIO())
    call_command("audit", "acknowledge", str(alert.pk), "--note", "planned restore", stdout=io.StringIO())
    alert.refresh_from_db()
    assert alert.acknowledged and alert.acknowledged_by == "system:cli"
