"""A hijacked worker cannot dodge the unwrap ceiling by inventing principals:
every connection is also counted against its process (kernel-reported pid)."""

from __future__ import annotations

import os

import pytest

from corridor.keyd.errors import CeilingTripped, Sealed
from corridor.keyd.testing import running_agent


def test_many_invented_principals_in_one_process_still_trip_the_ceiling(tmp_path):
    with running_agent(tmp_path, unwrap_limit=10) as kd:
        version, wrapped = kd.client.wrap("w", [(os.urandom(32), b"person:1")])
        item = (wrapped[0], b"person:1", version)
        with pytest.raises((CeilingTripped, Sealed)):
            for i in range(10 * 4 + 5):
                kd.client.unwrap(f"user:invented-{i}", [item])  # each name stays under 10/min
        assert kd.agent.sealed
        assert "process" in kd.agent.status()["sealed_reason"]
