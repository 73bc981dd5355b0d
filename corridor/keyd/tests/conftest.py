from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keyd.testing import RunningAgent, running_agent


@pytest.fixture(autouse=True)
def _corridor_test_settings() -> Iterator[None]:
    """Override the project-wide autouse fixture: keyd's tests need no Django
    (they run with `-p no:django`) and each starts its own agent."""
    yield


@pytest.fixture
def kd(tmp_path: Path) -> Iterator[RunningAgent]:
    with running_agent(tmp_path) as agent:
        yield agent


@pytest.fixture
def kd_sealed(tmp_path: Path) -> Iterator[RunningAgent]:
    with running_agent(tmp_path, unseal=False) as agent:
        yield agent


@pytest.fixture
def kd_shamir(tmp_path: Path) -> Iterator[RunningAgent]:
    with running_agent(tmp_path, mode="shamir", threshold=3, shares=5, unseal=False) as agent:
        yield agent
