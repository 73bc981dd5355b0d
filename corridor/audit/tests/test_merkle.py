"""RFC 9162 Merkle tree: published vectors, a naive reference, and tampering."""

from __future__ import annotations

import hashlib
import random

import pytest

from corridor.audit import merkle

# Published RFC 6962 vectors, as used by certificate-transparency and Trillian:
# transparency-dev/merkle testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes, CompactTrees) and proof/verify_test.go (inclusionProofs,
# consistencyProofs; leaf numbers there are 1-based, here 0-based).
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
NODE_HASHES = {
    0: [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    1: [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    2: [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    3: ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
}
ROOTS = [  # by tree size, 0..8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
COMPACT_TREES = [  # the CompactRange peaks at each size, as (level, index) of NODE_HASHES
    [], [(0, 0)], [(1, 0)], [(1, 0), (0, 2)], [(2, 0)], [(2, 0), (0, 4)],
    [(2, 0), (1, 2)], [(2, 0), (1, 2), (0, 6)], [(3, 0)],
]
INCLUSION_VECTORS = [  # (index, size, proof)
    (0, 1, []),
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]
CONSISTENCY_VECTORS = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (6, 7, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def build(leaf_hashes: list[bytes]) -> tuple[merkle.CompactRange, dict[tuple[int, int], bytes]]:
    """Append every leaf, keeping every node the range reports, as the log does."""
    compact = merkle.CompactRange()
    store: dict[tuple[int, int], bytes] = {}
    for h in leaf_hashes:
        for level, index, node in compact.append(h):
            assert (level, index) not in store, "a node was reported twice"
            store[(level, index)] = node
    return compact, store


# A deliberately naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 on lists.


def ref_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, leaves[:k], whole) + [ref_mth(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def random_leaves(count: int, seed: int = 9162) -> list[bytes]:
    rng = random.Random(seed)
    return [merkle.leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(count)]


LEAVES_70 = random_leaves(70)
COMPACT_70, STORE_70 = build(LEAVES_70)
ROOTS_70 = [ref_mth(LEAVES_70[:n]) for n in range(71)]


def flip_bit(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    return proof[:item] + [bytes(changed)] + proof[item + 1 :]


# --- Published vectors --------------------------------------------------------


def test_leaf_and_empty_hashes_match_rfc6962_vectors():
    assert merkle.EMPTY_ROOT.hex() == ROOTS[0]
    assert hexes([merkle.leaf_hash(d) for d in LEAF_INPUTS]) == NODE_HASHES[0]
    assert merkle.node_hash(
        bytes.fromhex(NODE_HASHES[0][0]), bytes.fromhex(NODE_HASHES[0][1])
    ).hex() == NODE_HASHES[1][0]


def test_roots_of_every_prefix_match_published_roots():
    leaf_hashes = [merkle.leaf_hash(d) for d in LEAF_INPUTS]
    for size, want in enumerate(ROOTS):
        assert merkle.root_from_leaf_hashes(leaf_hashes[:size]).hex() == want


def test_compact_range_reports_exactly_the_published_node_hashes():
    compact, store = build([merkle.leaf_hash(d) for d in LEAF_INPUTS])
    published = {(lvl, i): h for lvl, row in NODE_HASHES.items() for i, h in enumerate(row)}
    assert {k: v.hex() for k, v in store.items()} == published
    assert compact.root().hex() == ROOTS[8]


def test_compact_range_state_matches_published_compact_trees():
    published = {(lvl, i): bytes.fromhex(h) for lvl, row in NODE_HASHES.items() for i, h in enumerate(row)}
    compact = merkle.CompactRange()
    for size, data in enumerate([None, *LEAF_INPUTS]):
        if data is not None:
            compact.append(merkle.leaf_hash(data))
        assert compact.size == size
        assert compact.to_bytes() == b"".join(published[n] for n in COMPACT_TREES[size])
        assert compact.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_published_vectors(index, size, proof):
    _, store = build([merkle.leaf_hash(d) for d in LEAF_INPUTS[:size]])
    got = merkle.inclusion_proof(index, size, lambda lvl, i: store[(lvl, i)])
    assert hexes(got) == proof
    leaf = merkle.leaf_hash(LEAF_INPUTS[index])
    assert merkle.verify_inclusion(leaf, index, size, [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_published_vectors(old, new, proof):
    _, store = build([merkle.leaf_hash(d) for d in LEAF_INPUTS[:new]])
    got = merkle.consistency_proof(old, new, lambda lvl, i: store[(lvl, i)])
    assert hexes(got) == proof
    assert merkle.verify_consistency(
        old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), [bytes.fromhex(p) for p in proof]
    )


# --- Against the naive reference ---------------------------------------------


def test_root_from_leaf_hashes_matches_reference_for_every_size():
    for size in range(71):
        assert merkle.root_from_leaf_hashes(LEAVES_70[:size]) == ROOTS_70[size]


def test_compact_range_root_equals_tree_root_at_every_size():
    leaves = random_leaves(300, seed=1)
    compact = merkle.CompactRange()
    assert compact.root() == merkle.EMPTY_ROOT
    for size in range(1, 301):
        compact.append(leaves[size - 1])
        assert compact.root() == merkle.root_from_leaf_hashes(leaves[:size])


def test_compact_range_reports_every_perfect_subtree_once_with_its_hash():
    for (level, index), node in STORE_70.items():
        width = 1 << level
        assert node == ref_mth(LEAVES_70[index * width : (index + 1) * width])
    perfect_count = sum(70 >> level for level in range(7))
    assert len(STORE_70) == perfect_count


def test_compact_range_survives_a_round_trip_through_bytes_at_every_size():
    leaves = random_leaves(130, seed=2)
    compact = merkle.CompactRange()
    for h in leaves:
        restored = merkle.CompactRange.from_bytes(compact.size, compact.to_bytes())
        assert restored.append(h) == compact.append(h)
        assert restored.root() == compact.root()
        assert restored.size == compact.size


def test_compact_range_rejects_state_of_the_wrong_length():
    state = COMPACT_70.to_bytes()
    with pytest.raises(ValueError):
        merkle.CompactRange.from_bytes(71, state)
    with pytest.raises(ValueError):
        merkle.CompactRange.from_bytes(70, state[:-1])
    with pytest.raises(ValueError):
        merkle.CompactRange.from_bytes(-1, b"")


def test_compact_range_refuses_leaf_hashes_that_are_not_32_immutable_bytes():
    compact = merkle.CompactRange()
    with pytest.raises(ValueError):
        compact.append(b"short")
    with pytest.raises(TypeError):
        compact.append(bytearray(32))
    assert compact.size == 0


def test_inclusion_proofs_match_reference_and_verify_for_every_index_up_to_70():
    calls = []

    def get_node(level: int, index: int) -> bytes:
        calls.append((level, index))
        return STORE_70[(level, index)]

    for size in range(1, 71):
        for index in range(size):
            calls.clear()
            proof = merkle.inclusion_proof(index, size, get_node)
            assert proof == ref_path(index, LEAVES_70[:size])
            assert calls == merkle.nodes_needed_for_inclusion(index, size)
            assert len(calls) <= 2 * size.bit_length()
            assert merkle.verify_inclusion(LEAVES_70[index], index, size, proof, ROOTS_70[size])


def test_consistency_proofs_match_reference_and_verify_for_all_sizes_up_to_40():
    calls = []

    def get_node(level: int, index: int) -> bytes:
        calls.append((level, index))
        return STORE_70[(level, index)]

    for new in range(1, 41):
        for old in range(1, new + 1):
            calls.clear()
            proof = merkle.consistency_proof(old, new, get_node)
            assert proof == ref_subproof(old, LEAVES_70[:new], True)
            assert calls == merkle.nodes_needed_for_consistency(old, new)
            assert len(calls) <= 2 * new.bit_length()
            assert merkle.verify_consistency(old, new, ROOTS_70[old], ROOTS_70[new], proof)


def test_proofs_can_be_built_from_one_batch_fetch():
    wanted = merkle.nodes_needed_for_inclusion(37, 70) + merkle.nodes_needed_for_consistency(23, 70)
    fetched = {node: STORE_70[node] for node in wanted}  # the "one query"
    assert merkle.inclusion_proof(37, 70, lambda lvl, i: fetched[(lvl, i)]) == ref_path(37, LEAVES_70)
    assert merkle.consistency_proof(23, 70, lambda lvl, i: fetched[(lvl, i)]) == ref_subproof(23, LEAVES_70, True)


def test_a_missing_node_surfaces_as_key_error_and_a_corrupt_one_as_value_error():
    with pytest.raises(KeyError):
        merkle.inclusion_proof(3, 70, lambda lvl, i: {}[(lvl, i)])
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, 70, lambda lvl, i: STORE_70[(lvl, i)][:31])


def test_proof_builders_refuse_impossible_positions():
    get = STORE_70.__getitem__
    for index, size in [(0, 0), (5, 5), (-1, 5)]:
        with pytest.raises(ValueError):
            merkle.nodes_needed_for_inclusion(index, size)
    for old, new in [(0, 5), (6, 5), (-1, 5)]:
        with pytest.raises(ValueError):
            merkle.consistency_proof(old, new, lambda lvl, i: get((lvl, i)))


# --- Tampering ------------------------------------------------------------------


def test_flipping_any_bit_of_an_inclusion_proof_fails():
    for index, size in [(0, 70), (37, 70), (69, 70), (5, 8), (12, 13)]:
        proof = ref_path(index, LEAVES_70[:size])
        for item in range(len(proof)):
            for bit in range(256):
                assert not merkle.verify_inclusion(
                    LEAVES_70[index], index, size, flip_bit(proof, item, bit), ROOTS_70[size]
                )


def test_flipping_a_bit_anywhere_fails_inclusion_for_every_proof_up_to_70():
    for size in range(1, 71):
        for index in range(size):
            leaf, root = LEAVES_70[index], ROOTS_70[size]
            proof = ref_path(index, LEAVES_70[:size])
            for item in range(len(proof)):
                assert not merkle.verify_inclusion(leaf, index, size, flip_bit(proof, item, 3), root)
            assert not merkle.verify_inclusion(flip_bit([leaf], 0, 200)[0], index, size, proof, root)
            assert not merkle.verify_inclusion(leaf, index, size, proof, flip_bit([root], 0, 7)[0])


def test_inclusion_proof_fails_at_any_other_index_or_size():
    for size in range(1, 71):
        for index in range(size):
            proof = ref_path(index, LEAVES_70[:size])
            leaf = LEAVES_70[index]
            # Moved within the same tree.
            for other in {index - 1, index + 1, index ^ 2, size}:
                assert not merkle.verify_inclusion(leaf, other, size, proof, ROOTS_70[size])
            # Claimed for another tree size, against that size's real root.
            for other_size in {size - 1, size + 1, size * 2, size // 2} - {size}:
                if index < other_size <= 70:
                    assert not merkle.verify_inclusion(leaf, index, other_size, proof, ROOTS_70[other_size])


def test_inclusion_proof_of_wrong_length_fails():
    for index, size in [(0, 1), (0, 70), (37, 70), (69, 70), (4, 5)]:
        proof = ref_path(index, LEAVES_70[:size])
        leaf, root = LEAVES_70[index], ROOTS_70[size]
        for bad in [proof + [root], proof + [b""], [root, *proof], proof[:-1], proof[1:]]:
            if bad != proof:
                assert not merkle.verify_inclusion(leaf, index, size, bad, root)


def test_consistency_proof_tampering_fails_for_all_sizes_up_to_40():
    for new in range(2, 41):
        for old in range(1, new):
            proof = ref_subproof(old, LEAVES_70[:new], True)
            r_old, r_new = ROOTS_70[old], ROOTS_70[new]
            for item in range(len(proof)):
                assert not merkle.verify_consistency(old, new, r_old, r_new, flip_bit(proof, item, 4))
            for bad in [proof[:-1], proof[1:], proof + [r_new], [proof[0], *proof], [r_old, *proof], []]:
                assert not merkle.verify_consistency(old, new, r_old, r_new, bad)
            assert not merkle.verify_consistency(old, new, r_new, r_old, proof)
            assert not merkle.verify_consistency(old, new, flip_bit([r_old], 0, 0)[0], r_new, proof)
            assert not merkle.verify_consistency(old, new, r_old, flip_bit([r_new], 0, 255)[0], proof)
            for o, n in {(old - 1, new), (old + 1, new), (old, new - 1), (old, new + 1), (old, new * 2)}:
                if 0 < o < n <= 70 and (o, n) != (old, new):
                    assert not merkle.verify_consistency(o, n, ROOTS_70[o], ROOTS_70[n], proof)


def test_consistency_between_equal_sizes_needs_equal_roots_and_no_proof():
    root = ROOTS_70[9]
    assert merkle.verify_consistency(9, 9, root, root, [])
    assert not merkle.verify_consistency(9, 9, root, ROOTS_70[10], [])
    assert not merkle.verify_consistency(9, 9, root, root, [root])


def test_consistency_from_empty_or_backwards_is_refused():
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS_70[5], [])
    assert not merkle.verify_consistency(5, 4, ROOTS_70[5], ROOTS_70[4], [ROOTS_70[4]])
    assert not merkle.verify_consistency(-1, 4, ROOTS_70[1], ROOTS_70[4], [])


def test_verifiers_return_false_on_malformed_values():
    leaf, root = LEAVES_70[0], ROOTS_70[1]
    assert not merkle.verify_inclusion(leaf, 0, 0, [], root)
    assert not merkle.verify_inclusion(leaf, 1, 1, [], root)
    assert not merkle.verify_inclusion(leaf, -1, 1, [], root)
    assert not merkle.verify_inclusion(b"", 0, 1, [], b"")
    assert not merkle.verify_inclusion(leaf + b"x", 0, 1, [], root + b"x")
    assert not merkle.verify_inclusion(leaf, 0, 2**70, [root] * 70, root)
    assert not merkle.verify_consistency(1, 2, root, ROOTS_70[2], [b"\x00" * 31])


def test_verifiers_raise_type_error_only_for_wrong_types():
    leaf, root = LEAVES_70[0], ROOTS_70[1]
    with pytest.raises(TypeError):
        merkle.verify_inclusion(leaf.hex(), 0, 1, [], root)
    with pytest.raises(TypeError):
        merkle.verify_inclusion(leaf, "0", 1, [], root)
    with pytest.raises(TypeError):
        merkle.verify_inclusion(leaf, True, 1, [], root)
    with pytest.raises(TypeError):
        merkle.verify_inclusion(leaf, 0, 1, b"", root)
    with pytest.raises(TypeError):
        merkle.verify_inclusion(leaf, 0, 1, [None], root)
    with pytest.raises(TypeError):
        merkle.verify_consistency(1, 2, root, None, [])
