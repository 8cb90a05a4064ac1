"""ledger.subtree: roots and proofs from complete subtrees equal ledger.merkle's."""

from __future__ import annotations

import hashlib
import random

import pytest

from ledger import merkle, subtree
from ledger.errors import ProofError

SMALL = 300


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _all_nodes(leaves: list[bytes]) -> dict[subtree.Node, bytes]:
    """Every complete node of the tree, built the way the store's writer builds them."""
    nodes: dict[subtree.Node, bytes] = {}
    edge: list[tuple[subtree.Node, bytes]] = []
    for i, leaf in enumerate(leaves):
        nodes[(0, i)] = leaf
        done = subtree.append_leaf(edge, i, leaf)
        assert [node for node, _ in done] == subtree.completed_by(i)
        nodes.update(done)
        assert [node for node, _ in edge] == subtree.root_nodes(i + 1)
    return nodes


class _Counting(dict[subtree.Node, bytes]):
    """A mapping that only serves the planned nodes, so compute can't read more."""

    def __init__(self, full: dict[subtree.Node, bytes], planned: list[subtree.Node]) -> None:
        assert len(planned) == len(set(planned))
        super().__init__({node: full[node] for node in planned})


N_MAX = SMALL + 40
LEAVES = _leaves(N_MAX)
NODES = _all_nodes(LEAVES)


def _bound(n: int) -> int:
    """O(log n): at most two nodes per level, plus slack for the top."""
    return 2 * max(n, 1).bit_length() + 2


def test_decompose_is_binary_and_aligned() -> None:
    assert subtree.decompose(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtree.decompose(8, 13) == [(2, 2), (0, 12)]
    assert subtree.decompose(6, 8) == [(1, 3)]
    for start in range(0, 64):
        for end in range(start + 1, 70):
            parts = subtree.decompose(start, end)
            pos = start
            for level, idx in parts:
                assert idx << level == pos
                pos += 1 << level
            assert pos == end


def test_completed_by() -> None:
    assert subtree.completed_by(0) == []
    assert subtree.completed_by(1) == [(1, 0)]
    assert subtree.completed_by(7) == [(1, 3), (2, 1), (3, 0)]
    assert subtree.completed_by(10) == []
    assert subtree.completed_by(11) == [(1, 5), (2, 2)]


def test_roots_equal_merkle_on_all_small_sizes() -> None:
    for n in range(SMALL + 1):
        planned = subtree.root_nodes(n)
        assert len(planned) <= n.bit_length()
        got = subtree.root_from(n, _Counting(NODES, planned))
        assert got == merkle.root_hash(LEAVES[:n]), n


def test_empty_root_is_sha256_of_nothing() -> None:
    assert subtree.root_from(0, {}) == hashlib.sha256(b"").digest()


def test_inclusion_equals_merkle_on_all_small_sizes() -> None:
    for n in range(1, SMALL + 1):
        for i in range(n):
            planned = subtree.inclusion_nodes(i, n)
            assert len(planned) <= _bound(n)
            got = subtree.inclusion_from(i, n, _Counting(NODES, planned))
            assert got == merkle.inclusion_proof(i, LEAVES[:n]), (i, n)


def test_consistency_equals_merkle_on_all_small_sizes() -> None:
    for n in range(0, SMALL + 1):
        for m in range(0, n + 1):
            planned = subtree.consistency_nodes(m, n)
            assert len(planned) <= _bound(n)
            got = subtree.consistency_from(m, n, _Counting(NODES, planned))
            assert got == merkle.consistency_proof(m, LEAVES[:n]), (m, n)


def test_random_larger_trees() -> None:
    rng = random.Random(9162)
    for n in [rng.randrange(SMALL, 5000) for _ in range(4)] + [4096, 4097]:
        leaves = _leaves(n)
        nodes = _all_nodes(leaves)
        assert subtree.root_from(n, nodes) == merkle.root_hash(leaves)
        for _ in range(30):
            i, m = rng.randrange(n), rng.randrange(n + 1)
            planned = subtree.inclusion_nodes(i, n)
            assert len(planned) <= _bound(n)
            proof = subtree.inclusion_from(i, n, _Counting(nodes, planned))
            assert proof == merkle.inclusion_proof(i, leaves)
            planned = subtree.consistency_nodes(m, n)
            assert len(planned) <= _bound(n)
            proof = subtree.consistency_from(m, n, _Counting(nodes, planned))
            assert proof == merkle.consistency_proof(m, leaves)


def test_plans_for_huge_trees_stay_logarithmic() -> None:
    n = 2**40 + 12345
    assert len(subtree.root_nodes(n)) <= 41
    assert len(subtree.inclusion_nodes(n - 1, n)) <= _bound(n)
    assert len(subtree.consistency_nodes(n // 3, n)) <= _bound(n)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (subtree.inclusion_nodes, (0, 0)),
        (subtree.inclusion_nodes, (5, 5)),
        (subtree.inclusion_nodes, (-1, 5)),
        (subtree.consistency_nodes, (6, 5)),
        (subtree.consistency_nodes, (-1, 5)),
        (subtree.root_nodes, (-1,)),
        (subtree.completed_by, (-1,)),
        (subtree.decompose, (3, 3)),
    ],
)
def test_out_of_range_arguments_raise_proof_error(call: object, args: tuple[int, ...]) -> None:
    with pytest.raises(ProofError):
        call(*args)  # type: ignore[operator]


def test_append_leaf_refuses_a_wrong_edge() -> None:
    edge = [((0, 0), LEAVES[0])]
    with pytest.raises(ProofError):
        subtree.append_leaf(edge, 3, LEAVES[3])
