"""Pushing checkpoints to partner organisations' witnesses (c2sp.org/tlog-witness).

Each witness keeps the last head it cosigned and cosigns only consistent
extensions, so a forked or rewritten log cannot collect cosignatures from
witnesses that saw the real one. A witness that is offline never blocks: the
push runs from the periodic job, all witnesses are asked at once with a short
timeout each (a bundle waits one timeout at most, however many are down), and the next
tick tries again. A witness that refuses (403, 422, or a 409 size we cannot
prove consistency from) raises an alert: it saw a different log.
"""

from __future__ import annotations

import base64
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from corridor.audit.checkpoint import CheckpointError
from corridor.audit.cosignature import Witness, parse_witness_key, verify_cosignatures
from corridor.audit.models import AuditAlert, Checkpoint, WitnessCosignature
from corridor.audit.services import consistency_proof, latest_checkpoint, record

log = logging.getLogger("corridor.audit")


@dataclass(frozen=True)
class ConfiguredWitness:
    key: Witness
    url: str


def configured() -> list[ConfiguredWitness]:
    out = []
    for vkey, url in settings.CORRIDOR_WITNESSES:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"witness URL {url!r} must be http:// or https://")
        out.append(ConfiguredWitness(parse_witness_key(vkey), url.rstrip("/")))
    return out


def cosigned_note(cp: Checkpoint) -> str:
    """The checkpoint with every stored cosignature appended (what bundles carry)."""
    lines = "".join(c.line for c in cp.cosignatures.order_by("witness"))
    return cp.note + lines


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=settings.CORRIDOR_WITNESS_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536)


def _last_size(w: ConfiguredWitness) -> int:
    last = WitnessCosignature.objects.filter(witness=w.key.name).order_by("-checkpoint__size").first()
    return last.checkpoint.size if last else 0


def _request(cp: Checkpoint, old: int) -> bytes:
    proof = consistency_proof(old, cp.size) if 0 < old < cp.size else []
    return ("".join([f"old {old}\n"] + [base64.b64encode(p).decode() + "\n" for p in proof]) + "\n" + cp.note).encode()


def _answer(url: str, body: bytes) -> tuple[int, bytes] | Exception:
    """One add-checkpoint exchange, network only (safe in a worker thread)."""
    try:
        return _post(url, body)
    except (OSError, ValueError) as exc:
        return exc


def push(cp: Checkpoint, w: ConfiguredWitness, *, old: int | None = None,
         first: tuple[int, bytes] | Exception | None = None) -> str:
    """Ask one witness to cosign; returns "cosigned", "offline" or "refused". `first` is
    the answer to the first request when `push_latest` already sent it."""
    old = _last_size(w) if old is None else old
    try:
        for attempt in range(2):  # on 409 the witness tells us its size: retry once from there
            answer = first if attempt == 0 and first is not None else _answer(w.url, _request(cp, old))
            if isinstance(answer, Exception):
                raise answer
            status, body = answer
            if status != 409:
                break
            try:
                theirs = int(body.decode().strip())
            except ValueError:
                theirs = -1
            if not 0 <= theirs <= cp.size or theirs == old:
                break
            old = theirs
    except (OSError, ValueError) as exc:
        log.info("witness %s offline: %s", w.key.name, exc.__class__.__name__)
        return "offline"
    if status == 200:
        try:
            found = verify_cosignatures(cp.note + body.decode("utf-8"), [w.key])
        except (CheckpointError, UnicodeDecodeError) as exc:
            return _refused(cp, w, f"answered with an invalid cosignature: {exc}")
        if found:
            line = next(x + "\n" for x in body.decode().splitlines() if x.startswith(f"\u2014 {w.key.name} "))
            WitnessCosignature.objects.get_or_create(checkpoint=cp, witness=w.key.name,
                                                     defaults={"timestamp": found[0].timestamp, "line": line})
            return "cosigned"
        return _refused(cp, w, "answered without its cosignature")
    if status >= 500:
        return "offline"
    return _refused(cp, w, f"refused checkpoint {cp.size} (HTTP {status}: {body[:200].decode('utf-8', 'replace').strip()})")


def _refused(cp: Checkpoint, w: ConfiguredWitness, message: str) -> str:
    from corridor.audit.events import CoreEvent

    text = f"witness {w.key.name} {message}"
    log.error("%s", text)
    with transaction.atomic():
        if not AuditAlert.objects.filter(kind=AuditAlert.Kind.WITNESS_REFUSED, acknowledged=None, message=text).exists():
            AuditAlert.objects.create(kind=AuditAlert.Kind.WITNESS_REFUSED, message=text)
            record(CoreEvent.WITNESS_REFUSED, actor="system:audit", witness=w.key.name, size=cp.size,
                   reason=message[:300])
    return "refused"


def push_latest() -> dict[str, str]:
    """Periodic job: show the newest checkpoint to every witness that has not cosigned it."""
    cp = latest_checkpoint()
    if cp is None:
        return {}
    done = set(cp.cosignatures.values_list("witness", flat=True))
    todo = [w for w in configured() if w.key.name not in done]
    if not todo:
        return {}
    # All witnesses at once, so offline ones cost one timeout in all, not one each. Only
    # the HTTP exchange runs in the threads; every database read and write stays here.
    olds = [_last_size(w) for w in todo]
    bodies = [_request(cp, old) for old in olds]
    with ThreadPoolExecutor(max_workers=min(8, len(todo)), thread_name_prefix="witness") as pool:
        answers = list(pool.map(_answer, [w.url for w in todo], bodies))
    return {w.key.name: push(cp, w, old=old, first=answer) for w, old, answer in zip(todo, olds, answers, strict=True)}
