"""The agent's side of erasure buckets: which bucket keys are open, and the
operations that change them (fill, shred, retire).

Every change to the bucket table is persisted to the keystore *before* any blob
made with it leaves the agent, so a crash can never leave a data key wrapped
under a bucket key that is not on disk. Changes run under the agent's admin lock,
the same one rotation and retirement take, because all of them rewrite the
keystore file.

Erasing a data key is two steps driven by the caller, who alone knows which keys
are alive (see corridor/crypto/keys.py):
1. `shred(bucket)`: a fresh generation becomes current; older ones stay, so the
   live bucket-mates can still be re-wrapped (`rewrap`) while the database
   transaction that records the erasure is open;
2. `bucket_retire(bucket, below)`, after that transaction committed: the older
   generations are deleted from the keystore, and with them every copy of the
   erased key's wrapped blob becomes useless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import buckets as bk
from . import keystore as kslib
from .errors import BadRequest, BadUnseal, UnwrapFailed

if TYPE_CHECKING:
    from .agent import Agent, _Unsealed


class BucketTable:
    """Open bucket keys while unsealed: bucket -> gen -> (raw key, cipher)."""

    def __init__(self, ks: kslib.Keystore, roots: dict[int, bytearray]) -> None:
        self.keys: dict[int, dict[int, tuple[bytearray, AESGCM]]] = {}
        self.current: dict[int, int] = {}
        # The bucket new keys go into. None after unseal: the first erasable wrap
        # opens a fresh bucket, because how full the last one was is not persisted.
        self.fill: int | None = None
        self.fill_count = 0
        wrappers = {v: kslib.make_wrapper(v, r) for v, r in roots.items()}
        try:
            for b, entry in ks.buckets.items():
                for g, (v, wrapped) in entry.gens.items():
                    self._put(b, g, bk.open_bucket_key(wrappers[v], b, g, wrapped))
                self.current[b] = entry.current
        except (InvalidTag, ValueError, KeyError):
            self.wipe()
            raise BadUnseal("keystore erasure bucket does not open: the keystore is damaged") from None

    def _put(self, bucket: int, gen: int, key: bytearray) -> None:
        self.keys.setdefault(bucket, {})[gen] = (key, AESGCM(bytes(key)))

    def cipher(self, bucket: int, gen: int) -> AESGCM | None:
        got = self.keys.get(bucket, {}).get(gen)
        return got[1] if got else None

    def wipe(self) -> None:
        for gens in self.keys.values():
            for key, _ in gens.values():
                kslib.zero(key)
        self.keys = {}
        self.current = {}
        self.fill = None


def _table(st: _Unsealed) -> BucketTable:
    return st.buckets


def open_blob(st: _Unsealed, i: int, blob: bytes, ad: bytes) -> bytes:
    try:
        bucket, gen = bk.parse_header(blob)
    except ValueError:
        raise UnwrapFailed(f"item {i}: not a bucketed key") from None
    cipher = _table(st).cipher(bucket, gen)
    if cipher is None:
        raise UnwrapFailed(f"item {i}: bucket {bucket} generation {gen} was erased or never existed")
    try:
        return bk.unwrap(cipher, blob, ad)
    except (InvalidTag, ValueError):
        raise UnwrapFailed(f"item {i}: authentication failed (wrong AD or tampered data)") from None


def wrap_erasable(agent: Agent, st: _Unsealed, items: list[tuple[bytes, bytes]]) -> list[bytes]:
    """Wrap keys into the fill bucket, opening new buckets (persisted first) as needed."""
    with agent._admin:
        table = _table(st)
        ks = agent.keystore
        entries = dict(ks.buckets)
        new_keys: list[tuple[int, bytearray]] = []
        plan: list[int] = []
        fill, count = table.fill, table.fill_count
        next_id = max([*entries, 0]) + 1
        for _ in items:
            if fill is None or count >= bk.BUCKET_SIZE:
                fill, count = next_id, 0
                next_id += 1
                key = bk.new_bucket_key()
                new_keys.append((fill, key))
                entries[fill] = bk.BucketEntry(current=1, gens={1: bk.seal_bucket_key(st.current, fill, 1, key)})
            plan.append(fill)
            count += 1
        if new_keys:
            agent.keystore = kslib.save_buckets(ks, entries)
            for b, key in new_keys:
                table._put(b, 1, key)
                table.current[b] = 1
        table.fill, table.fill_count = fill, count
        out = []
        for (key, ad), b in zip(items, plan, strict=True):
            gen = table.current[b]
            out.append(bk.wrap(table.cipher(b, gen), b, gen, key, ad))
        return out


def rewrap_blob(st: _Unsealed, i: int, blob: bytes, ad: bytes) -> bytes:
    """Move a bucketed key to its bucket's current generation."""
    key = open_blob(st, i, blob, ad)
    bucket, _ = bk.parse_header(blob)
    table = _table(st)
    gen = table.current[bucket]
    return bk.wrap(table.cipher(bucket, gen), bucket, gen, key, ad)


def _bucket_arg(req: dict[str, Any], agent: Agent) -> int:
    bucket = req.get("bucket")
    if not isinstance(bucket, int) or isinstance(bucket, bool) or bucket not in agent.keystore.buckets:
        raise BadRequest("bucket must be the number of an existing erasure bucket")
    return bucket


def shred(agent: Agent, st: _Unsealed, req: dict[str, Any]) -> dict[str, Any]:
    with agent._admin:
        bucket = _bucket_arg(req, agent)
        ks = agent.keystore
        entry = ks.buckets[bucket]
        gen = max(entry.gens) + 1
        key = bk.new_bucket_key()
        gens = {**entry.gens, gen: bk.seal_bucket_key(st.current, bucket, gen, key)}
        agent.keystore = kslib.save_buckets(ks, {**ks.buckets, bucket: bk.BucketEntry(current=gen, gens=gens)})
        table = _table(st)
        table._put(bucket, gen, key)
        table.current[bucket] = gen
    agent.journal.record("shred", None, bucket=bucket, gen=gen)
    return {"bucket": bucket, "gen": gen}


def retire(agent: Agent, st: _Unsealed, req: dict[str, Any]) -> dict[str, Any]:
    below = req.get("below")
    if not isinstance(below, int) or isinstance(below, bool):
        raise BadRequest("below must be an integer")
    with agent._admin:
        bucket = _bucket_arg(req, agent)
        ks = agent.keystore
        entry = ks.buckets[bucket]
        gone = [g for g in entry.gens if g < below and g != entry.current]
        if gone:
            gens = {g: v for g, v in entry.gens.items() if g not in gone}
            agent.keystore = kslib.save_buckets(
                ks, {**ks.buckets, bucket: bk.BucketEntry(current=entry.current, gens=gens)})
            table = _table(st)
            for g in gone:
                key, _ = table.keys[bucket].pop(g)
                kslib.zero(key)
    if gone:
        agent.journal.record("bucket_retire", None, bucket=bucket, gens=sorted(gone))
    return {"bucket": bucket, "retired": sorted(gone), "current": entry.current}


def status(ks: kslib.Keystore) -> dict[str, Any]:
    retiring = {str(b): e.retiring() for b, e in ks.buckets.items() if e.retiring()}
    return {"buckets": len(ks.buckets), "bucket_size": bk.BUCKET_SIZE, "retiring": retiring}
