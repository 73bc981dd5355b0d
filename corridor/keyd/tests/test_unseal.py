from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from corridor.keyd.agent import Agent
from corridor.keyd.errors import BadRequest, BadUnseal, Sealed
from corridor.keyd.keystore import create_keystore, load_keystore
from corridor.keyd.testing import RunningAgent, running_agent


def test_wrong_passphrase_is_refused_and_agent_stays_sealed(kd_sealed: RunningAgent) -> None:
    c = kd_sealed.client
    with pytest.raises(BadUnseal):
        c.unseal_passphrase("correct horse battery stapler")
    status = c.status()
    assert status["sealed"] is True
    with pytest.raises(Sealed):
        c.wrap("worker", [(b"k" * 32, b"case:1")])
    assert c.unseal_passphrase(kd_sealed.passphrase)["sealed"] is False


def test_status_reports_mode_versions_and_public_key(kd_sealed: RunningAgent) -> None:
    s = kd_sealed.client.status()
    assert s["sealed"] is True and s["mode"] == "passphrase"
    assert s["root_version"] == 1 and s["root_versions"] == [1]
    assert (s["shares_have"], s["shares_needed"]) == (0, 0)
    assert s["log_origin"] == "corridor.test/audit" and s["sealed_reason"] is None
    assert s["signing_public_key"]


def test_passphrase_unseal_on_a_shamir_keystore_is_refused(kd_shamir: RunningAgent) -> None:
    with pytest.raises(BadRequest):
        kd_shamir.client.unseal_passphrase("correct horse battery staple")


def test_k_minus_one_shares_do_not_unseal_and_k_do(kd_shamir: RunningAgent) -> None:
    c = kd_shamir.client
    s = c.unseal_share(kd_shamir.shares[0])
    assert (s["sealed"], s["shares_have"], s["shares_needed"]) == (True, 1, 3)
    s = c.unseal_share(kd_shamir.shares[3])
    assert (s["sealed"], s["shares_have"]) == (True, 2)
    with pytest.raises(Sealed):
        c.unwrap("worker", [(b"\x00" * 60, b"case:1", 1)])
    s = c.unseal_share(kd_shamir.shares[4])
    assert s["sealed"] is False and s["shares_have"] == 0


def test_any_k_subset_of_shares_unseals(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    shares = create_keystore(path, mode="shamir", threshold=3, shares=5, log_origin="o")
    agent = Agent(load_keystore(path))
    for subset in itertools.combinations(shares, 3):
        for share in subset[::-1]:
            agent.unseal_share(share)
        assert not agent.sealed, subset
        agent.seal("next subset")


def test_mistyped_share_is_reported_and_nothing_is_collected(kd_shamir: RunningAgent) -> None:
    c = kd_shamir.client
    c.unseal_share(kd_shamir.shares[0])
    good = kd_shamir.shares[1]
    typo = good[:20] + ("a" if good[20] != "a" else "b") + good[21:]
    with pytest.raises(BadUnseal, match="mistyped"):
        c.unseal_share(typo)
    assert c.status()["shares_have"] == 1
    with pytest.raises(BadUnseal, match="already entered"):
        c.unseal_share(kd_shamir.shares[0])
    assert c.status()["shares_have"] == 1


def test_share_from_another_keystore_fails_at_combine_and_is_forgotten(
    kd_shamir: RunningAgent, tmp_path: Path
) -> None:
    foreign = create_keystore(tmp_path / "other.json", mode="shamir", threshold=3, shares=5, log_origin="o")
    c = kd_shamir.client
    c.unseal_share(kd_shamir.shares[0])
    c.unseal_share(kd_shamir.shares[1])
    with pytest.raises(BadUnseal, match="discarded"):
        c.unseal_share(foreign[2])  # well-formed, checksum fine, wrong polynomial
    s = c.status()
    assert s["sealed"] is True and s["shares_have"] == 0
    for share in kd_shamir.shares[2:]:
        s = c.unseal_share(share)
    assert s["sealed"] is False


def test_seal_discards_a_half_entered_share_set(kd_shamir: RunningAgent) -> None:
    c = kd_shamir.client
    c.unseal_share(kd_shamir.shares[0])
    c.seal("operator abort")
    assert c.status()["shares_have"] == 0


def test_unsealing_twice_is_refused(kd: RunningAgent) -> None:
    with pytest.raises(BadRequest, match="already unsealed"):
        kd.client.unseal_passphrase(kd.passphrase)


def test_unseal_and_failed_unseal_are_journaled(tmp_path: Path) -> None:
    with running_agent(tmp_path, unseal=False) as kd:
        with pytest.raises(BadUnseal):
            kd.client.unseal_passphrase("wrong passphrase here")
        kd.client.unseal_passphrase(kd.passphrase)
        kd.flush_journal()
        lines = [json.loads(x) for x in Path(kd.journal_path).read_text().splitlines()]
    assert [(x["op"], x["ok"]) for x in lines] == [("unseal", False), ("unseal", True)]
    assert "wrong passphrase here" not in Path(kd.journal_path).read_text()
