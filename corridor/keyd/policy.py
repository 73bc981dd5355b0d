"""The unwrap ceiling: catch exfiltration, not reading.

A hijacked worker or a stolen account that bulk-decrypts the case database opens
*many different* keys. A coordinator reloading a list, or a finance officer paging
expenses, opens the *same* keys again and again. So the agent counts **distinct
keys** (by a digest of their associated data, which names one data key and
version) per principal in a sliding window; re-reading costs nothing.

Principals. The web names a signed-in user to the agent as
``user:<uuid>;role=<role>``; system jobs as ``system:<job>``. The identity is the
part before ``;role=``: counting and suspension follow the identity, the role only
chooses the ceiling. The agent cannot verify what a worker claims, so:

- a role can only go *down* for an identity while the agent runs: the first role
  seen for an identity is pinned, and a later, bigger claim gets the smaller
  ceiling (a promotion takes effect after the next unseal, or once the agent has
  forgotten the identity after a day without use);
- every worker process (kernel-reported pid) has its own distinct-key ceiling, so
  inventing identities does not help a hijacked worker much;
- several identities suspended within one window seal the agent.

Response, in steps, for one identity in one window:

1. ``warn`` distinct keys: the request succeeds; the response carries a notice,
   the web writes an audit entry and a warning to the error log for
   administrators, the journal records ``ceiling_warn``;
2. ``suspend`` distinct keys: this identity is refused for ``SUSPEND_SECONDS``
   (or until the next unseal); the web ends its sessions, deactivates the account
   until an administrator re-enables it, and tells the user why. Nobody else is
   affected;
3. seal, only for the extreme: one request asking for more than ``extreme``
   distinct keys at once, a worker process over its own ceiling, or
   ``SEAL_AFTER_SUSPENSIONS`` identities suspended within one window.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 600
SUSPEND_SECONDS = 3600
SEAL_AFTER_SUSPENSIONS = 3
FORGET_IDENTITY_SECONDS = 86_400
MAX_IDENTITIES = 10_000

# Distinct keys per window at which an identity of this role is suspended, as a
# multiple of the base limit (CORRIDOR_UNWRAP_LIMIT, default 3,000). Coordinators
# read the whole organisation; case workers only their assigned cases; system jobs
# (alerts, retention, the scheduler) may walk whole tables.
ROLE_FACTORS: dict[str, float] = {
    "coordinator": 2.0,
    "legal": 1.0,
    "case_worker": 1.0,
    "operator": 1.0,
    "finance": 1.0,
    "auditor": 1.0,
    "admin": 0.5,
    "system": 4.0,
}
DEFAULT_FACTOR = 0.5  # an unknown or missing role gets the smallest ceiling
WARN_FRACTION = 0.5
EXTREME_FACTOR = 2.0  # one request for more than twice the suspension limit seals
PROCESS_FACTOR = 10.0  # one worker process, all principals together


def split_principal(principal: str) -> tuple[str, str]:
    """(identity, role) from ``user:<id>;role=<role>`` or ``system:<job>``."""
    identity, sep, role = principal.partition(";role=")
    if not sep:
        role = "system" if identity.startswith("system:") else ""
    elif identity.startswith("system:"):
        role = "system"
    return identity, role


def key_digest(ad: bytes) -> bytes:
    return hashlib.blake2b(ad, digest_size=8, person=b"corridor-ceil").digest()


class DistinctWindow:
    """Distinct digests seen in the last `window` seconds (re-seeing refreshes)."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: OrderedDict[bytes, float] = OrderedDict()

    def add(self, digests: set[bytes], now: float, window: float, cap: int) -> int:
        seen = self.seen
        horizon = now - window
        while seen:
            first = next(iter(seen.values()))
            if first > horizon:
                break
            seen.popitem(last=False)
        for d in digests:
            if d in seen:
                seen.move_to_end(d)
                seen[d] = now
            elif len(seen) <= cap:  # beyond the cap the answer is already "over"
                seen[d] = now
        return len(seen)


@dataclass
class _Identity:
    role: str
    window: DistinctWindow = field(default_factory=DistinctWindow)
    warned: bool = False
    suspended_until: float = 0.0
    last_used: float = 0.0


@dataclass(frozen=True)
class Verdict:
    """What the agent does with one request: "ok", "warn", "suspend", "suspended" or "seal"."""

    action: str
    identity: str
    distinct: int = 0
    limit: int = 0
    reason: str = ""


class UnwrapPolicy:
    def __init__(self, base_limit: int = 3000, clock: Callable[[], float] | None = None, *,
                 window: float = WINDOW_SECONDS, suspend_seconds: float = SUSPEND_SECONDS) -> None:
        if base_limit < 1:
            raise ValueError("base_limit must be at least 1")
        import time

        self.base_limit = base_limit
        self.window = window
        self.suspend_seconds = suspend_seconds
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._ids: dict[str, _Identity] = {}
        self._procs: dict[int | str, DistinctWindow] = {}
        self._suspensions: list[float] = []

    # ------------------------------------------------------------ numbers

    def suspend_limit(self, role: str) -> int:
        return max(1, int(self.base_limit * ROLE_FACTORS.get(role, DEFAULT_FACTOR)))

    def warn_limit(self, role: str) -> int:
        return max(1, int(self.suspend_limit(role) * WARN_FRACTION))

    def extreme_limit(self, role: str) -> int:
        return max(1, int(self.suspend_limit(role) * EXTREME_FACTOR))

    @property
    def process_limit(self) -> int:
        return max(1, int(self.base_limit * PROCESS_FACTOR))

    @staticmethod
    def _rank(role: str) -> float:
        return ROLE_FACTORS.get(role, DEFAULT_FACTOR)

    # ------------------------------------------------------------ decisions

    def check(self, principal: str, ads: list[bytes], pid: int | str | None = None) -> Verdict:
        identity, role = split_principal(principal)
        digests = {key_digest(ad) for ad in ads}
        now = self._clock()
        with self._lock:
            entry = self._ids.get(identity)
            if entry is None:
                if len(self._ids) >= MAX_IDENTITIES:
                    self._sweep(now)
                entry = self._ids[identity] = _Identity(role=role)
            elif self._rank(role) < self._rank(entry.role):
                entry.role = role  # a role only goes down while the agent runs
            entry.last_used = now
            role = entry.role
            if entry.suspended_until > now:
                return Verdict("suspended", identity, reason=f"{identity} is suspended")
            suspend, extreme = self.suspend_limit(role), self.extreme_limit(role)
            if len(digests) > extreme:
                return Verdict("seal", identity, len(digests), extreme,
                               f"unwrap ceiling: {identity} asked for {len(digests)} distinct keys at once")
            if pid is not None:
                proc = self._procs.setdefault(pid, DistinctWindow())
                if proc.add(digests, now, self.window, self.process_limit) > self.process_limit:
                    return Verdict("seal", identity, len(proc.seen), self.process_limit,
                                   f"unwrap ceiling exceeded by process {pid} (last principal {identity})")
            distinct = entry.window.add(digests, now, self.window, extreme)
            if distinct > suspend:
                entry.suspended_until = now + self.suspend_seconds
                entry.window = DistinctWindow()
                entry.warned = False
                self._suspensions = [t for t in self._suspensions if t > now - self.window] + [now]
                if len(self._suspensions) >= SEAL_AFTER_SUSPENSIONS:
                    return Verdict("seal", identity, distinct, suspend,
                                   f"unwrap ceiling: {len(self._suspensions)} principals suspended within "
                                   f"{int(self.window)} s (last {identity})")
                return Verdict("suspend", identity, distinct, suspend,
                               f"unwrap ceiling: {identity} opened {distinct} distinct keys in "
                               f"{int(self.window)} s (limit {suspend} for role {role or 'unknown'})")
            if distinct > self.warn_limit(role):
                if not entry.warned:
                    entry.warned = True
                    return Verdict("warn", identity, distinct, self.warn_limit(role),
                                   f"unwrap ceiling warning: {identity} opened {distinct} distinct keys")
            elif entry.warned and distinct <= self.warn_limit(role) // 2:
                entry.warned = False
            return Verdict("ok", identity, distinct)

    def _sweep(self, now: float) -> None:
        idle = [i for i, e in self._ids.items()
                if e.suspended_until <= now and e.last_used <= now - FORGET_IDENTITY_SECONDS]
        for ident in idle:
            del self._ids[ident]
        if len(self._ids) >= MAX_IDENTITIES:  # still full: forget the least recently used quarter
            live = sorted((e.last_used, i) for i, e in self._ids.items() if e.suspended_until <= now)
            for _, ident in live[: MAX_IDENTITIES // 4]:
                del self._ids[ident]
        for pid in [p for p, w in self._procs.items() if not w.seen]:
            del self._procs[pid]

    def reset(self) -> None:
        """After an unseal: a human has looked; every window and suspension starts afresh."""
        with self._lock:
            self._ids.clear()
            self._procs.clear()
            self._suspensions.clear()

    def is_suspended(self, principal: str) -> bool:
        identity, _ = split_principal(principal)
        with self._lock:
            entry = self._ids.get(identity)
            return entry is not None and entry.suspended_until > self._clock()
