"""Public intake through the full HTTP stack: `corridor serve` (gunicorn + keyd) on a
loopback port, with the key agent SEALED, so every submission is sealed with HPKE
to the organisation's public key and nothing can be decrypted on the server.

1. Sustained: concurrent clients each load the form (GET, for its token) and post a
   submission (one in five with a small photo); submissions/s over a fixed window.
2. Junk flood: another process sends 300 requests/s of junk (a 50 MB Content-Length,
   broken multipart, empty forms, 25,000-character text, forged tokens, a ZIP) while
   real people submit at 10/s: the share of real submissions accepted, their latency,
   and the server's memory (RSS of gunicorn master + workers + keyd).

    .venv/bin/python -m bench.intake_http [--workers 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._common import machine

HOST = "127.0.0.1"
# A real JPEG (the intake parses its header for the pixel limit) carrying a 30 KB
# comment, so the upload weighs what a phone photo's thumbnail and EXIF would.
_PHOTO = __import__("corridor.evidence.samples", fromlist=["make_jpeg"]).make_jpeg()
JPEG = _PHOTO[:2] + b"\xff\xfe" + (30_002).to_bytes(2, "big") + os.urandom(30_000) + _PHOTO[2:]
TOKEN_RE = re.compile(rb'name="token" value="([^"]+)"')


# --- a tiny HTTP/1.1 client on raw sockets (cheap enough to generate 300 req/s) -----------
def _request(port: int, raw: bytes, timeout: float = 15.0) -> tuple[int, bytes]:
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
    response = b"".join(chunks)
    try:
        status = int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, response


def _get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()


def _post(port: int, path: str, body: bytes, content_type: str, length: int | None = None) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\nOrigin: null\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body) if length is None else length}\r\n\r\n")
    return head.encode() + body


def _multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "----bench" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def submit_once(port: int, rng: random.Random) -> tuple[bool, float]:
    """One real person: load the form, send a message; True if a receipt came back."""
    start = time.perf_counter()
    try:
        _, page = _request(port, _get(port, "/?lang=ru"))
        match = TOKEN_RE.search(page)
        if not match:
            return False, time.perf_counter() - start
        token = match.group(1).decode().replace("&quot;", '"')
        # the token first, as a browser sends it (it is the form's first field)
        fields = {"token": token, "what": "Меня задержали возле дома и держали три дня. " * rng.randint(1, 20),
                  "where": "Грозный", "urgency": str(rng.randint(1, 3)), "reach": "Signal после 22:00"}
        files = [("photo.jpg", JPEG)] if rng.random() < 0.2 else []
        body, ctype = _multipart(fields, files)
        status, response = _request(port, _post(port, "/?lang=ru", body, ctype))
        ok = status == 200 and b'id="receipt"' in response
    except OSError:
        ok = False
    return ok, time.perf_counter() - start


def _junk(port: int, i: int) -> bytes:
    kind = i % 7
    if kind == 0:
        return _post(port, "/", b"x" * 100, "multipart/form-data; boundary=x", length=50 * 1024 * 1024)
    if kind == 1:
        return _post(port, "/", b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\n"
                     b"Content-Transfer-Encoding: base64\r\n\r\n!!!!", "multipart/form-data; boundary=x")
    if kind == 2:
        return _post(port, "/", b"", "application/x-www-form-urlencoded")
    if kind == 3:
        return _post(port, "/", ("what=" + "я" * 25_000 + "&urgency=3&token=x").encode(),
                     "application/x-www-form-urlencoded")
    if kind == 4:
        return _post(port, "/", b"what=spam&urgency=3&token=forged.token", "application/x-www-form-urlencoded")
    if kind == 5:
        body, ctype = _multipart({"what": "x", "urgency": "1", "token": "x"}, [("a.zip", b"PK\x03\x04" + b"\0" * 500)])
        return _post(port, "/", body, ctype)
    return _post(port, "/receipt/", b"receipt=%2B7+912+345-67-89%2C+%2B7+987+654-32-10+123",
                 "application/x-www-form-urlencoded")


async def _aio_request(port: int, raw: bytes, timeout: float) -> int:
    import asyncio

    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        head = await asyncio.wait_for(reader.read(64), timeout)
        await asyncio.wait_for(reader.read(), timeout)
        try:
            return int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 0
    finally:
        writer.close()


def flood(port: int, rate: int, seconds: float, result, kind: str = "intake", core: int | None = 0) -> None:
    """Runs in its own process (pinned to one core when `core` is set): an asyncio
    client sending `rate` junk requests a second, paced, for `seconds`."""
    import asyncio

    if core is not None:
        os.sched_setaffinity(0, {core})

    async def main() -> tuple:
        sent = errors = 0
        statuses: dict[int, int] = {}
        done_at: list[float] = []
        start = time.monotonic()
        tasks: set = set()
        n = int(rate * seconds)
        rng = random.Random(7)

        async def one(i: int) -> None:
            nonlocal errors
            if kind == "receipt":
                digits = "".join(rng.choice("0123456789") for _ in range(21))
                body = ("receipt=" + digits).encode()
                raw = _post(port, "/receipt/", body, "application/x-www-form-urlencoded")
            else:
                raw = _junk(port, i)
            try:
                status = await _aio_request(port, raw, 10)
            except (OSError, TimeoutError):
                errors += 1
            else:
                statuses[status] = statuses.get(status, 0) + 1
                done_at.append(time.monotonic() - start)

        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        issued = time.monotonic() - start
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        # answered within the issuing window: the rate the server really absorbed
        in_window = sum(1 for t in done_at if t <= issued)
        return sent, errors, time.monotonic() - start, issued, in_window, statuses

    sent, errors, took, issued, in_window, statuses = asyncio.run(main())
    result.put((sent, errors, took, issued, in_window, statuses))


# --- the server -------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_mb(root: int) -> float:
    total = 0
    for pid in _tree_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start_server(var: str, workers: int, core: int | None = None) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "CORRIDOR_VAR": var}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    corridor = [sys.executable, "-c", "from corridor.cli import main; main()"]
    subprocess.run([*corridor, "demo", "--cases", "0"], env=env, check=True, capture_output=True)
    port = _free_port()
    pin = ["taskset", "-c", str(core)] if core is not None else []
    proc = subprocess.Popen([*pin, *corridor, "serve", "--bind", f"{HOST}:{port}", "--workers", str(workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, _get(port, "/"), timeout=2)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start: " + proc.stderr.read().decode()[-2000:])


def sustained(port: int, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    ok = failed = 0
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal ok, failed
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            good, took = submit_once(port, rng)
            with lock:
                ok += good
                failed += not good
                latencies.append(took)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok, failed, latencies


def paced(port: int, rate: float, seconds: float, server_pid: int) -> tuple[int, int, list[float], float]:
    results: list[tuple[bool, float]] = []
    lock = threading.Lock()
    peak = [0.0]
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], rss_mb(server_pid))

    def one(seed: int) -> None:
        outcome = submit_once(port, random.Random(seed))
        with lock:
            results.append(outcome)

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    threads = []
    start = time.monotonic()
    n = int(rate * seconds)
    for k in range(n):
        delay = start + k / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t = threading.Thread(target=one, args=(k,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    stop.set()
    good = sum(1 for r, _ in results if r)
    return good, len(results) - good, [took for _, took in results], peak[0]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood-rate", type=int, default=300)
    parser.add_argument("--real-rate", type=float, default=10)
    parser.add_argument("--pin", action="store_true",
                        help="pin the generator to core 0 and the server to core 1 (2-core machine)")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="corridor-bench-intake-")
    proc, port = start_server(var, args.workers, 1 if args.pin else None)
    try:
        print(f"machine: {machine()}")
        print(f"server: corridor serve --workers {args.workers} on {HOST}:{port}, key agent sealed")
        sustained(port, 2, 3)  # warm-up
        rss_idle = rss_mb(proc.pid)
        ok, failed, lat = sustained(port, args.clients, args.seconds)
        rate = ok / args.seconds
        print(f"sustained: {ok} sealed submissions in {args.seconds:.0f} s = {rate:.1f}/s "
              f"({failed} failed), {args.clients} clients; latency p50={statistics.median(lat) * 1000:.0f} ms "
              f"p95={_pct(lat, .95) * 1000:.0f} ms (GET form + POST)")
        core = 0 if args.pin else None
        queue: multiprocessing.Queue = multiprocessing.Queue()
        flooder = multiprocessing.Process(target=flood, args=(port, args.flood_rate, args.seconds, queue, "intake", core))
        flooder.start()
        good, bad, lat2, peak = paced(port, args.real_rate, args.seconds, proc.pid)
        flooder.join()
        sent, errors, took, issued, in_window, statuses = queue.get()
        share = good / max(good + bad, 1) * 100
        pinned = "generator pinned to core 0, server to core 1" if args.pin else "not pinned"
        answered = sum(statuses.values())
        print(f"flood ({pinned}): {sent} junk requests issued in {issued:.1f} s = {sent / issued:.0f}/s; "
              f"{answered} answered ({in_window / issued:.0f}/s answered within the issuing window), "
              f"{errors} connection errors or timeouts; statuses {dict(sorted(statuses.items()))}")
        print(f"  real submissions "
              f"at {args.real_rate:.0f}/s: {good}/{good + bad} accepted = {share:.1f} %, latency "
              f"p50={statistics.median(lat2) * 1000:.0f} ms p95={_pct(lat2, .95) * 1000:.0f} ms")
        print(f"memory: server RSS idle {rss_idle:.0f} MB, peak under flood {peak:.0f} MB")
        # receipt flood: random well-formed receipts at the flood rate, real holders look theirs up
        real = []
        for _k in range(5):
            _, page = _request(port, _get(port, "/?lang=ru"))
            token = TOKEN_RE.search(page).group(1).decode().replace("&quot;", '"')
            body, ctype = _multipart({"token": token, "what": "помогите", "urgency": "2"}, [])
            _, response = _request(port, _post(port, "/?lang=ru", body, ctype))
            m = re.search(rb'id="receipt">(.*?)</p>', response, re.S)
            if m:
                real.append(re.sub(r"<[^>]+>", "", m.group(1).decode()))
        queue = multiprocessing.Queue()
        flooder = multiprocessing.Process(target=flood, args=(port, args.flood_rate, args.seconds, queue, "receipt", core))
        flooder.start()
        ok_r = bad_r = 0
        lat_r: list[float] = []
        deadline = time.monotonic() + args.seconds
        from urllib.parse import quote_plus
        while time.monotonic() < deadline and real:
            t0 = time.perf_counter()
            _, form = _request(port, _get(port, "/receipt/?lang=ru"))  # the page's token, as a browser
            form_token = TOKEN_RE.search(form).group(1).decode()
            status, _ = _request(port, _post(port, "/receipt/?lang=ru",
                                             (f"token={quote_plus(form_token)}&receipt="
                                              + quote_plus(real[ok_r % len(real)])).encode(),
                                             "application/x-www-form-urlencoded"))
            lat_r.append(time.perf_counter() - t0)
            ok_r += status == 200
            bad_r += status != 200
            time.sleep(0.1)
        flooder.join()
        rsent, rerrors, rtook, _rissued, _rin, _rstatuses = queue.get()
        rshare = ok_r / max(ok_r + bad_r, 1) * 100
        print(f"receipt flood: {rsent / rtook:.0f} random receipts/s ({rerrors} connection errors); real lookups "
              f"{ok_r}/{ok_r + bad_r} = {rshare:.1f} %, p95 {_pct(lat_r, .95) * 1000:.0f} ms"
              if lat_r else "receipt flood: no real receipt could be parsed from the page")
        print(f"uptime: {os.getloadavg()}")
        print(f"SUMMARY intake_http: sustained {rate:.1f} sealed submissions/s (target >= 20); under "
              f"{sent / issued:.0f} junk req/s issued ({in_window / issued:.0f}/s answered) {share:.1f} % of real accepted (target >= 99 %), "
              f"p95 {_pct(lat2, .95) * 1000:.0f} ms, peak RSS {peak:.0f} MB; receipt flood {rshare:.1f} % real ok")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
