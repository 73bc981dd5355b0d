"""The front's token checks and replay table on their own (no server; the attacks over
real sockets are in test_front_shedding.py)."""

from __future__ import annotations

import asyncio
import threading
import time

from django.core import signing

from corridor.intake.front import token_key
from corridor.intake.views.public import TOKEN_SALT
from corridor.web import front

SECRET = "k" * 50


def _token(at: float | None = None, secret: str = SECRET) -> bytes:
    signer = signing.TimestampSigner(key=secret, salt=TOKEN_SALT, fallback_keys=[])
    if at is None:
        return signer.sign_object({"r": 1, "n": "ab" * 8}).encode()
    real = time.time
    time.time = lambda: at
    try:
        return signer.sign_object({"r": 1, "n": "ab" * 8}).encode()
    finally:
        time.time = real


def _run(scenario):
    """asyncio.run in a thread of its own: a browser test in the same session may keep
    an event loop running in this one (Playwright's)."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(value=asyncio.run(scenario())))
    thread.start()
    thread.join(10)
    return out["value"]


def test_it_reads_the_time_of_a_token_django_signed():
    keys = [token_key(SECRET)]
    assert front.token_time(_token(at=1_700_000_000.0), keys) == 1_700_000_000
    assert abs(front.token_time(_token(), keys) - time.time()) < 5


def test_it_refuses_forged_tampered_and_foreign_tokens():
    keys = [token_key(SECRET)]
    real = _token()
    payload, stamp, signature = real.decode().split(":")
    forged = [
        real[:-2] + (b"AA" if not real.endswith(b"AA") else b"BB"),
        # a later time under the same signature (to look fresh) does not pass
        f"{payload}:{stamp[:-1]}{'z' if stamp[-1] != 'z' else 'y'}:{signature}".encode(),
        _token(secret="other" * 10),
        b"", b"a:b", b"a:b:c", "ж:ж:ж".encode(), b"x" * 2000 + real,
    ]
    for value in forged:
        assert front.token_time(value, keys) is None, value
    # The key of the previous secret (SECRET_KEY_FALLBACKS) still checks old pages.
    assert front.token_time(_token(secret="other" * 10), [token_key(SECRET), token_key("other" * 10)])


def test_a_token_is_fresh_for_its_first_posts_only():
    replays = front.Replays(limit=4, window=600, size=100)
    token, now = _token(at=1000.0), 1010.0
    assert [replays.fresh(token, 1000, now) for _ in range(6)] == [True] * 4 + [False] * 2
    assert replays.fresh(_token(at=1001.0), 1001, now)  # another page load is fresh again


def test_an_old_or_future_token_is_never_fresh():
    replays = front.Replays(limit=4, window=600, size=100)
    assert not replays.fresh(_token(at=1000.0), 1000, 1000.0 + 601)
    assert not replays.fresh(_token(at=5000.0), 5000, 1000.0)
    assert not replays.seen  # and costs no memory


def test_the_replay_table_stays_bounded_under_a_flood_of_fresh_tokens():
    replays = front.Replays(limit=4, window=600, size=1000)
    for i in range(20_000):
        replays.fresh(b"x:%d:sig%d" % (i, i), 1000, 1000.0 + i / 100)
        assert len(replays.seen) <= 1000
    # Entries past the window leave even when the table is not full.
    replays.fresh(b"x:y:last", 2000, 2000.0 + 599)
    assert all(made > 2000 + 599 - 600 for made, _ in replays.seen.values())


def test_fresh_posts_get_a_worker_first_then_others_then_replays():
    async def scenario() -> list[str]:
        gate = front.Gate(1)
        assert await gate.acquire(front.OTHER)
        order: list[str] = []

        async def want(name: str, cls: int) -> None:
            await gate.acquire(cls)
            order.append(name)
            gate.release(cls)

        tasks = [asyncio.ensure_future(want(n, c)) for n, c in
                 (("replay-1", front.STALE), ("page", front.OTHER), ("replay-2", front.STALE),
                  ("fresh", front.SIGNED))]
        await asyncio.sleep(0)
        gate.release()
        await asyncio.gather(*tasks)
        return order

    assert _run(scenario) == ["fresh", "page", "replay-1", "replay-2"]


def test_the_stale_line_is_bounded_and_answers_at_once_when_full():
    async def scenario() -> list[bool]:
        gate = front.Gate(1, max_waiting=10, stale_waiting=2)
        await gate.acquire(front.OTHER)
        waiting = [asyncio.ensure_future(gate.acquire(front.STALE)) for _ in range(2)]
        await asyncio.sleep(0)
        refused = await gate.acquire(front.STALE)
        fresh = asyncio.ensure_future(gate.acquire(front.SIGNED))  # its own line is not full
        await asyncio.sleep(0)
        gate.release()
        await fresh
        for w in waiting:
            w.cancel()
        return [refused, fresh.result()]

    assert _run(scenario) == [False, True]


def test_replays_hold_at_most_a_quarter_of_the_slots_and_others_pass_them():
    async def scenario() -> tuple:
        gate = front.Gate(8)
        assert gate.stale_slots == 2
        held = [await gate.acquire(front.STALE) for _ in range(2)]
        third = asyncio.ensure_future(gate.acquire(front.STALE))
        await asyncio.sleep(0)
        waiting = not third.done()
        # Slots are free, and a page load or a fresh post takes one at once.
        page = await asyncio.wait_for(gate.acquire(front.OTHER), 1)
        fresh = await asyncio.wait_for(gate.acquire(front.SIGNED), 1)
        gate.release(front.OTHER)
        await asyncio.sleep(0)
        still = not third.done()
        gate.release(front.STALE)  # a replay slot frees: the waiting replay gets it
        await asyncio.wait_for(third, 1)
        return held, waiting, page, fresh, still, gate.stale_active, gate.free

    assert _run(scenario) == ([True, True], True, True, True, True, 2, 5)
