"""keyd's state machine and operations, independent of sockets.

Threats this guards against:
- a compromised web worker bulk-decrypting the case database: a ceiling on
  distinct keys per principal (see `policy`): warn, then suspend that principal,
  seal the whole agent only for the extreme (a human must unseal again);
- a compromised worker extracting the root, blind-index or signing key: those
  never leave this process; callers cannot use the keystore's reserved ADs;
- moving wrapped keys between records or root versions: both are bound in the
  AEAD associated data, and any failing item fails the whole request;
- seal racing an in-flight operation: seal swaps the state reference first
  (new requests fail at once) and wipes key buffers under the state's lock.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from . import bucket_ops
from . import buckets as bk
from . import keystore as kslib
from .errors import (
    BadRequest,
    BadUnseal,
    CeilingTripped,
    KeydError,
    PrincipalSuspended,
    Sealed,
    UnwrapFailed,
)
from .journal import NullJournal
from .policy import UnwrapPolicy
from .protocol import b64d, b64e, error, ok
from .signed_heads import SignedHeads, mac_key, state_path
from .wrapping import RESERVED_AD_PREFIX, Wrapper, hkdf32, make_wrapper

BLIND_INDEX_INFO = b"corridor/blind-index/v1/"
MAX_KEY_LEN = 1024
_SEALED_MSG = "keyd is sealed"
HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


class _Unsealed:
    """Key material held while unsealed. Buffers are bytearrays so seal can wipe them."""

    def __init__(self, kek: bytearray, roots: dict[int, bytearray], index_key: bytearray,
                 signing_raw: bytearray, current: int, buckets: bucket_ops.BucketTable) -> None:
        self.lock = threading.Lock()
        self.wiped = False
        self.kek = kek
        self.roots = roots
        self.wrappers: dict[int, Wrapper] = {v: make_wrapper(v, r) for v, r in roots.items()}
        self.current = self.wrappers[current]
        self.index_key = index_key
        self.signing_raw = signing_raw
        self.signer = Ed25519PrivateKey.from_private_bytes(bytes(signing_raw))
        self.kind_keys: dict[str, bytes] = {}
        self.buckets = buckets

    def kind_key(self, kind: str) -> bytes:
        key = self.kind_keys.get(kind)
        if key is None:
            with self.lock:  # never derive from a buffer that seal is zeroing
                if self.wiped:
                    raise Sealed(_SEALED_MSG)
                key = hkdf32(self.index_key, BLIND_INDEX_INFO + kind.encode("utf-8"))
            if len(self.kind_keys) < 1024:
                self.kind_keys[kind] = key
        return key

    def wipe(self) -> None:
        with self.lock:
            self.wiped = True
            for buf in (self.kek, self.index_key, self.signing_raw, *self.roots.values()):
                kslib.zero(buf)
            self.kind_keys.clear()
            self.wrappers = {}
            self.buckets.wipe()


def _principal(req: dict[str, Any]) -> str:
    p = req.get("principal")
    if not isinstance(p, str) or not 0 < len(p) <= 200 or not p.isprintable():
        raise BadRequest("principal must be a printable string of 1-200 characters")
    return p


def _items(req: dict[str, Any], field: str = "items") -> list[dict[str, Any]]:
    items = req.get(field)
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise BadRequest(f"{field} must be a non-empty list of objects")
    return items


def _ad(value: Any, i: int) -> bytes:
    ad = b64d(value, f"item {i} ad")
    if not ad:
        # An empty AD would let a wrapped key be moved to any other record.
        raise BadRequest(f"item {i}: ad must not be empty")
    if ad.startswith(RESERVED_AD_PREFIX):
        raise BadRequest(f"item {i}: ad uses a prefix reserved for keyd's own keys")
    return ad


def _wrapped_item(item: dict[str, Any], i: int) -> tuple[bytes, bytes, int]:
    version = item.get("root_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadRequest(f"item {i}: root_version must be an integer")
    return b64d(item.get("wrapped"), f"item {i} wrapped"), _ad(item.get("ad"), i), version


class Agent:
    def __init__(self, keystore: kslib.Keystore, *, unwrap_limit: int = 3000,
                 journal: NullJournal | None = None, admin_uids: set[int] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if unwrap_limit < 1:
            raise ValueError("unwrap_limit must be at least 1")
        self.keystore = keystore
        self.journal = journal or NullJournal()
        if hasattr(self.journal, "on_error"):
            self.journal.on_error = self._journal_failed
        self.admin_uids = admin_uids  # None: every allowed peer may rotate/retire
        self._state: _Unsealed | None = None
        self._sealed_reason: str | None = None
        self._seal_gen = 0
        self._shares: dict[int, bytearray] = {}
        self._admin = threading.RLock()  # serialises unseal/rotate/retire
        self._swap = threading.Lock()  # guards _state/_sealed_reason/_seal_gen transitions
        # Distinct keys per principal, with a per-process (SO_PEERCRED pid) backstop
        # against a hijacked worker inventing principals; see policy.py.
        self.policy = UnwrapPolicy(unwrap_limit, clock)
        self.heads = SignedHeads(state_path(keystore.path))
        self.peer = threading.local()
        self._ops: dict[str, Callable[[dict[str, Any], int | None], dict[str, Any]]] = {
            "status": lambda r, u: self.status(),
            "public_key": lambda r, u: self._public_key(),
            "unseal_passphrase": lambda r, u: self.unseal_passphrase(r.get("passphrase")),
            "unseal_share": lambda r, u: self.unseal_share(r.get("share")),
            "seal": lambda r, u: self.seal(self._reason(r)),
            "rotate_root": self._rotate_root, "retire_root": self._retire_root,
            "wrap": self._wrap, "unwrap": self._unwrap, "rewrap": self._rewrap,
            "shred": lambda r, u: bucket_ops.shred(self, self._require(), r),
            "bucket_retire": lambda r, u: bucket_ops.retire(self, self._require(), r),
            "blind_index": self._blind_index, "hpke_open": self._hpke_open, "sign": self._sign,
            "reset_head": self._reset_head,
        }

    # ------------------------------------------------------------ dispatch

    def handle(self, request: dict[str, Any], peer_uid: int | None = None) -> dict[str, Any]:
        """One request → one response dict. peer_uid None means an in-process (trusted) caller."""
        op = request.get("op")
        fn = self._ops.get(op) if isinstance(op, str) else None
        try:
            if fn is None:
                raise BadRequest(f"unknown op {str(op)[:40]!r}")
            return ok(**fn(request, peer_uid))
        except KeydError as exc:
            return error(exc)
        except Exception:  # never leak internals (or anything key-derived) to the caller
            return {"ok": False, "error": "internal", "message": "internal error in keyd"}

    def _require(self) -> _Unsealed:
        st = self._state
        if st is None:
            raise Sealed(_SEALED_MSG)
        return st

    def _check_admin(self, uid: int | None) -> None:
        if uid is not None and self.admin_uids is not None and uid not in self.admin_uids:
            raise BadRequest("this peer may not rotate or retire root keys")

    @staticmethod
    def _reason(req: dict[str, Any]) -> str:
        reason = req.get("reason") or ""
        if not isinstance(reason, str):
            raise BadRequest("reason must be a string")
        return reason[:200]

    # ------------------------------------------------------------ seal / unseal

    def status(self) -> dict[str, Any]:
        ks = self.keystore
        sealed = self._state is None
        return {
            "sealed": sealed, "mode": ks.mode, "root_version": ks.current_root,
            "root_versions": sorted(ks.roots), "shares_have": len(self._shares),
            "shares_needed": ks.shamir["threshold"] if ks.shamir else 0,
            "signing_public_key": b64e(ks.signing_public_key), "log_origin": ks.log_origin,
            "sealed_reason": self._sealed_reason if sealed else None,
            **bucket_ops.status(ks),
            "signed_heads": self.heads.status(),
        }

    @property
    def sealed(self) -> bool:
        return self._state is None

    def seal(self, reason: str = "", *, flush: bool = True) -> dict[str, Any]:
        with self._swap:
            st, self._state = self._state, None
            self._seal_gen += 1
            if st is not None:  # keep the first reason (e.g. a ceiling trip) visible
                self._sealed_reason = reason or "sealed by request"
        if st is not None:
            st.wipe()
            self.journal.record("seal", None, reason=self._sealed_reason)
        with self._admin:  # abandon a half-entered share set too
            self._forget_shares()
        if flush and st is not None:
            self.journal.flush()
        return self.status()

    def _journal_failed(self, exc: OSError) -> None:
        self.seal("journal write failed", flush=False)

    def _forget_shares(self) -> None:
        for buf in self._shares.values():
            kslib.zero(buf)
        self._shares.clear()

    def _install(self, kek: bytearray, gen: int) -> None:
        roots: dict[int, bytearray] = {}
        try:
            roots = kslib.open_roots(self.keystore, kek)
            index_key, signing_raw = kslib.open_internal_keys(self.keystore, roots)
            table = bucket_ops.BucketTable(self.keystore, roots)
        except BadUnseal:
            kslib.zero(kek)
            for r in roots.values():
                kslib.zero(r)
            raise
        st = _Unsealed(kek, roots, index_key, signing_raw, self.keystore.current_root, table)
        with self._swap:
            if gen != self._seal_gen:  # a seal arrived while we were deriving: it wins
                installed = False
            else:
                self._state, self._sealed_reason, installed = st, None, True
        if not installed:
            st.wipe()
            raise Sealed("keyd was sealed while unsealing")
        self.policy.reset()
        self.heads.load(lambda v: self._heads_key(st, v))  # a bad file shows in status, refuses signing

    def unseal_passphrase(self, passphrase: Any) -> dict[str, Any]:
        with self._admin:
            if self._state is not None:
                raise BadRequest("keyd is already unsealed")
            if self.keystore.mode != "passphrase":
                raise BadRequest("this keystore is unsealed with shares")
            if not isinstance(passphrase, str):
                raise BadRequest("passphrase must be a string")
            gen = self._seal_gen
            try:
                self._install(kslib.unlock_passphrase(self.keystore, passphrase), gen)
            except BadUnseal:
                self.journal.record("unseal", None, ok=False, reason="wrong passphrase")
                raise
            self.journal.record("unseal", None, ok=True)
        return self.status()

    def unseal_share(self, share: Any) -> dict[str, Any]:
        with self._admin:
            ks = self.keystore
            if self._state is not None:
                raise BadRequest("keyd is already unsealed")
            if ks.shamir is None:
                raise BadRequest("this keystore is unsealed with a passphrase")
            k = ks.shamir["threshold"]
            index, value = kslib.parse_share(share, threshold=k, shares=ks.shamir["shares"])
            if index in self._shares:
                raise BadUnseal(f"share number {index} was already entered")
            self._shares[index] = bytearray(value)
            self.journal.record("unseal_share", None, n=len(self._shares))
            if len(self._shares) < k:
                return self.status()
            parts = [(i, bytes(v)) for i, v in sorted(self._shares.items())]
            self._forget_shares()  # success or failure, start from scratch next time
            gen = self._seal_gen
            try:
                self._install(kslib.unlock_shares(ks, parts), gen)
            except BadUnseal:
                self.journal.record("unseal", None, ok=False, reason="shares do not combine")
                raise BadUnseal(
                    "the combined shares do not open the keystore: at least one share is wrong "
                    "or from another keystore; all entered shares were discarded"
                ) from None
            self.journal.record("unseal", None, ok=True)
        return self.status()

    # ------------------------------------------------------------ root lifecycle

    def _rotate_root(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        self._check_admin(uid)
        with self._admin:
            st = self._require()
            with st.lock:  # seal must not zero the KEK while we encrypt the new root under it
                if st.wiped:
                    raise Sealed(_SEALED_MSG)
                new_ks, version, root = kslib.rotate(self.keystore, st.kek, st.roots)
                self.keystore = new_ks
                st.roots[version] = root
                wrapper = make_wrapper(version, root)
                st.wrappers = {**st.wrappers, version: wrapper}
                st.current = wrapper
            self.heads.rekey(lambda: (version, mac_key(root)))
            self.journal.record("rotate_root", None, version=version)
        return self.status()

    def _retire_root(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        self._check_admin(uid)
        version = req.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise BadRequest("version must be an integer")
        with self._admin:
            st = self._require()
            try:
                self.keystore = kslib.retire(self.keystore, version)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            with st.lock:
                st.wrappers = {v: w for v, w in st.wrappers.items() if v != version}
                root = st.roots.pop(version, None)
                if root is not None:
                    kslib.zero(root)
            self.journal.record("retire_root", None, version=version)
        return self.status()

    # ------------------------------------------------------------ key operations

    def _wrap(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        st = self._require()
        _principal(req)
        items = _items(req)
        w = st.current
        parsed = []
        for i, item in enumerate(items):
            key = b64d(item.get("key"), f"item {i} key")
            if not 0 < len(key) <= MAX_KEY_LEN:
                raise BadRequest(f"item {i}: key must be 1-{MAX_KEY_LEN} bytes")
            parsed.append((key, _ad(item.get("ad"), i)))
        if req.get("erasable") is True:  # under an erasure bucket (see bucket_ops)
            return {"root_version": bk.BUCKETED,
                    "wrapped": [b64e(b) for b in bucket_ops.wrap_erasable(self, st, parsed)]}
        return {"root_version": w.version, "wrapped": [b64e(w.wrap(key, ad)) for key, ad in parsed]}

    @staticmethod
    def _open(st: _Unsealed, i: int, wrapped: bytes, ad: bytes, version: int) -> bytes:
        if version == bk.BUCKETED:
            return bucket_ops.open_blob(st, i, wrapped, ad)
        w = st.wrappers.get(version)
        if w is None:
            raise UnwrapFailed(f"item {i}: root version {version} is not available (retired or unknown)")
        try:
            return w.unwrap(wrapped, ad)
        except (InvalidTag, ValueError):
            raise UnwrapFailed(
                f"item {i}: authentication failed (wrong AD, tampered data or wrong root version)"
            ) from None

    def _count(self, principal: str, n: int, ads: list[bytes], op: str) -> str | None:
        """Apply the unwrap policy before any decryption; returns a notice for the caller."""
        verdict = self.policy.check(principal, ads, getattr(self.peer, "pid", None))
        if verdict.action == "ok":
            return None
        if verdict.action == "warn":
            self.journal.record("ceiling_warn", principal, n=verdict.distinct, reason=verdict.reason)
            return "ceiling_warn"
        self.journal.record(op, principal, n=n, ads=ads, ok=False)
        if verdict.action == "suspended":
            raise PrincipalSuspended(f"{verdict.identity} is suspended for opening too many distinct keys")
        if verdict.action == "suspend":
            self.journal.record("suspend", principal, n=verdict.distinct, reason=verdict.reason)
            raise PrincipalSuspended(f"{verdict.reason}; only this principal is refused for now")
        self.journal.record("ceiling", principal, n=verdict.distinct, reason=verdict.reason)
        self.seal(verdict.reason)
        raise CeilingTripped(f"{verdict.reason}; keyd sealed itself and must be unsealed by an operator")

    def _unwrap(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        st = self._require()
        principal = _principal(req)
        parsed = [_wrapped_item(item, i) for i, item in enumerate(_items(req))]
        ads = [p[1] for p in parsed]
        notice = self._count(principal, len(parsed), ads, "unwrap")  # before any decryption
        try:
            keys = [b64e(self._open(st, i, *p)) for i, p in enumerate(parsed)]
        except UnwrapFailed:
            self.journal.record("unwrap", principal, n=len(parsed), ads=ads, ok=False)
            raise
        self.journal.record("unwrap", principal, n=len(parsed), ads=ads, ok=True)
        return {"keys": keys, **({"notice": notice} if notice else {})}

    def _rewrap(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        st = self._require()
        principal = _principal(req)
        parsed = [_wrapped_item(item, i) for i, item in enumerate(_items(req))]
        ads = [p[1] for p in parsed]
        w = st.current
        erasable = req.get("erasable") is True
        try:
            if erasable:
                # Bucketed keys move to their bucket's current generation (after a
                # shred); root-wrapped ones move into buckets (the migration).
                legacy = [(i, p) for i, p in enumerate(parsed) if p[2] != bk.BUCKETED]
                moved = dict(zip([i for i, _ in legacy], bucket_ops.wrap_erasable(
                    self, st, [(self._open(st, i, *p), p[1]) for i, p in legacy]), strict=True)) if legacy else {}
                out = [b64e(moved[i] if i in moved else bucket_ops.rewrap_blob(st, i, p[0], p[1]))
                       for i, p in enumerate(parsed)]
                version = bk.BUCKETED
            else:
                if any(p[2] == bk.BUCKETED for p in parsed):
                    raise BadRequest("bucketed keys are re-wrapped with erasable=true only")
                out = [b64e(w.wrap(self._open(st, i, *p), p[1])) for i, p in enumerate(parsed)]
                version = w.version
        except UnwrapFailed:
            self.journal.record("rewrap", principal, n=len(parsed), ads=ads, ok=False)
            raise
        self.journal.record("rewrap", principal, n=len(parsed), ads=ads, ok=True)
        return {"root_version": version, "wrapped": out}

    def _blind_index(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        st = self._require()
        _principal(req)
        kind = req.get("kind")
        if not isinstance(kind, str) or not 0 < len(kind) <= 128:
            raise BadRequest("kind must be a string of 1-128 characters")
        values = req.get("values")
        if not isinstance(values, list):
            raise BadRequest("values must be a list")
        key = st.kind_key(kind)
        digest = hmac.digest
        try:
            return {"indexes": [b64e(digest(key, kslib.b64d(v), "sha256")[:16]) for v in values]}
        except Exception:
            raise BadRequest("values must be base64 strings") from None

    def _hpke_open(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        st = self._require()
        principal = _principal(req)
        pk = req.get("private_key")
        if not isinstance(pk, dict):
            raise BadRequest("private_key must be an object {wrapped, ad, root_version}")
        wrapped, ad, version = _wrapped_item(pk, 0)
        ciphertext = b64d(req.get("ciphertext"), "ciphertext")
        info = b64d(req.get("info", ""), "info")
        notice = self._count(principal, 1, [ad], "hpke_open")
        try:
            raw = self._open(st, 0, wrapped, ad, version)
            try:
                plaintext = HPKE_SUITE.decrypt(ciphertext, X25519PrivateKey.from_private_bytes(raw), info=info)
            except Exception:
                raise UnwrapFailed("hpke_open: decryption failed (wrong key, info or tampered ciphertext)") from None
        except UnwrapFailed:
            self.journal.record("hpke_open", principal, n=1, ads=[ad], ok=False)
            raise
        self.journal.record("hpke_open", principal, n=1, ads=[ad], ok=True)
        return {"plaintext": b64e(plaintext), **({"notice": notice} if notice else {})}

    @staticmethod
    def _heads_key(st: _Unsealed, version: int) -> bytes:
        with st.lock:  # never derive from a buffer that seal is zeroing
            if st.wiped:
                raise Sealed(_SEALED_MSG)
            return mac_key(st.roots[version])

    def _sign(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        """Sign a checkpoint of the log, only if it extends the head signed last (signed_heads.py)."""
        st = self._require()
        principal = _principal(req)
        message = b64d(req.get("message"), "message")
        proof = req.get("proof") or []
        if not isinstance(proof, list) or len(proof) > 128:
            raise BadRequest("proof must be a list of at most 128 base64 hashes")
        hashes = [b64d(p, f"proof {i}") for i, p in enumerate(proof)]
        latest = req.get("latest")
        if latest is not None and (not isinstance(latest, str) or len(latest) > 65536):
            raise BadRequest("latest must be a signed note")
        ks = self.keystore
        try:
            signature, counter = self.heads.sign_checkpoint(
                message, hashes, origin=ks.log_origin, public_key=ks.signing_public_key, latest=latest,
                sign=st.signer.sign, current_key=lambda: (st.current.version, self._heads_key(st, st.current.version)),
            )
        except KeydError as exc:
            self.journal.record("sign", principal, ok=False, reason=exc.message[:300])
            raise
        self.journal.record("sign", principal, ok=True, counter=counter)
        return {"signature": b64e(signature), "counter": counter}

    def _reset_head(self, req: dict[str, Any], uid: int | None) -> dict[str, Any]:
        """An administrator forgets the signed head: loud, journaled, with a reason."""
        self._check_admin(uid)
        reason = req.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise BadRequest("resetting the signed head needs a written reason (1-500 characters)")
        with self._admin:
            st = self._require()
            previous = self.heads.status()
            self.heads.reset(self.keystore.log_origin, reason.strip(),
                             lambda: (st.current.version, self._heads_key(st, st.current.version)))
            self.journal.record("reset_head", None, reason=reason.strip()[:300],
                                previous=previous["condition"],
                                previous_size=previous["heads"].get(self.keystore.log_origin, {}).get("size"))
        return self.status()

    def _public_key(self) -> dict[str, Any]:
        return {"public_key": b64e(self.keystore.signing_public_key), "log_origin": self.keystore.log_origin}
