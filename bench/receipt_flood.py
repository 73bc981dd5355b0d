"""Receipt lookups under a junk flood, through the real `corridor serve` (buffering
front + gunicorn + keyd) on SQLite.

Real holders (a few receipts made by real submissions first) look their receipt up as
a browser does, at --real-rate a second: load /receipt/ (for its token), post the
receipt, and count it answered when their conversation page comes back. Meanwhile
another process (pinned to core 0 with --pin) sends --flood-rate junk lookups a second
of random well-formed receipts, one flood after another:

- forged: no token, or a forged one (what a script that never loads the page sends);
- replay: the page loaded once and its token replayed for every post;
- fresh: a new page load for every REPLAY_LIMIT posts (the most a flood can earn
  priority with; it costs the flood a real page load each time).

For each: % of real lookups answered, their p50/p95 (page load + post), junk answered
a second within the issuing window and the statuses the junk got.

    .venv/bin/python -m bench.receipt_flood [--seconds 20] [--flood-rate 300] [--pin]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import statistics
import tempfile
import threading
import time
from urllib.parse import quote_plus

from bench._common import machine
from bench.intake_http import (
    HOST,
    TOKEN_RE,
    _aio_request,
    _get,
    _multipart,
    _pct,
    _post,
    _request,
    rss_mb,
    start_server,
)

FORM = "application/x-www-form-urlencoded"


def _token_of(page: bytes) -> str | None:
    found = TOKEN_RE.search(page)
    return found.group(1).decode().replace("&quot;", '"') if found else None


def _random_receipt(rng: random.Random) -> str:
    d = "".join(rng.choice("0123456789") for _ in range(21))
    return f"+7 9{d[0:2]} {d[2:5]}-{d[5:7]}-{d[7:9]}, +7 9{d[9:11]} {d[11:14]}-{d[14:16]}-{d[16:18]} доб. {d[18:]}"


def look_up(port: int, receipt: str) -> tuple[str, float]:
    """One real holder: load the receipt page, post the receipt; "ok" if their thread
    came back, else what went wrong ("page 503", "post 0", "error")."""
    start = time.perf_counter()
    try:
        status, page = _request(port, _get(port, "/receipt/?lang=ru"))
        token = _token_of(page)
        if token is None:
            return f"page {status}", time.perf_counter() - start
        body = f"token={quote_plus(token)}&receipt={quote_plus(receipt)}".encode()
        status, answer = _request(port, _post(port, "/receipt/?lang=ru", body, FORM))
        outcome = "ok" if status == 200 and b'action="/receipt/write/' in answer else f"post {status}"
    except OSError as exc:
        outcome = type(exc).__name__
    return outcome, time.perf_counter() - start


def flood(port: int, rate: int, seconds: float, kind: str, replay_limit: int, result, core: int | None) -> None:
    """Runs in its own process: `rate` junk lookups a second, paced, for `seconds`."""
    import asyncio

    if core is not None:
        os.sched_setaffinity(0, {core})

    async def fetch_token() -> str | None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(_get(port, "/receipt/?lang=ru"))
            await writer.drain()
            return _token_of(await asyncio.wait_for(reader.read(), 10))
        finally:
            writer.close()

    async def main() -> tuple:
        sent = errors = page_loads = short = 0
        statuses: dict[int, int] = {}
        done_at: list[float] = []
        rng = random.Random(11)
        token = await fetch_token() if kind in ("replay", "fresh") else None
        start = time.monotonic()
        tasks: set = set()
        spare: list[str] = []
        stop = asyncio.Event()

        async def loader() -> None:
            """Page loads in the background, a few at a time, so the posts stay paced."""
            nonlocal page_loads, errors
            while not stop.is_set():
                if len(spare) >= 8:
                    await asyncio.sleep(0.01)
                    continue
                try:
                    fresh = await fetch_token()
                except (OSError, TimeoutError):
                    errors += 1
                    continue
                if fresh:
                    page_loads += 1
                    spare.append(fresh)

        loaders = [asyncio.create_task(loader()) for _ in range(8)] if kind == "fresh" else []

        async def one(i: int, token: str | None) -> None:
            nonlocal errors
            if kind == "forged":
                fields = ([] if i % 2 else [("token", "eyJyIjoxfQ:1xZaSU:" + "A" * 43)])
            else:
                fields = [("token", token or "")]
            fields.append(("receipt", _random_receipt(rng)))
            body = "&".join(f"{k}={quote_plus(v)}" for k, v in fields).encode()
            try:
                status = await _aio_request(port, _post(port, "/receipt/?lang=ru", body, FORM), 10)
            except (OSError, TimeoutError):
                errors += 1
            else:
                statuses[status] = statuses.get(status, 0) + 1
                done_at.append(time.monotonic() - start)

        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if kind == "fresh" and i % replay_limit == 0:
                if spare:
                    token = spare.pop()
                else:
                    short += 1  # no fresh page yet: this token is used beyond its limit
            task = asyncio.create_task(one(i, token))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        issued = time.monotonic() - start
        stop.set()
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        for task in loaders:
            task.cancel()
        in_window = sum(1 for t in done_at if t <= issued)
        return sent, errors, issued, in_window, statuses, (page_loads, short)

    result.put(asyncio.run(main()))


def real_holders(port: int, receipts: list[str], rate: float, seconds: float) -> tuple[int, int, list[float]]:
    results: list[tuple[str, float]] = []
    lock = threading.Lock()

    def one(k: int) -> None:
        outcome = look_up(port, receipts[k % len(receipts)])
        with lock:
            results.append(outcome)

    threads = []
    start = time.monotonic()
    for k in range(int(rate * seconds)):
        delay = start + k / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one, args=(k,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    good = sum(1 for outcome, _ in results if outcome == "ok")
    failures: dict[str, int] = {}
    for outcome, _ in results:
        if outcome != "ok":
            failures[outcome] = failures.get(outcome, 0) + 1
    if failures:
        print(f"  real lookups that failed: {failures}")
    return good, len(results) - good, [took for _, took in results]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood-rate", type=int, default=300)
    parser.add_argument("--real-rate", type=float, default=5)
    parser.add_argument("--floods", default="forged,replay,fresh")
    parser.add_argument("--pin", action="store_true",
                        help="pin the generator to core 0 and the server to core 1 (2-core machine)")
    args = parser.parse_args()
    from corridor.web.front import REPLAY_LIMIT

    os.environ.pop("DATABASE_URL", None)  # SQLite in a fresh CORRIDOR_VAR
    var = tempfile.mkdtemp(prefix="corridor-bench-receipt-")
    proc, port = start_server(var, args.workers, 1 if args.pin else None)
    core = 0 if args.pin else None
    try:
        print(f"machine: {machine()}; load average at start {os.getloadavg()}")
        print(f"server: corridor serve --workers {args.workers} on {HOST}:{port} (front + gunicorn, SQLite), "
              f"{'generator pinned to core 0, server to core 1' if args.pin else 'not pinned'}")
        receipts = []
        for _ in range(5):
            _, page = _request(port, _get(port, "/?lang=ru"))
            body, ctype = _multipart({"token": _token_of(page), "what": "помогите", "urgency": "2"}, [])
            _, answer = _request(port, _post(port, "/?lang=ru", body, ctype))
            found = re.search(rb'id="receipt">(.*?)</p>', answer, re.S)
            if found:
                receipts.append(re.sub(r"<[^>]+>", "", found.group(1).decode()))
        if not receipts:
            raise SystemExit("no receipt could be made")
        real_holders(port, receipts, args.real_rate, 2)  # warm-up
        good, bad, lat = real_holders(port, receipts, args.real_rate, min(args.seconds, 10))
        print(f"no flood: real lookups {good}/{good + bad} answered, "
              f"p50 {statistics.median(lat) * 1000:.0f} ms p95 {_pct(lat, .95) * 1000:.0f} ms (page load + post)")
        summary = []
        for kind in args.floods.split(","):
            queue: multiprocessing.Queue = multiprocessing.Queue()
            flooder = multiprocessing.Process(target=flood, args=(port, args.flood_rate, args.seconds, kind,
                                                                  REPLAY_LIMIT, queue, core))
            flooder.start()
            time.sleep(0.5)
            good, bad, lat = real_holders(port, receipts, args.real_rate, args.seconds - 1)
            flooder.join()
            sent, errors, issued, in_window, statuses, loads = queue.get()
            share = good / max(good + bad, 1) * 100
            extra = (f", {loads[0]} page loads for fresh tokens ({loads[1]} times none was ready and a token "
                     f"was used beyond {REPLAY_LIMIT} posts)" if kind == "fresh" else "")
            print(f"flood '{kind}': {sent} junk lookups in {issued:.1f} s = {sent / issued:.0f}/s issued, "
                  f"{in_window / issued:.0f}/s answered within the window, {errors} errors/timeouts{extra}; "
                  f"statuses {dict(sorted(statuses.items()))}")
            print(f"  real lookups at {args.real_rate:g}/s: {good}/{good + bad} answered = {share:.1f} %, "
                  f"p50 {statistics.median(lat) * 1000:.0f} ms p95 {_pct(lat, .95) * 1000:.0f} ms; "
                  f"server RSS {rss_mb(proc.pid):.0f} MB; load {os.getloadavg()[0]:.1f}")
            summary.append(f"{kind} {sent / issued:.0f}/s: {share:.1f} % real, p95 {_pct(lat, .95) * 1000:.0f} ms")
        print("SUMMARY receipt_flood: " + "; ".join(summary))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            proc.kill()


if __name__ == "__main__":
    main()
