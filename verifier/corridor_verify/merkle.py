"""RFC 9162 Merkle tree hashing, compact ranges and proofs for the audit log.

Everything here follows RFC 9162 (Certificate Transparency Version 2.0), §2.1:

* §2.1.1   Merkle Tree Hash (MTH): SHA-256, leaf hashes are SHA-256(0x00 || data),
           interior nodes SHA-256(0x01 || left || right), the empty tree is SHA-256("").
* §2.1.3.1 inclusion proofs, PATH(m, D[n]); §2.1.3.2 their verification.
* §2.1.4.1 consistency proofs, PROOF(m, D[n]) = SUBPROOF(m, D[n], true);
  §2.1.4.2 their verification.

Storage model: the log keeps every *perfect* subtree hash, addressed (level, index)
and covering leaves [index * 2**level, (index + 1) * 2**level); level 0 is the leaf.
`CompactRange.append` reports each one once, when it is complete. Subtrees on the
right edge are not perfect; proofs fold them from perfect nodes, O(log n) reads in
all, named up front by `nodes_needed_for_*` so a caller can fetch them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeId = tuple[int, int]  # (level, index) of a perfect subtree
GetNode = Callable[[int, int], bytes]  # (level, index) -> that perfect subtree's hash
_Range = tuple[int, int]  # leaves [start, end) of a subtree in the RFC 9162 recursion


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a whole tree, given its leaf hashes (RFC 9162 §2.1.1)."""
    if not hashes:
        return EMPTY_ROOT
    return _mth(hashes, 0, len(hashes))


def _mth(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    # The RFC's recursion, on index bounds rather than slices so nothing is copied.
    if end - start == 1:
        return hashes[start]
    split = start + _largest_power_of_two_below(end - start)
    return node_hash(_mth(hashes, start, split), _mth(hashes, split, end))


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """MTH of adjacent perfect subtrees, largest first: h0 . (h1 . (h2 . ...)),
    since the RFC always splits off the largest perfect left subtree."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


class CompactRange:
    """The roots ("peaks") of the perfect subtrees making up a growing tree, largest first.

    One peak per set bit of `size`; `append` is O(1) amortised, merging as many
    peaks as the new leaf completes (the trailing one bits of the old size).
    """

    __slots__ = ("_size", "_peaks")

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the perfect nodes it completes as (level, index, hash),
        starting with the leaf itself at level 0. Callers store them all."""
        # Only immutable bytes: the hash is kept, and a bytearray could change under us.
        if type(leaf_hash) is not bytes:
            raise TypeError("leaf_hash must be bytes")
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf_hash must be {HASH_SIZE} bytes")
        index = self._size
        level = 0
        node = leaf_hash
        completed = [(0, index, node)]
        # An odd index is a right child: its left sibling is the last peak.
        while index & 1:
            node = node_hash(self._peaks.pop(), node)
            index >>= 1
            level += 1
            completed.append((level, index, node))
        self._peaks.append(node)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """MTH of every leaf appended so far."""
        if not self._peaks:
            return EMPTY_ROOT
        return _fold_right(self._peaks)

    def to_bytes(self) -> bytes:
        """The peaks concatenated, largest first; the size is stored separately."""
        return b"".join(self._peaks)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """Rebuild the range `to_bytes` produced at this size."""
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError("size must be an int")
        if size < 0:
            raise ValueError("size must not be negative")
        expected = size.bit_count() * HASH_SIZE
        if len(data) != expected:
            raise ValueError(f"a compact range of size {size} is {expected} bytes, got {len(data)}")
        restored = cls()
        restored._size = size
        restored._peaks = [bytes(data[i : i + HASH_SIZE]) for i in range(0, expected, HASH_SIZE)]
        return restored


# --- Building proofs from the node store -------------------------------------


def _perfect_subtrees(start: int, end: int) -> list[NodeId]:
    """Split [start, end) into perfect subtrees, largest (leftmost) first. Valid for
    the RFC's ranges, which start at a multiple of the largest power of two in their length."""
    nodes = []
    length = end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if (length >> level) & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """The subtrees whose MTHs make up PATH(index, D[size]) (RFC 9162 §2.1.3.1):
    siblings collected root-down, then reversed, as the RFC lists them leaf first."""
    _check_types((index, size), (), ())
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of size {size}")
    siblings = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            siblings.append((split, end))
            end = split
        else:
            siblings.append((start, split))
            start = split
    siblings.reverse()
    return siblings


def _consistency_ranges(old_size: int, new_size: int) -> list[_Range]:
    """The subtrees whose MTHs make up PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1).

    SUBPROOF(m, D[start:end], b) unrolled with absolute leaf numbers: `whole_old_tree`
    is the RFC's b, true while the old tree is still the entire left part.
    """
    _check_types((old_size, new_size), (), ())
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    ranges = []
    start, end = 0, new_size
    whole_old_tree = True
    while old_size != end:
        split = start + _largest_power_of_two_below(end - start)
        if old_size <= split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
            whole_old_tree = False
    if not whole_old_tree:
        # The verifier cannot know this subtree's hash, so the proof carries it.
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _nodes_for(ranges: list[_Range]) -> list[NodeId]:
    return [node for start, end in ranges for node in _perfect_subtrees(start, end)]


def _range_hash(start: int, end: int, get_node: GetNode) -> bytes:
    hashes = []
    for level, index in _perfect_subtrees(start, end):
        value = get_node(level, index)
        # A short or corrupt row must not turn into a proof that fails much later.
        if type(value) is not bytes or len(value) != HASH_SIZE:
            raise ValueError(f"node store returned a malformed hash for node ({level}, {index})")
        hashes.append(value)
    return _fold_right(hashes)


def nodes_needed_for_inclusion(index: int, size: int) -> list[NodeId]:
    """Every (level, index) that `inclusion_proof(index, size, ...)` will ask for."""
    return _nodes_for(_inclusion_ranges(index, size))


def nodes_needed_for_consistency(old_size: int, new_size: int) -> list[NodeId]:
    """Every (level, index) that `consistency_proof(old_size, new_size, ...)` will ask for."""
    return _nodes_for(_consistency_ranges(old_size, new_size))


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1. Raises ValueError unless 0 <= index < size."""
    return [_range_hash(start, end, get_node) for start, end in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1; empty when the sizes are equal.
    Raises ValueError unless 0 < old_size <= new_size (none exists from the empty tree)."""
    return [_range_hash(start, end, get_node) for start, end in _consistency_ranges(old_size, new_size)]


# --- Verifying proofs (untrusted input: answer False, never raise on values) ---


def _check_types(ints: Sequence[object], hashes: Sequence[object], proof: object) -> None:
    """TypeError is for the caller's bugs; wrong values may be an attacker's and give False."""
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ints):
        raise TypeError("tree sizes and indices must be int")
    if isinstance(proof, (str, bytes, bytearray)) or not isinstance(proof, Sequence):
        raise TypeError("proof must be a sequence of bytes")
    if any(type(h) is not bytes for h in (*hashes, *proof)):
        raise TypeError("hashes and proof elements must be bytes")


def _all_hash_sized(*hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in hashes)


def _skip_levels_without_sibling(fn: int, sn: int) -> tuple[int, int]:
    """RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0"."""
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if `proof` shows leaf `index` of the tree of `size` with `root` is `leaf_hash`.

    The algorithm of RFC 9162 §2.1.3.2, step by step.
    """
    _check_types((index, size), (leaf_hash, root), proof)
    if not 0 <= index < size or not _all_hash_sized(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _skip_levels_without_sibling(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if `proof` shows the tree (new_size, new_root) extends (old_size, old_root).

    The algorithm of RFC 9162 §2.1.4.2 for 0 < old_size < new_size. Equal sizes
    are consistent only with an empty proof and equal roots. From the empty tree
    the RFC defines no proof, so old_size == 0 < new_size is False: a client
    trusts its first checkpoint by other means.
    """
    _check_types((old_size, new_size), (old_root, new_root), proof)
    if not 0 <= old_size <= new_size or not _all_hash_sized(old_root, new_root, *proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0 or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is itself a perfect subtree of the new one, so its root
        # starts the path and the proof leaves it out.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _skip_levels_without_sibling(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
