"""Per-principal unwrap ceiling.

A hijacked web worker that starts bulk-decrypting the case database (every
evacuee's identity, route and contacts) looks like an unwrap rate far above
what any human-driven page needs. Crossing the ceiling seals keyd, so the
damage stops at one minute's worth of keys until an operator unseals again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60


class Ceiling:
    """Per-principal sliding 60 s window in one-second buckets (bounded memory)."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, deque[list[int]]] = {}
        self._totals: dict[str, int] = {}

    def add(self, principal: str, n: int) -> bool:
        """Count n unwraps; False when the principal is now over the ceiling."""
        now = int(self._clock())
        with self._lock:
            buckets = self._buckets.get(principal)
            if buckets is None:
                if len(self._buckets) > 10_000:
                    self._sweep(now)
                buckets = self._buckets[principal] = deque()
            total = self._totals.get(principal, 0)
            while buckets and buckets[0][0] <= now - WINDOW_SECONDS:
                total -= buckets.popleft()[1]
            if buckets and buckets[-1][0] == now:
                buckets[-1][1] += n
            else:
                buckets.append([now, n])
            total += n
            self._totals[principal] = total
            return total <= self.limit

    def _sweep(self, now: int) -> None:
        for p in [p for p, b in self._buckets.items() if not b or b[-1][0] <= now - WINDOW_SECONDS]:
            del self._buckets[p]
            self._totals.pop(p, None)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._totals.clear()
