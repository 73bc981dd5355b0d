"""Writing to the audit log: always inside the caller's transaction.

`record()` must run inside `transaction.atomic()`, in the same transaction as the
change it describes: if the change rolls back, so does its entry, and an entry can
never exist for a change that did not happen. The head row is locked for the
append, which serialises writers and keeps sequence numbers gap-free.
"""

from __future__ import annotations

import json
import logging
import time
from enum import IntEnum
from typing import Any

from django.conf import settings
from django.db import transaction

from corridor.audit import merkle
from corridor.audit.checkpoint import Checkpoint as CheckpointNote
from corridor.audit.checkpoint import sign_checkpoint
from corridor.audit.models import AuditEntry, AuditHead, AuditNode, Checkpoint, node_key

log = logging.getLogger("corridor.audit")


class AuditOutsideTransaction(RuntimeError):
    pass


def canonical_leaf(
    *, seq: int, ts_us: int, code: int, actor: str, organisation: str,
    object_type: str, object_id: str, data: dict[str, Any],
) -> bytes:
    """The exact bytes hashed into the tree: sorted-key compact JSON, ASCII only."""
    body = {
        "seq": seq, "ts": ts_us, "code": code, "actor": actor, "org": organisation,
        "type": object_type, "id": object_id, "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _check_data(value: Any, path: str = "data") -> None:
    # Floats do not round-trip exactly through every database's JSON type; the leaf
    # must re-serialise to identical bytes, so only exact types are allowed.
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_data(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings")
            _check_data(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in audit data (use str or int)")


def happened(when) -> str:
    """When the recorded thing happened, for entries about work entered after the
    fact (the entry's own `ts` is when it was recorded): UTC, to the second."""
    from datetime import UTC

    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _actor_name(actor) -> str:
    if actor is None:
        return ""
    if isinstance(actor, str):
        return actor
    return getattr(actor, "principal", str(actor))


def record(
    event: IntEnum, *, actor=None, organisation=None, obj=None,
    object_type: str = "", object_id: str = "", **data: Any,
) -> AuditEntry:
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction("audit.record() must run inside the change's transaction")
    _check_data(data)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "audit_id", obj.pk))
    org = organisation if isinstance(organisation, str) else str(getattr(organisation, "pk", "") or "")
    if not org and actor is not None and getattr(actor, "organisation_id", None):
        org = str(actor.organisation_id)

    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    seq = head.size
    ts_us = time.time_ns() // 1000
    leaf = canonical_leaf(
        seq=seq, ts_us=ts_us, code=int(event), actor=_actor_name(actor), organisation=org,
        object_type=object_type, object_id=object_id, data=data,
    )
    leaf_hash = merkle.leaf_hash(leaf)
    entry = AuditEntry.objects.create(
        seq=seq, ts_us=ts_us, code=int(event), actor=_actor_name(actor), organisation=org,
        object_type=object_type, object_id=object_id, leaf=leaf, leaf_hash=leaf_hash,
    )
    compact = merkle.CompactRange.from_bytes(head.size, bytes(head.compact))
    completed = compact.append(leaf_hash)
    AuditNode.objects.bulk_create(
        [AuditNode(key=node_key(level, index), hash=h) for level, index, h in completed]
    )
    head.size = compact.size
    head.compact = compact.to_bytes()
    head.root = compact.root()
    head.save()
    if head.size % settings.CORRIDOR_CHECKPOINT_EVERY == 0:
        transaction.on_commit(_checkpoint_quietly)
    return entry


def _checkpoint_quietly() -> None:
    try:
        make_checkpoint()
    except Exception as exc:  # sealed, or agent down: the periodic job will catch up
        log.info("checkpoint deferred: %s", exc.__class__.__name__)


class SigningRefused(RuntimeError):
    """keyd would not sign the current tree: it does not extend what keyd signed last."""


def make_checkpoint() -> Checkpoint | None:
    """Sign the current tree head with the agent's Ed25519 key (None if unchanged).

    keyd remembers the head it signed last and signs only a tree that extends it,
    so the request carries an RFC 9162 consistency proof from that head, built from
    the node table, and the newest checkpoint the database holds (keyd detects a
    rolled-back state file with it). A refusal is audited and raises an alert.
    """
    from corridor.crypto.keys import keyd
    from corridor.keyd.errors import KeydError

    agent = keyd()
    public_key, origin = agent.public_key()
    pinned = agent.status().get("signed_heads", {}).get("heads", {}).get(origin, {}).get("size", 0)
    with transaction.atomic():
        head, _ = AuditHead.objects.get_or_create(id=1)
        if head.size == 0 or Checkpoint.objects.filter(size=head.size).exists():
            return None
        size, root = head.size, bytes(head.root)
        proof: list[bytes] = []
        if 0 < pinned < size:
            try:
                proof = consistency_proof(pinned, size)
            except KeyError:
                proof = []  # nodes missing: keyd will refuse, and say why
        newest = latest_checkpoint()
        body = CheckpointNote(origin=origin, size=size, root=root)
        try:
            note = sign_checkpoint(
                body, origin,
                lambda msg: agent.sign("system:audit", msg, proof=proof, latest=newest.note if newest else None),
                public_key,
            )
        except KeydError as exc:
            if exc.code != "head_refused":
                raise
            message = exc.message
        else:
            return Checkpoint.objects.create(size=size, root=root, note=note)
    _signing_refused(size, root, message)
    raise SigningRefused(message)


def _signing_refused(size: int, root: bytes, message: str) -> None:
    """Audit the refusal and alert administrators, once while the alert is open:
    a refused tree stays refused, and the minute ticker must not flood the log."""
    from corridor.audit.events import CoreEvent
    from corridor.audit.models import AuditAlert

    log.error("keyd refused to sign the audit log at size %s: %s", size, message)
    with transaction.atomic():
        if repeat_alert(AuditAlert.Kind.SIGNING_REFUSED, message):
            return
        AuditAlert.objects.create(kind=AuditAlert.Kind.SIGNING_REFUSED, message=message)
        record(CoreEvent.CHECKPOINT_REFUSED, actor="system:audit", size=size, root=root.hex(),
               reason=message[:500])


def repeat_alert(kind: str, message: str) -> bool:
    """If an alert of this kind is open, count this occurrence on it and return True."""
    from django.db.models import F
    from django.utils import timezone

    from corridor.audit.models import AuditAlert

    return bool(AuditAlert.objects.filter(kind=kind, acknowledged=None).update(
        repeats=F("repeats") + 1, last_seen=timezone.now(), last_message=message[:2000]))


class AlertError(ValueError):
    pass


def acknowledge_alert(*, actor, alert_id: int, note: str):
    """An administrator says what they found and did: the alert leaves the audit page and
    `corridor status`, and the next occurrence raises a new one. The note stays on the
    alert row (administrators only); the audit entry names the alert, not the note."""
    from django.utils import timezone

    from corridor.accounts.permissions import Perm
    from corridor.audit.events import CoreEvent
    from corridor.audit.models import AuditAlert

    if not isinstance(actor, str) and not actor.can(Perm.MANAGE_USERS):
        raise PermissionError("only administrators acknowledge alerts")
    note = (note or "").strip()
    if not note:
        raise AlertError("say what was found and done")
    with transaction.atomic():
        alert = AuditAlert.objects.select_for_update().filter(pk=alert_id, acknowledged=None).first()
        if alert is None:
            raise AlertError("this alert is already acknowledged")
        alert.acknowledged = timezone.now()
        alert.acknowledged_by = _actor_name(actor)
        alert.acknowledgement = note[:2000]
        alert.save(update_fields=["acknowledged", "acknowledged_by", "acknowledgement"])
        record(CoreEvent.ALERT_ACKNOWLEDGED, actor=actor, object_type="audit.auditalert", object_id=str(alert.pk),
               kind=alert.kind, repeats=alert.repeats)
    return alert


def signed_head_reset(*, actor, reason: str, new_installation: bool = False) -> dict:
    """Make keyd forget its signed head (after a restore or a lost state file).

    The next checkpoint is then trusted as a first one, so this is audited and
    alerted like a refusal: an administrator must say why, and everybody sees it.
    """
    from corridor.audit.events import CoreEvent
    from corridor.audit.models import AuditAlert
    from corridor.crypto.keys import keyd

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    agent = keyd()
    before = agent.status().get("signed_heads", {})
    status = agent.reset_head(reason)
    _, origin = agent.public_key()
    previous = before.get("heads", {}).get(origin, {})
    with transaction.atomic():
        record(CoreEvent.SIGNED_HEAD_RESET, actor=actor, reason=reason[:500],
               previous_condition=before.get("condition", ""), previous_size=previous.get("size", -1))
        if new_installation:  # the keystore was created a moment ago: nothing was ever signed
            return status
        AuditAlert.objects.create(kind=AuditAlert.Kind.HEAD_RESET, message=(
            f"keyd's signed head was reset by {_actor_name(actor)} "
            f"(was {before.get('condition')} at size {previous.get('size', 'none')}): {reason}"))
    return status


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def fetch_nodes(coords: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Load the named perfect-subtree nodes in one query."""
    if not coords:
        return {}
    wanted = {node_key(level, index): (level, index) for level, index in coords}
    return {wanted[key]: bytes(h) for key, h in AuditNode.objects.filter(key__in=wanted).values_list("key", "hash")}


def inclusion_proof(seq: int, size: int) -> list[bytes]:
    nodes = fetch_nodes(merkle.nodes_needed_for_inclusion(seq, size))
    return merkle.inclusion_proof(seq, size, lambda level, index: nodes[(level, index)])


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    nodes = fetch_nodes(merkle.nodes_needed_for_consistency(old_size, new_size))
    return merkle.consistency_proof(old_size, new_size, lambda level, index: nodes[(level, index)])
