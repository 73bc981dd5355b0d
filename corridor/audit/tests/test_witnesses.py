"""Witnesses of partner organisations (c2sp.org/tlog-witness, tlog-cosignature),
run as real `corridor-witness` HTTP servers on the loopback interface."""

from __future__ import annotations

import base64
import io
import threading
from contextlib import contextmanager

import pytest
from corridor_verify.witness import Witness, make_server
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import transaction

from corridor.audit.checkpoint import CheckpointError, verifier_key
from corridor.audit.cosignature import require_quorum, witness
from corridor.audit.events import CoreEvent
from corridor.audit.models import AuditAlert, AuditEntry, Checkpoint, WitnessCosignature
from corridor.audit.services import make_checkpoint, record
from corridor.audit.tests.test_rewrite_attacks import _append, _forge_row
from corridor.audit.witnesses import cosigned_note, push_latest
from corridor.keyd.keystore import load_keystore

pytestmark = pytest.mark.django_db


@contextmanager
def running_witness(tmp_path, name: str, keyd_agent):
    ks = load_keystore(keyd_agent.keystore_path)
    key = Ed25519PrivateKey.generate()
    w = Witness(name=name, private_key=key, state_path=str(tmp_path / f"{name.replace('/', '_')}.json"),
                logs=[verifier_key(ks.log_origin, ks.signing_public_key)])
    server = make_server(w, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield w, witness(name, w.public_key), f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def two_witnesses(tmp_path, keyd_agent, settings):
    with running_witness(tmp_path, "w1.example.org/corridor", keyd_agent) as a, \
            running_witness(tmp_path, "w2.example.org/corridor", keyd_agent) as b:
        settings.CORRIDOR_WITNESSES = [(a[1].vkey, a[2]), (b[1].vkey, b[2])]
        yield a, b


def test_each_new_checkpoint_is_cosigned_by_both_and_stored_beside_it(two_witnesses):
    (_, k1, _), (_, k2, _) = two_witnesses
    _append(10)
    make_checkpoint()
    assert push_latest() == {k1.name: "cosigned", k2.name: "cosigned"}
    _append(7)
    cp = make_checkpoint()
    assert push_latest() == {k1.name: "cosigned", k2.name: "cosigned"}  # with a consistency proof from 10
    assert push_latest() == {}  # nothing left to show
    note = cosigned_note(cp)
    assert {c.witness.name for c in require_quorum(note, [k1, k2], 2)} == {k1.name, k2.name}
    assert WitnessCosignature.objects.filter(checkpoint=cp).count() == 2


def test_an_offline_witness_never_blocks_and_raises_no_alert(two_witnesses, settings):
    (_, k1, url1), _ = two_witnesses
    settings.CORRIDOR_WITNESSES = [(k1.vkey, url1), (witness("down.example/w", b"\x01" * 32).vkey, "http://127.0.0.1:9")]
    _append(3)
    make_checkpoint()
    assert push_latest() == {k1.name: "cosigned", "down.example/w": "offline"}
    assert not AuditAlert.objects.exists()


def test_a_rewritten_log_is_refused_by_the_witnesses_and_alerts(two_witnesses):
    (_, k1, _), (_, k2, _) = two_witnesses
    _append(20)
    make_checkpoint()
    push_latest()
    # An insider rewrites entry 4, resets keyd and has the forgery signed.
    _forge_row(4)
    Checkpoint.objects.all().delete()
    call_command("audit", "reset-head", "--reason", "cover-up", stdout=io.StringIO())
    AuditAlert.objects.all().delete()
    make_checkpoint()
    assert push_latest() == {k1.name: "refused", k2.name: "refused"}
    alerts = AuditAlert.objects.filter(kind=AuditAlert.Kind.WITNESS_REFUSED)
    assert alerts.count() == 2 and all("refused checkpoint" in a.message for a in alerts)
    assert AuditEntry.objects.filter(code=CoreEvent.WITNESS_REFUSED).count() == 2


def test_a_forked_log_shown_to_two_witnesses_never_gets_a_quorum(two_witnesses, keyd_agent):
    """Split view: the log shows one history to w1 and another to w2. Each cosigns
    its own branch once, refuses the other, and no branch has two cosignatures."""
    (w1, k1, _), (w2, k2, _) = two_witnesses
    _append(12)
    a = make_checkpoint()
    note_a = a.note
    # The same log, forked: entry 5 rewritten and the fork signed after a reset.
    _forge_row(5)
    Checkpoint.objects.all().delete()
    keyd_agent.agent.handle({"op": "reset_head", "reason": "fork for the test"})
    with transaction.atomic():
        record(CoreEvent.USER_UPDATED, actor="x")
    _forge_row(5)
    b = make_checkpoint()
    note_b = b.note
    assert note_a != note_b
    cos_a = w1.add_checkpoint(f"old 0\n\n{note_a}".encode())
    cos_b = w2.add_checkpoint(f"old 0\n\n{note_b}".encode())
    from corridor_verify.witness import Refusal

    # w1 knows branch A at 12; B (size 13) has no consistency proof from it.
    with pytest.raises(Refusal) as r1:
        w1.add_checkpoint(f"old 12\n\n{note_b}".encode())
    assert r1.value.status == 422
    # w2 knows branch B at 13; A (size 12) is smaller: old 13 > 12 is malformed, old 0 conflicts.
    with pytest.raises(Refusal) as r2:
        w2.add_checkpoint(f"old 0\n\n{note_a}".encode())
    assert r2.value.status == 409 and r2.value.body == "13\n"
    for note, cos in ((note_a, cos_a), (note_b, cos_b)):
        with pytest.raises(CheckpointError, match="1 of the 2 known witnesses"):
            require_quorum(note + cos, [k1, k2], 2)


def test_the_witness_speaks_the_c2sp_status_codes(two_witnesses, keyd_agent):
    (w1, _, _), _ = two_witnesses
    _append(4)
    cp = make_checkpoint()
    from corridor_verify.witness import Refusal

    def status(body: str) -> int:
        with pytest.raises(Refusal) as r:
            w1.add_checkpoint(body.encode())
        return r.value.status

    assert status(f"old 5\n\n{cp.note}") == 400  # old > size
    assert status("old 0\n\nother.example/log\n1\n" + base64.b64encode(b"r" * 32).decode() + "\n\n\u2014 x AAAA\n") == 404
    forged = cp.note.replace(cp.note.split("\n")[1], "5", 1)
    assert status(f"old 0\n\n{forged}") == 403
    assert status(f"old 0\nAAAA\n\n{cp.note}") == 422  # a proof from the empty tree
    assert w1.add_checkpoint(f"old 0\n\n{cp.note}".encode()).startswith("\u2014 w1.example.org/corridor ")
    assert status(f"old 0\n\n{cp.note}") == 409


def test_keys_are_published_on_transparency_and_cosignatures_on_the_audit_page(two_witnesses, client, keyd_agent):
    (_, k1, _), (_, k2, _) = two_witnesses
    ks = load_keystore(keyd_agent.keystore_path)
    text = client.get("/transparency/log-keys.txt").content.decode()
    assert verifier_key(ks.log_origin, ks.signing_public_key) in text
    assert k1.vkey in text and k2.vkey in text
    index = client.get("/transparency/").content.decode()
    assert 'href="/transparency/log-keys.txt"' in index and 'href="/staff/audit/checkpoint.txt"' in index


def test_the_audit_page_shows_who_witnessed_the_checkpoint(two_witnesses, cast, staff_client):
    (_, k1, _), _ = two_witnesses
    _append(3)
    make_checkpoint()
    push_latest()
    page = staff_client(cast.admin).get("/staff/audit/").content.decode()
    assert k1.name in page  # the list of who witnessed the latest checkpoint


def test_the_court_tool_checks_a_checkpoint_and_its_witness_quorum(two_witnesses, keyd_agent, tmp_path, capsys):
    from corridor_verify.cli import main

    (_, k1, url1), (_, k2, _) = two_witnesses
    ks = load_keystore(keyd_agent.keystore_path)
    log_key = verifier_key(ks.log_origin, ks.signing_public_key)
    _append(5)
    cp = make_checkpoint()
    push_latest()
    path = tmp_path / "checkpoint.txt"
    path.write_text(cosigned_note(cp))
    args = ["checkpoint", str(path), "--log-key", log_key, "--witness", k1.vkey, "--witness", k2.vkey]
    assert main([*args, "--require", "2"]) == 0
    path.write_text(cp.note + cp.cosignatures.get(witness=k1.name).line)
    assert main([*args, "--require", "2"]) == 1
    assert "1 of the 2 known witnesses" in capsys.readouterr().out
    assert main([*args, "--require", "1"]) == 0


def test_witnesses_are_asked_at_once_so_silent_ones_cost_one_timeout_in_all(tmp_path, keyd_agent, settings):
    # Two witnesses that accept the connection and never answer (down behind a proxy, or
    # stalling on purpose) and one that works. Each silent one records when it was asked;
    # both must have been asked before either request timed out.
    import socket

    asked: list[float] = []
    listeners = []
    for _ in range(2):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        listeners.append(sock)

    def hold(sock):
        conn, _ = sock.accept()
        import time

        asked.append(time.monotonic())
        conn.recv(65536)
        threading.Event().wait(settings.CORRIDOR_WITNESS_TIMEOUT + 1)
        conn.close()

    threads = [threading.Thread(target=hold, args=(s,), daemon=True) for s in listeners]
    for t in threads:
        t.start()
    settings.CORRIDOR_WITNESS_TIMEOUT = 2
    silent = [witness(f"silent{i}.example.org/w", Ed25519PrivateKey.generate().public_key().public_bytes_raw()) for i in range(2)]
    with running_witness(tmp_path, "w1.example.org/corridor", keyd_agent) as (_, k1, url):
        settings.CORRIDOR_WITNESSES = [(silent[0].vkey, f"http://127.0.0.1:{listeners[0].getsockname()[1]}"),
                                       (k1.vkey, url),
                                       (silent[1].vkey, f"http://127.0.0.1:{listeners[1].getsockname()[1]}")]
        _append(4)
        make_checkpoint()
        result = push_latest()
    assert result == {silent[0].name: "offline", k1.name: "cosigned", silent[1].name: "offline"}
    assert len(asked) == 2 and abs(asked[0] - asked[1]) < settings.CORRIDOR_WITNESS_TIMEOUT
    assert not AuditAlert.objects.exists()  # offline is not a refusal
    for sock in listeners:
        sock.close()
