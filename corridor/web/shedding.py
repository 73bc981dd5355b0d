"""What the buffering front (corridor/web/front.py) judges junk by, without Django or a
database: the signed form tokens (and when their page was made), how often a token
was posted, the receipt's format, and the worker-slot lines that put fresh posts
first. docs/operations.md, "Junk floods", has the policy and its numbers."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import hmac
import json
import os
import re
import time
from urllib.parse import unquote_to_bytes

from corridor.intake.receipt_format import parse as receipt_parse
from corridor.intake.receipt_format import plausible as receipt_plausible

TOKEN_PEEK = 8 * 1024  # the token field must be complete within the first 8 KiB
MAX_WAITING = 512  # requests waiting for a worker slot (per line), beyond which 503 at once
STALE_WAITING = 128  # the line of stale or replayed posts is shorter: a flood in it holds few connections
# Token replay (docs/operations.md, "Junk floods"): a token is *fresh* for
# FRESH_SECONDS after its page was made and for its first REPLAY_LIMIT posts. Fresh
# posts go first; the rest (replays, pages left open for hours) go after everything
# else, but still go: a real person is never refused for it. Uses are counted per
# token in a table of at most MAX_TRACKED entries (about 250 bytes each).
FRESH_SECONDS = 2 * 3600
REPLAY_LIMIT = 4
MAX_TRACKED = 32_768
CLOCK_SKEW = 60
SIGNED, OTHER, STALE = 0, 1, 2  # worker-slot lines, served in this order
RECEIPT_MAX_CHARS = 200  # ReceiptForm's max_length


# --- the public form tokens, checked without Django -----------------------------------------
_B62 = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}


def token_time(value: bytes, keys: list[bytes]) -> int | None:
    """When the page was made, if `value` is a token signed by `django.core.signing.dumps`
    under one of `keys` (each the derived HMAC key sha256(salt + "signer" + secret) that
    Django's `salted_hmac` uses; corridor/intake/front.py makes them); None if it is not.
    The age is not judged here: Django does that, and keeps the person's text when the
    page was merely old."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    head, sep, signature = text.rpartition(":")
    if not sep or ":" not in head or len(text) > 1024:
        return None
    given = signature.encode()
    ok = False
    for key in keys:
        mac = base64.urlsafe_b64encode(hmac.new(key, head.encode(), hashlib.sha256).digest()).rstrip(b"=")
        ok |= hmac.compare_digest(mac, given)
    if not ok:
        return None
    stamp = head.rpartition(":")[2]
    if not stamp or len(stamp) > 12 or any(c not in _B62 for c in stamp):
        return 0  # signed by us, but no timestamp we can read: never fresh
    when = 0
    for c in stamp:
        when = when * 62 + _B62[c]
    return when


def token_signed(value: bytes, keys: list[bytes]) -> bool:
    return token_time(value, keys) is not None


def mint_token(key: bytes, now: float | None = None) -> str:
    """A receipt-page token as Django makes it (`signing.dumps({"r": 1, "n": ...})`),
    used only by the front's own requests for the pages it serves."""
    payload = base64.urlsafe_b64encode(json.dumps({"r": 1, "n": os.urandom(8).hex()},
                                                  separators=(",", ":")).encode()).rstrip(b"=").decode()
    when, stamp = int(time.time() if now is None else now), ""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    while True:
        when, digit = divmod(when, 62)
        stamp = alphabet[digit] + stamp
        if not when:
            break
    head = f"{payload}:{stamp}"
    mac = base64.urlsafe_b64encode(hmac.new(key, head.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return f"{head}:{mac}"


def malformed_receipt(body: bytes) -> str | None:
    """The typed receipt if this post (`token=...&receipt=...`, from our page) can only
    get Django's "this does not look like a receipt" answer; None when Django must
    judge it (a well-formed receipt, an empty or over-long field, anything unusual)."""
    fields = []
    for pair in body.split(b"&"):
        name, sep, value = pair.partition(b"=")
        if not sep:
            return None
        fields.append((name, unquote_to_bytes(value.replace(b"+", b" "))))
    if [name for name, _ in fields] != [b"token", b"receipt"]:
        return None
    try:
        text = fields[1][1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    cleaned = text.strip()
    if not cleaned or len(cleaned) > RECEIPT_MAX_CHARS or "\x00" in text:
        return None  # the form's own errors: Django's to give
    if receipt_plausible(cleaned) and receipt_parse(cleaned) is not None:
        return None
    return text


class Replays:
    """How often each recent token was posted, in bounded memory.

    Keyed by the token's signature (it names no one: a token is a random nonce and a
    time). Entries leave once their token is no longer fresh anyway, or, when the table
    is full, oldest first; a token pushed out early may earn its REPLAY_LIMIT fresh
    posts once more, so one page load is worth at most 2 x REPLAY_LIMIT of them."""

    def __init__(self, limit: int = REPLAY_LIMIT, window: float = FRESH_SECONDS, size: int = MAX_TRACKED) -> None:
        self.limit, self.window, self.size = limit, window, size
        self.seen: collections.OrderedDict[bytes, list] = collections.OrderedDict()

    def fresh(self, token: bytes, made: int, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        if not (now - self.window < made <= now + CLOCK_SKEW):
            return False
        while self.seen:
            first = next(iter(self.seen.values()))
            if first[0] > now - self.window and len(self.seen) < self.size:
                break
            self.seen.popitem(last=False)
        key = token.rpartition(b":")[2]
        entry = self.seen.get(key)
        if entry is None:
            self.seen[key] = [made, 1]
            return True
        entry[1] += 1
        return entry[1] <= self.limit


_BOUNDARY = re.compile(rb'boundary=(?:"([^"]{1,70})"|([^\s;,"]{1,70}))', re.I)
NEED, BAD = object(), object()


def first_field_token(buf: bytes, content_type: bytes, complete: bool):
    """The value of the body's first form field if that field is `token`; NEED if
    more bytes are needed to tell, BAD if the body cannot be a post from our form."""
    ctype = content_type.lower()
    more = NEED if not complete and len(buf) < TOKEN_PEEK else BAD
    if ctype.startswith(b"multipart/form-data"):
        m = _BOUNDARY.search(content_type)
        if not m:
            return BAD
        delimiter = b"--" + (m.group(1) or m.group(2))
        start = delimiter + b"\r\n"
        if not buf.startswith(start):
            return more if start.startswith(buf) else BAD
        head_end = buf.find(b"\r\n\r\n", len(start))
        if head_end < 0:
            return more
        part_headers = buf[len(start):head_end].lower()
        if b'; name="token"' not in part_headers or b"filename" in part_headers:
            return BAD
        end = buf.find(b"\r\n" + delimiter, head_end + 4)
        return more if end < 0 else buf[head_end + 4:end]
    if ctype.startswith(b"application/x-www-form-urlencoded"):
        if not buf.startswith(b"token="):
            return more if b"token=".startswith(buf) else BAD
        amp = buf.find(b"&")
        if amp < 0:
            return buf[6:] if complete else more
        return unquote_to_bytes(buf[6:amp].replace(b"+", b" "))
    return BAD


def _query_lang(target: bytes, languages: frozenset) -> str:
    _, _, query = target.partition(b"?")
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"lang":
            lang = value.decode("latin-1")
            return lang if lang in languages else ""
    return ""


class Gate:
    """Bounded worker slots; waiting requests with a fresh signed token go first, then
    everything else, then posts whose token is stale or replayed. Those last may hold
    at most `stale_slots` slots at once (a quarter by default): the workers share their
    processor among the requests they hold, so a replay flood given every slot would
    slow the real requests beside it even if they were let in first."""

    def __init__(self, slots: int, max_waiting: int = MAX_WAITING, stale_slots: int | None = None,
                 stale_waiting: int = STALE_WAITING) -> None:
        self.free = slots
        self.max_waiting = (max_waiting, max_waiting, stale_waiting)
        self.stale_slots = max(1, slots // 4) if stale_slots is None else stale_slots
        self.stale_active = 0
        self.waiting = (collections.deque(), collections.deque(), collections.deque())

    def _may(self, cls: int) -> bool:
        return cls != STALE or self.stale_active < self.stale_slots

    def _take(self, cls: int) -> None:
        self.free -= 1
        self.stale_active += cls == STALE

    async def acquire(self, cls: int) -> bool:
        if self.free > 0 and not any(self.waiting[c] for c in range(cls + 1)) and self._may(cls):
            self._take(cls)
            return True
        line = self.waiting[cls]
        if len(line) >= self.max_waiting[cls]:
            return False
        future = asyncio.get_running_loop().create_future()
        line.append(future)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self.release(cls)  # the slot was handed over just as this waiter left
            else:
                with contextlib.suppress(ValueError):
                    line.remove(future)
            raise
        return True

    def release(self, cls: int = OTHER) -> None:
        self.free += 1
        self.stale_active -= cls == STALE
        while self.free > 0:
            for c, line in enumerate(self.waiting):
                while line and line[0].done():
                    line.popleft()
                if line and self._may(c):
                    self._take(c)
                    line.popleft().set_result(None)
                    break
            else:
                return
