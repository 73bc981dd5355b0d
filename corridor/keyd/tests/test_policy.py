"""The unwrap ceiling counts distinct keys per identity in a sliding window, and
answers in steps: warn, suspend that one identity, seal only for the extreme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor.keyd.errors import PrincipalSuspended
from corridor.keyd.policy import MAX_IDENTITIES, UnwrapPolicy, split_principal
from corridor.keyd.testing import running_agent


def _ads(n, prefix="p"):
    return [f"{prefix}:{i}".encode() for i in range(n)]


def test_rereading_the_same_keys_costs_nothing():
    policy = UnwrapPolicy(100, lambda: 0.0)
    page = _ads(50)
    for _ in range(10_000):
        assert policy.check("user:c;role=coordinator", page).action == "ok"


def test_distinct_keys_warn_then_suspend_only_that_identity():
    now = [0.0]
    policy = UnwrapPolicy(100, lambda: now[0])  # case worker: warn above 50, suspend above 100
    ads = _ads(300)
    assert policy.check("user:a;role=case_worker", ads[:50]).action == "ok"
    assert policy.check("user:a;role=case_worker", ads[50:51]).action == "warn"
    assert policy.check("user:a;role=case_worker", ads[51:60]).action == "ok"  # warned once
    verdict = policy.check("user:a;role=case_worker", ads[60:101])
    assert verdict.action == "suspend" and verdict.distinct == 101
    assert policy.check("user:a;role=case_worker", ads[:1]).action == "suspended"
    assert policy.check("user:b;role=case_worker", ads[:100]).action in {"ok", "warn"}
    now[0] += 3601  # the suspension ends by itself an hour later
    assert policy.check("user:a;role=case_worker", ads[:1]).action == "ok"


def test_the_window_slides():
    now = [0.0]
    policy = UnwrapPolicy(100, lambda: now[0])
    for step in range(30):  # 30 distinct keys every 5 minutes: never more than 90 in 10 minutes
        assert policy.check("user:a;role=case_worker", _ads(30, f"s{step}")).action in {"ok", "warn"}
        now[0] += 300


def test_roles_have_their_own_ceilings_and_unknown_roles_the_smallest():
    policy = UnwrapPolicy(3000)
    assert policy.suspend_limit("coordinator") == 6000
    assert policy.suspend_limit("case_worker") == 3000
    assert policy.suspend_limit("admin") == 1500
    assert policy.suspend_limit("made-up") == 1500
    assert policy.warn_limit("coordinator") == 3000
    assert policy.extreme_limit("coordinator") == 12000
    assert policy.process_limit == 30000
    assert split_principal("user:1;role=legal") == ("user:1", "legal")
    assert split_principal("system:alerts") == ("system:alerts", "system")
    assert split_principal("system:x;role=operator") == ("system:x", "system")
    assert split_principal("user:1") == ("user:1", "")


def test_memory_stays_bounded_under_invented_identities():
    now = [0.0]
    policy = UnwrapPolicy(10, lambda: now[0])
    for i in range(MAX_IDENTITIES + 10):
        policy.check(f"user:{i};role=operator", _ads(1))
    assert len(policy._ids) <= MAX_IDENTITIES
    # one identity's window never holds more than its extreme limit
    policy.check("user:big;role=coordinator", _ads(10_000))
    assert len(policy._ids["user:big"].window.seen) <= policy.extreme_limit("coordinator") + 1


def test_a_script_pulling_10000_distinct_people_is_suspended_and_nobody_else_is(tmp_path):
    with running_agent(tmp_path) as kd:  # the shipped numbers (base 3,000)
        version, wrapped = kd.client.wrap("w", [(b"k" * 32, f"person:{i}".encode()) for i in range(10_000)])
        items = [(w, f"person:{i}".encode(), version) for i, w in enumerate(wrapped)]
        pulled = 0
        with pytest.raises(PrincipalSuspended):
            for i in range(0, 10_000, 100):
                kd.client.unwrap("user:script;role=coordinator", items[i:i + 100])
                pulled += 100
        assert pulled == 6000  # stopped at the coordinator's ceiling, well before 10,000
        assert not kd.agent.sealed
        assert kd.client.unwrap("user:colleague;role=coordinator", items[:100])
        kd.flush_journal()
        ops = [json.loads(x)["op"] for x in Path(kd.journal_path).read_text().splitlines()]
        assert ops.count("ceiling_warn") == 1 and ops.count("suspend") == 1 and "seal" not in ops
