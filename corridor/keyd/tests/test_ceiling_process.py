"""A hijacked worker cannot dodge the unwrap ceiling by inventing principals or
claiming a bigger role: every connection is also counted against its process
(kernel-reported pid), several suspensions seal, and a role only goes down."""

from __future__ import annotations

import pytest

from corridor.keyd.errors import CeilingTripped, PrincipalSuspended, Sealed
from corridor.keyd.testing import running_agent


def _keys(kd, n, prefix="person"):
    version, wrapped = kd.client.wrap("w", [(b"k" * 32, f"{prefix}:{i}".encode()) for i in range(n)])
    return [(w, f"{prefix}:{i}".encode(), version) for i, w in enumerate(wrapped)]


def test_many_invented_principals_in_one_process_still_trip_the_ceiling(tmp_path):
    with running_agent(tmp_path, unwrap_limit=10) as kd:  # process: 100 distinct keys per window
        items = _keys(kd, 120)
        with pytest.raises((CeilingTripped, Sealed)):
            for i in range(0, 120, 5):  # each invented name stays far under its own ceiling
                kd.client.unwrap(f"user:invented-{i};role=coordinator", items[i:i + 5])
        assert kd.agent.sealed
        assert "process" in kd.agent.status()["sealed_reason"]


def test_several_principals_suspended_together_seal_the_agent(tmp_path):
    with running_agent(tmp_path, unwrap_limit=10) as kd:
        items = _keys(kd, 60)
        for n in range(2):
            with pytest.raises(PrincipalSuspended):
                kd.client.unwrap(f"user:{n};role=operator", items[n * 20:n * 20 + 11])
        assert not kd.agent.sealed
        with pytest.raises(CeilingTripped, match="3 principals suspended"):
            kd.client.unwrap("user:2;role=operator", items[40:51])
        assert kd.agent.sealed


def test_a_worker_cannot_raise_a_principal_s_role_while_keyd_runs(tmp_path):
    with running_agent(tmp_path, unwrap_limit=10) as kd:
        items = _keys(kd, 30)
        kd.client.unwrap("user:u;role=case_worker", items[:1])  # suspension limit 10
        # later the same identity claims to be a coordinator (limit 20): still 10
        with pytest.raises(PrincipalSuspended):
            kd.client.unwrap("user:u;role=coordinator", items[1:12])
        # and the suspension follows the identity, whatever role is claimed next
        with pytest.raises(PrincipalSuspended):
            kd.client.unwrap("user:u;role=admin", items[:1])
