"""keyd remembers the head it signed and signs only consistent extensions of it.

Tried as an attacker who controls the database (and so every tree it hands to
keyd) and who can write the state file on disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from corridor.audit import merkle
from corridor.audit.checkpoint import Checkpoint, sign_checkpoint
from corridor.keyd.agent import Agent
from corridor.keyd.errors import BadRequest, KeydError
from corridor.keyd.journal import Journal
from corridor.keyd.keystore import load_keystore
from corridor.keyd.signed_heads import state_path
from corridor.keyd.testing import RunningAgent, running_agent

ORIGIN = "corridor.test/audit"


class Tree:
    """A log built leaf by leaf, keeping every perfect node like the database does."""

    def __init__(self, n: int = 0, tag: bytes = b"") -> None:
        self.compact = merkle.CompactRange()
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.add(n, tag)

    def add(self, n: int, tag: bytes = b"") -> Tree:
        for _ in range(n):
            i = self.compact.size
            for level, index, h in self.compact.append(merkle.leaf_hash(tag + b"entry %d" % i)):
                self.nodes[(level, index)] = h
        return self

    @property
    def size(self) -> int:
        return self.compact.size

    def root(self) -> bytes:
        return self.compact.root()

    def proof_from(self, old: int) -> list[bytes]:
        return merkle.consistency_proof(old, self.size, lambda lv, ix: self.nodes[(lv, ix)])


def body(size: int, root: bytes, origin: str = ORIGIN) -> bytes:
    return Checkpoint(origin, size, root).body().encode()


def sign(kd: RunningAgent, tree: Tree, proof: list[bytes] | None = None, latest: str | None = None) -> bytes:
    msg = body(tree.size, tree.root())
    sig = kd.client.sign("system:audit", msg, proof=proof, latest=latest)
    Ed25519PublicKey.from_public_bytes(kd.client.public_key()[0]).verify(sig, msg)
    return sig


def note(kd: RunningAgent, tree: Tree, proof: list[bytes] | None = None) -> str:
    public = kd.client.public_key()[0]
    return sign_checkpoint(Checkpoint(ORIGIN, tree.size, tree.root()), ORIGIN,
                           lambda m: kd.client.sign("system:audit", m, proof=proof), public)


def refused(kd: RunningAgent, tree: Tree, match: str, **kw) -> KeydError:
    with pytest.raises(KeydError, match=match) as info:
        sign(kd, tree, **kw)
    assert info.value.code == "head_refused"
    return info.value


def head(kd: RunningAgent) -> dict:
    return kd.client.status()["signed_heads"]


@pytest.fixture
def kd(tmp_path: Path):
    with running_agent(tmp_path) as agent:
        agent.client.reset_head("new installation")
        yield agent


def test_without_state_nothing_is_signed_until_an_administrator_resets_with_a_reason(tmp_path: Path) -> None:
    with running_agent(tmp_path) as kd:
        assert head(kd)["condition"] == "missing"
        refused(kd, Tree(5), "missing")
        with pytest.raises(BadRequest, match="reason"):
            kd.client.reset_head("   ")
        status = kd.client.reset_head("new installation")
        assert status["signed_heads"]["condition"] == "ok"
        assert status["signed_heads"]["reset"]["reason"] == "new installation"
        sign(kd, Tree(5))
        kd.flush_journal()
        lines = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines()]
        assert [(x["op"], x.get("ok")) for x in lines if x["op"] in ("sign", "reset_head")] == [
            ("sign", False), ("reset_head", None), ("sign", True)]
        assert "missing" in lines[1]["reason"]


def test_only_checkpoints_of_its_own_log_are_signed(kd: RunningAgent) -> None:
    with pytest.raises(KeydError, match="only checkpoints") as info:
        kd.client.sign("w", b"checkpoint 42")
    assert info.value.code == "head_refused"
    with pytest.raises(KeydError, match="only checkpoints for"):
        kd.client.sign("w", body(3, Tree(3).root(), origin="other.example/log"))


def test_it_signs_consistent_extensions_and_refuses_every_rewrite(kd: RunningAgent) -> None:
    tree = Tree(10)
    sign(kd, tree)  # the first head after a reset needs no proof
    assert head(kd)["heads"][ORIGIN]["size"] == 10
    sign(kd, tree)  # the same head again is harmless
    tree.add(7)
    refused(kd, tree, "no consistency proof")
    refused(kd, tree, "not consistent", proof=Tree(17, b"x").proof_from(10))
    refused(kd, tree, "not consistent", proof=tree.proof_from(9))  # a proof from another size
    sign(kd, tree, proof=tree.proof_from(10))
    # Smaller tree: entries deleted from the end.
    refused(kd, Tree(12), "already signed 17")
    # Same size, another root: an entry was changed and the tree recomputed.
    refused(kd, Tree(17, b"forged"), "different root at size 17")
    # A forged history grown past the head cannot be proved consistent with it.
    forged = Tree(30, b"forged")
    refused(kd, forged, "not consistent", proof=forged.proof_from(17))
    status = head(kd)
    assert status["heads"][ORIGIN]["size"] == 17
    assert status["refused_total"] == 6
    assert [r["size"] for r in status["refusals"]] == [17, 17, 17, 12, 17, 30]


def test_refusals_are_journaled(kd: RunningAgent) -> None:
    sign(kd, Tree(4))
    refused(kd, Tree(3), "already signed")
    kd.flush_journal()
    signs = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines() if '"sign"' in x]
    assert [s["ok"] for s in signs] == [True, False]
    assert "already signed 4" in signs[1]["reason"]


def test_the_head_survives_seal_unseal_and_a_restart(kd: RunningAgent) -> None:
    tree = Tree(8)
    sign(kd, tree)
    kd.client.seal("test")
    kd.client.unseal_passphrase(kd.passphrase)
    refused(kd, Tree(8, b"forged"), "different root")
    kd.client.seal("test")
    # A new process: a fresh Agent over the same keystore and state file.
    agent = Agent(load_keystore(kd.keystore_path), journal=Journal(kd.journal_path + ".2"))
    agent.unseal_passphrase(kd.passphrase)
    assert agent.status()["signed_heads"]["heads"][ORIGIN]["size"] == 8
    forged = agent.handle({"op": "sign", "principal": "a", "message": _b64(body(8, Tree(8, b"f").root()))})
    assert forged["error"] == "head_refused"
    tree.add(1)
    good = agent.handle({"op": "sign", "principal": "a", "message": _b64(body(9, tree.root())),
                         "proof": [_b64(p) for p in tree.proof_from(8)]})
    assert good["ok"] is True
    agent.seal("done")
    agent.journal.close()


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def test_an_edited_state_file_is_refused_after_unseal(kd: RunningAgent) -> None:
    sign(kd, Tree(50))
    path = state_path(kd.keystore_path)
    kd.client.seal("maintenance")
    doc = json.loads(Path(path).read_text())
    doc["heads"][ORIGIN]["size"] = 10  # let a 40-entry deletion through
    Path(path).write_text(json.dumps(doc))
    kd.agent.heads._file_bytes = None  # as after a restart: only the MAC stands in the way
    kd.client.unseal_passphrase(kd.passphrase)
    assert head(kd)["condition"] == "invalid"
    assert "edited" in head(kd)["problem"]
    refused(kd, Tree(10), "cannot be trusted")


def test_a_state_file_swapped_for_an_older_copy_is_caught(kd: RunningAgent) -> None:
    tree = Tree(20)
    sign(kd, tree)
    path = state_path(kd.keystore_path)
    shutil.copy(path, path + ".old")  # the attacker keeps a copy at size 20
    tree.add(200)
    sign(kd, tree, proof=tree.proof_from(20))
    # While keyd runs: the file changed under it.
    shutil.copy(path + ".old", path)
    forged = Tree(20).add(100, b"forged")
    refused(kd, forged, "replaced", proof=forged.proof_from(20))
    # Across seal and unseal in the same process as well.
    kd.client.seal("x")
    kd.client.unseal_passphrase(kd.passphrase)
    assert head(kd)["condition"] == "replaced"
    refused(kd, forged, "replaced", proof=forged.proof_from(20))


def test_after_a_restart_a_rolled_back_state_is_caught_by_the_newest_checkpoint(kd: RunningAgent) -> None:
    tree = Tree(20)
    sign(kd, tree)
    path = state_path(kd.keystore_path)
    shutil.copy(path, path + ".old")
    tree.add(200)
    newest = note(kd, tree, proof=tree.proof_from(20))
    kd.client.seal("restart")
    shutil.copy(path + ".old", path)
    kd.agent.heads._file_bytes = None  # a new process remembers nothing
    kd.client.unseal_passphrase(kd.passphrase)
    assert head(kd)["condition"] == "ok"  # the older file is authentic
    forged = Tree(20).add(100, b"forged")
    refused(kd, forged, "rolled back", proof=forged.proof_from(20), latest=newest)


def test_reset_is_for_administrators_only(tmp_path: Path) -> None:
    with running_agent(tmp_path, allow_uids={__import__("os").getuid()}) as kd:
        kd.agent.admin_uids = {-1}
        with pytest.raises(BadRequest, match="may not"):
            kd.client.reset_head("I want to rewrite history")
        assert head(kd)["condition"] == "missing"


def test_the_state_follows_root_rotation_and_retirement(kd: RunningAgent) -> None:
    tree = Tree(6)
    sign(kd, tree)
    kd.client.rotate_root()
    kd.client.retire_root(1)
    assert json.loads(Path(state_path(kd.keystore_path)).read_text())["root_version"] == 2
    kd.client.seal("x")
    kd.agent.heads._file_bytes = None
    kd.client.unseal_passphrase(kd.passphrase)
    assert head(kd)["condition"] == "ok"
    tree.add(3)
    sign(kd, tree, proof=tree.proof_from(6))
