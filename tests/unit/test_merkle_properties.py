"""Property tests of ledger.merkle against a recursive reference of RFC 9162 §2.1.

The reference below transcribes MTH (§2.1.1), PATH (§2.1.3.1) and PROOF/SUBPROOF
(§2.1.4.1) literally, over any node combiner: SHA-256 for real hashes, or pairs for a
symbolic tree used to tell which size changes a proof can't notice (see
``_inclusion_shape``). Trees use distinct leaves so that no two subtrees share a hash.
"""

from __future__ import annotations

import enum
import hashlib
import inspect
import itertools
import types
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.errors import ProofError

T = TypeVar("T")
Node = Callable[[T, T], T]

# ---------------------------------------------------------------- reference (RFC 9162)


def _ref_split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[T], node: Node[T], empty: T) -> T:
    """MTH(D[n]) over leaf hashes d; MTH({}) = empty."""
    n = len(d)
    if n == 0:
        return empty
    if n == 1:
        return d[0]
    k = _ref_split(n)
    return node(ref_mth(d[:k], node, empty), ref_mth(d[k:], node, empty))


def ref_path(m: int, d: Sequence[T], node: Node[T], empty: T) -> list[T]:
    """PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = _ref_split(n)
    if m < k:
        return [*ref_path(m, d[:k], node, empty), ref_mth(d[k:], node, empty)]
    return [*ref_path(m - k, d[k:], node, empty), ref_mth(d[:k], node, empty)]


def ref_subproof(m: int, d: Sequence[T], b: bool, node: Node[T], empty: T) -> list[T]:
    """SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d, node, empty)]
    k = _ref_split(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b, node, empty), ref_mth(d[k:], node, empty)]
    return [*ref_subproof(m - k, d[k:], False, node, empty), ref_mth(d[:k], node, empty)]


def ref_proof(m: int, d: Sequence[T], node: Node[T], empty: T) -> list[T]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m <= n."""
    return ref_subproof(m, d, True, node, empty)


def sha_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def sha_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


EMPTY = hashlib.sha256(b"").digest()

Sym = Any  # int (a leaf), str / tuple[str, int] (a name) or a pair of Sym


def sym_node(left: Sym, right: Sym) -> Sym:
    return (left, right)


def _rename(expr: Sym, names: dict[Sym, Sym]) -> Sym:
    if expr in names:
        return names[expr]
    assert isinstance(expr, tuple), expr
    return (_rename(expr[0], names), _rename(expr[1], names))


@cache
def _inclusion_shape(index: int, size: int) -> Sym:
    """What verify_inclusion computes for (index, size), in terms of "leaf" and proof[j].

    Two (index, size) pairs with the same shape hash the same inputs the same way, so
    the RFC verifier can't tell them apart; pairs with different shapes never accept
    each other's proofs (no SHA-256 collisions, distinct leaves).
    """
    leaves = list(range(size))
    proof = ref_path(index, leaves, sym_node, -1)
    names: dict[Sym, Sym] = {index: "leaf"}
    names.update({p: ("proof", j) for j, p in enumerate(proof)})
    return len(proof), _rename(ref_mth(leaves, sym_node, -1), names)


@cache
def _consistency_shape(old: int, new: int) -> Sym:
    """As _inclusion_shape, for verify_consistency with 0 < old < new.

    The old root is an input ("old") only when old is a power of two (§2.1.4.2 step 2).
    """
    leaves = list(range(new))
    proof = ref_proof(old, leaves, sym_node, -1)
    old_root = ref_mth(leaves[:old], sym_node, -1)
    names: dict[Sym, Sym] = {p: ("proof", j) for j, p in enumerate(proof)}
    if old & (old - 1) == 0:
        names[old_root] = "old"
    return len(proof), _rename(old_root, names), _rename(ref_mth(leaves, sym_node, -1), names)


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=64)
def tree(size: int, salt: bytes = b"") -> tuple[bytes, ...]:
    """Distinct leaf hashes."""
    return tuple(sha_leaf(salt + i.to_bytes(4, "big")) for i in range(size))


@cache
def prefix_roots(salt: bytes = b"", upto: int = 65) -> tuple[bytes, ...]:
    leaves = tree(upto, salt)
    return tuple(ref_mth(leaves[:n], sha_node, EMPTY) for n in range(upto + 1))


def rejects(fn: Callable[..., None], *args: Any) -> bool:
    try:
        fn(*args)
    except ProofError:
        return True
    return False


def bit_flips(h: bytes, bits: Sequence[int] = range(256)) -> Iterator[bytes]:
    for bit in bits:
        flipped = bytearray(h)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        yield bytes(flipped)


def proof_mutations(proof: list[bytes], junk: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Dropped, added, duplicated and swapped elements."""
    for j in range(len(proof)):
        yield f"drop {j}", proof[:j] + proof[j + 1 :]
        yield f"duplicate {j}", proof[: j + 1] + proof[j:]
    for j in range(len(proof) + 1):
        yield f"insert junk at {j}", [*proof[:j], junk, *proof[j:]]
    for a, b in itertools.combinations(range(len(proof)), 2):
        swapped = list(proof)
        swapped[a], swapped[b] = swapped[b], swapped[a]
        yield f"swap {a} {b}", swapped
    if len(proof) > 1:
        yield "reversed", proof[::-1]


def extended_roots(leaves: Sequence[bytes]) -> Callable[[int], bytes]:
    """Roots of every prefix of ``leaves`` plus one more leaf (size n + 1)."""
    extended = [*leaves, sha_leaf(b"one more leaf")]

    @cache
    def roots(k: int) -> bytes:
        return merkle.root_hash(extended[:k])

    return roots


def check_inclusion_mutations(leaves: Sequence[bytes], i: int, bits: Sequence[int]) -> None:
    n, roots = len(leaves), extended_roots(leaves)
    root, proof, leaf = roots(n), merkle.inclusion_proof(i, leaves), leaves[i]
    merkle.verify_inclusion(leaf, i, n, proof, root)
    merkle.verify_inclusion(leaf, i, n, tuple(proof), root)
    for j, p in enumerate(proof):
        for bad in bit_flips(p, bits):
            bad_proof = [*proof[:j], bad, *proof[j + 1 :]]
            assert rejects(merkle.verify_inclusion, leaf, i, n, bad_proof, root), (j, bad)
    for bad in bit_flips(root, bits):
        assert rejects(merkle.verify_inclusion, leaf, i, n, proof, bad)
    for bad in bit_flips(leaf, bits):
        assert rejects(merkle.verify_inclusion, bad, i, n, proof, root)
    for what, bad_proof in proof_mutations(proof, sha_leaf(b"junk")):
        assert rejects(merkle.verify_inclusion, leaf, i, n, bad_proof, root), what
    for other in (i - 1, i + 1):  # another index of the same tree
        assert rejects(merkle.verify_inclusion, leaf, other, n, proof, root), other
    for other in (n - 1, n + 1):  # another size of the same log, with its own root
        assert rejects(merkle.verify_inclusion, leaf, i, other, proof, roots(other)), other
    for other in (n - 1, n + 1):  # another size, same root: only if the shape is the same
        same = i < other and _inclusion_shape(i, other) == _inclusion_shape(i, n)
        assert rejects(merkle.verify_inclusion, leaf, i, other, proof, root) != same, other


def check_consistency_mutations(leaves: Sequence[bytes], m: int, bits: Sequence[int]) -> None:
    n, roots = len(leaves), extended_roots(leaves)
    old, new, proof = roots(m), roots(n), merkle.consistency_proof(m, leaves)
    merkle.verify_consistency(m, n, old, new, proof)
    merkle.verify_consistency(m, n, old, new, tuple(proof))
    for j, p in enumerate(proof):
        for bad in bit_flips(p, bits):
            bad_proof = [*proof[:j], bad, *proof[j + 1 :]]
            assert rejects(merkle.verify_consistency, m, n, old, new, bad_proof), (j, bad)
    for bad in bit_flips(old, bits):
        assert rejects(merkle.verify_consistency, m, n, bad, new, proof)
    for bad in bit_flips(new, bits):
        if m != 0:  # every tree extends the empty tree: nothing binds the new root
            assert rejects(merkle.verify_consistency, m, n, old, bad, proof)
    for what, bad_proof in proof_mutations(proof, sha_leaf(b"junk")):
        assert rejects(merkle.verify_consistency, m, n, old, new, bad_proof), what
    if m != n:
        assert rejects(merkle.verify_consistency, m, n, new, old, proof)
        assert rejects(merkle.verify_consistency, n, m, new, old, proof)
    if not 0 < m < n:  # nothing was proved, so nothing to misapply to other sizes
        return
    neighbours = ((m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1))
    for m2, n2 in neighbours:  # other sizes of the same log, with their own roots
        assert rejects(merkle.verify_consistency, m2, n2, roots(m2), roots(n2), proof), (m2, n2)
    for m2, n2 in neighbours:  # other sizes, same roots: only if the shape is the same
        same = 0 < m2 < n2 and _consistency_shape(m2, n2) == _consistency_shape(m, n)
        assert rejects(merkle.verify_consistency, m2, n2, old, new, proof) != same, (m2, n2)


# ---------------------------------------------------------------- exhaustive, small trees

SMALL = 64


def test_root_hash_small_exhaustive() -> None:
    leaves = tree(SMALL)
    for n in range(SMALL + 1):
        assert merkle.root_hash(leaves[:n]) == ref_mth(leaves[:n], sha_node, EMPTY)
    assert prefix_roots()[: SMALL + 1] == tuple(
        merkle.root_hash(leaves[:n]) for n in range(SMALL + 1)
    )


def test_inclusion_small_exhaustive() -> None:
    full = tree(SMALL + 1)
    for n in range(1, SMALL + 1):
        leaves = full[:n]
        root = prefix_roots()[n]
        for i in range(n):
            proof = merkle.inclusion_proof(i, leaves)
            assert proof == ref_path(i, leaves, sha_node, EMPTY), (i, n)
            merkle.verify_inclusion(leaves[i], i, n, proof, root)
            check_inclusion_mutations(leaves, i, bits=[(i * 31 + n) % 256])


def test_consistency_small_exhaustive() -> None:
    full, roots = tree(SMALL + 1), prefix_roots()
    for n in range(SMALL + 1):
        leaves = full[:n]
        for m in range(n + 1):
            proof = merkle.consistency_proof(m, leaves)
            expected = [] if m == 0 else ref_proof(m, leaves, sha_node, EMPTY)
            assert proof == expected, (m, n)
            merkle.verify_consistency(m, n, roots[m], roots[n], proof)
            check_consistency_mutations(leaves, m, [(m * 31 + n) % 256])


def test_size_changes_that_proofs_cannot_notice_exist() -> None:
    """RFC 9162 proofs bind a tree size only through its shape; the signed checkpoint
    binds size and root together. These pairs share a shape, so they verify."""
    leaves = tree(4)
    root3 = merkle.root_hash(leaves[:3])
    proof = merkle.inclusion_proof(0, leaves[:3])
    merkle.verify_inclusion(leaves[0], 0, 4, proof, root3)
    cproof = merkle.consistency_proof(1, leaves[:3])
    merkle.verify_consistency(1, 4, leaves[0], root3, cproof)


# ---------------------------------------------------------------- hypothesis, up to 1024 leaves

SIZES = st.one_of(st.integers(1, 80), st.integers(1, 1024))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[tuple[bytes, ...], int]:
    n = draw(SIZES)
    salt = draw(st.binary(max_size=4))
    return tree(n, salt), draw(st.integers(0, n - 1))


@SETTINGS
@given(n=st.integers(0, 1024), salt=st.binary(max_size=4))
def test_root_hash_matches_reference(n: int, salt: bytes) -> None:
    leaves = tree(n, salt)
    assert merkle.root_hash(leaves) == ref_mth(leaves, sha_node, EMPTY)
    assert merkle.root_hash(list(leaves)) == merkle.root_hash(leaves)


@SETTINGS
@given(tree_and_index())
def test_inclusion_matches_reference_and_rejects_mutations(
    case: tuple[tuple[bytes, ...], int],
) -> None:
    leaves, i = case
    assert merkle.inclusion_proof(i, leaves) == ref_path(i, leaves, sha_node, EMPTY)
    check_inclusion_mutations(leaves, i, bits=range(256))


@SETTINGS
@given(tree_and_index(), st.booleans())
def test_consistency_matches_reference_and_rejects_mutations(
    case: tuple[tuple[bytes, ...], int], power_of_two: bool
) -> None:
    leaves, m = case
    if power_of_two:  # step 2 of §2.1.4.2 only runs for these; make them common
        m = 1 << (m.bit_length() - 1) if m else 0
    expected = [] if m == 0 else ref_proof(m, leaves, sha_node, EMPTY)
    assert merkle.consistency_proof(m, leaves) == expected
    check_consistency_mutations(leaves, m, range(256))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 1024), data=st.data())
def test_every_consistency_pair_of_one_tree_verifies(n: int, data: st.DataObject) -> None:
    leaves = tree(n, b"pairs")
    m = data.draw(st.integers(0, n))
    k = data.draw(st.integers(m, n))
    proof = merkle.consistency_proof(m, leaves[:k])
    assert proof == ([] if m == 0 else ref_proof(m, leaves[:k], sha_node, EMPTY))
    merkle.verify_consistency(
        m, k, merkle.root_hash(leaves[:m]), merkle.root_hash(leaves[:k]), proof
    )


# ---------------------------------------------------------------- malformed input


class _Bytes(bytes):
    pass


class _Int(int):
    pass


class _IntEnum(enum.IntEnum):
    ONE = 1


class _List(list[bytes]):
    pass


class _Evil(bytes):
    def __radd__(self, other: object) -> bytes:
        raise RuntimeError("called")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("called")

    __hash__ = bytes.__hash__


GOOD_HASH = sha_leaf(b"good")
BAD_HASHES: list[object] = [
    None, "", "a" * 32, GOOD_HASH.hex(), b"", bytes(31), bytes(33), bytes(64),
    bytearray(GOOD_HASH), memoryview(GOOD_HASH), _Bytes(GOOD_HASH), _Evil(GOOD_HASH),
    0, 1, -1, 2**256, True, 1.5, [GOOD_HASH], (GOOD_HASH,), {GOOD_HASH}, object(),
]  # fmt: skip
BAD_INTS: list[object] = [
    None, -1, -(2**70), 2**64, 2**64 + 1, 10**100, 2**10000, True, False, 1.0, float("nan"),
    "1", b"1", _Int(1), _IntEnum.ONE, [1], object(),
]  # fmt: skip
BAD_PROOFS: list[object] = [
    None, "", b"", GOOD_HASH, GOOD_HASH.hex(), 0, {GOOD_HASH}, {0: GOOD_HASH},
    iter([GOOD_HASH]), _List([GOOD_HASH]), [None], [GOOD_HASH, None], [bytes(31)],
    [bytes(33)], [bytearray(32)], [memoryview(bytes(32))], [GOOD_HASH.hex()], [[GOOD_HASH]],
    [_Evil(GOOD_HASH)], [GOOD_HASH] * 100, [GOOD_HASH] * 10_000, object(),
]  # fmt: skip
GARBAGE: list[object] = BAD_HASHES + BAD_INTS + BAD_PROOFS + [GOOD_HASH, [], 0, 1, 7, 8]


def _only_proof_error(fn: Callable[..., object], *args: object) -> None:
    try:
        fn(*args)
    except ProofError:
        pass
    except Exception as exc:  # pragma: no cover - the failure being tested for
        pytest.fail(f"{fn.__name__}{args!r:.200} raised {type(exc).__name__}: {exc}")


def test_each_malformed_argument_is_rejected() -> None:
    leaves = tree(8)
    root, proof = merkle.root_hash(leaves), merkle.inclusion_proof(5, leaves)
    good_incl: list[object] = [leaves[5], 5, 8, proof, root]
    kinds = [BAD_HASHES, BAD_INTS, BAD_INTS, BAD_PROOFS, BAD_HASHES]
    for pos, bads in enumerate(kinds):
        for bad in bads:
            args = [*good_incl[:pos], bad, *good_incl[pos + 1 :]]
            assert rejects(merkle.verify_inclusion, *args), (pos, bad)
    cproof = merkle.consistency_proof(3, leaves)
    good_cons: list[object] = [3, 8, merkle.root_hash(leaves[:3]), root, cproof]
    kinds = [BAD_INTS, BAD_INTS, BAD_HASHES, BAD_HASHES, BAD_PROOFS]
    for pos, bads in enumerate(kinds):
        for bad in bads:
            args = [*good_cons[:pos], bad, *good_cons[pos + 1 :]]
            assert rejects(merkle.verify_consistency, *args), (pos, bad)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(GARBAGE), min_size=5, max_size=5))
def test_fuzz_verify_raises_only_proof_error(args: list[object]) -> None:
    _only_proof_error(merkle.verify_inclusion, *args)
    _only_proof_error(merkle.verify_consistency, *args)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.sampled_from(GARBAGE), st.integers(), st.binary(), st.text()),
    st.one_of(st.sampled_from(GARBAGE), st.integers(), st.binary(), st.text()),
    st.one_of(st.sampled_from(GARBAGE), st.binary(), st.lists(st.binary(min_size=30, max_size=34))),
    st.one_of(st.sampled_from(GARBAGE), st.binary(min_size=31, max_size=33)),
    st.one_of(st.sampled_from(GARBAGE), st.lists(st.binary(min_size=32, max_size=32), max_size=70)),
)
def test_fuzz_verify_mixed(a: object, b: object, c: object, d: object, e: object) -> None:
    _only_proof_error(merkle.verify_inclusion, d, a, b, e, d)
    _only_proof_error(merkle.verify_consistency, a, b, d, d, e)
    _only_proof_error(merkle.verify_consistency, 0, b, merkle.root_hash([]), d, c)


def test_verify_edge_cases() -> None:
    leaves = tree(8)
    empty, root1 = merkle.root_hash([]), merkle.root_hash(leaves[:1])
    merkle.verify_consistency(0, 0, empty, empty, [])
    merkle.verify_consistency(0, 8, empty, merkle.root_hash(leaves), [])
    merkle.verify_consistency(1, 1, root1, root1, ())
    merkle.verify_inclusion(leaves[0], 0, 1, [], root1)
    assert rejects(merkle.verify_consistency, 0, 8, empty, merkle.root_hash(leaves), [root1])
    assert rejects(merkle.verify_consistency, 0, 8, root1, merkle.root_hash(leaves), [])
    assert rejects(merkle.verify_consistency, 0, 0, empty, root1, [])
    assert rejects(merkle.verify_consistency, 1, 1, root1, empty, [])
    assert rejects(merkle.verify_consistency, 1, 1, root1, root1, [root1])
    assert rejects(merkle.verify_consistency, 8, 1, merkle.root_hash(leaves), root1, [])
    assert rejects(merkle.verify_consistency, 1, 2, root1, merkle.root_hash(leaves[:2]), [])
    assert rejects(merkle.verify_inclusion, leaves[0], 0, 0, [], empty)
    assert rejects(merkle.verify_inclusion, leaves[0], 1, 1, [], root1)
    big = 2**64 - 1
    assert rejects(merkle.verify_inclusion, leaves[0], big - 1, big, [root1] * 64, root1)
    assert rejects(merkle.verify_consistency, big - 1, big, root1, root1, [root1] * 66)


def test_failure_reasons() -> None:
    """Each check of §2.1.3.2 / §2.1.4.2 is reached and says why it refused."""
    leaves = tree(8)
    root, root3 = merkle.root_hash(leaves), merkle.root_hash(leaves[:3])
    proof = merkle.inclusion_proof(5, leaves)
    with pytest.raises(ProofError, match="too long"):
        merkle.verify_inclusion(leaves[5], 5, 8, [*proof, GOOD_HASH], root)
    with pytest.raises(ProofError, match="too short"):
        merkle.verify_inclusion(leaves[5], 5, 8, proof[:-1], root)
    with pytest.raises(ProofError, match="not below tree size"):
        merkle.verify_inclusion(leaves[5], 8, 8, proof, root)
    cproof = merkle.consistency_proof(3, leaves)
    with pytest.raises(ProofError, match="too long"):
        merkle.verify_consistency(3, 8, root3, root, [*cproof, GOOD_HASH])
    with pytest.raises(ProofError, match="too short"):
        merkle.verify_consistency(3, 8, root3, root, cproof[:-1])
    with pytest.raises(ProofError, match="larger than new size"):
        merkle.verify_consistency(8, 3, root, root3, cproof)
    # Step 1 matters when old_size is not a power of two: there is no path[0] at all.
    with pytest.raises(ProofError, match="empty"):
        merkle.verify_consistency(3, 8, root3, root, [])
    with pytest.raises(ProofError, match="list or tuple"):
        merkle.verify_inclusion(leaves[5], 5, 8, _List(proof), root)


def test_sizes_are_uint64() -> None:
    """RFC 9162 §4 sizes are uint64: a proof that would verify for 2**64 is refused."""
    leaf = sha_leaf(b"first")
    proof = [sha_leaf(i.to_bytes(1, "big")) for i in range(64)]
    root = leaf
    for p in proof:  # leaf 0 has only right-hand siblings
        root = sha_node(root, p)
    merkle.verify_inclusion(leaf, 0, 2**64 - 1, proof, root)
    merkle.verify_inclusion(leaf, 0, 2**63 + 1, proof, root)
    with pytest.raises(ProofError, match="2\\*\\*64-1"):
        merkle.verify_inclusion(leaf, 0, 2**64, proof, root)
    with pytest.raises(ProofError, match="2\\*\\*64-1"):
        merkle.verify_inclusion(leaf, 0, 2**64 + 1, [*proof, GOOD_HASH], sha_node(root, GOOD_HASH))


def test_generation_rejects_bad_arguments() -> None:
    leaves = list(tree(5))
    for bad_index in [-1, 5, 6, 2**64, True, False, None, 1.0, "0", _IntEnum.ONE]:
        with pytest.raises(ProofError):
            merkle.inclusion_proof(bad_index, leaves)  # type: ignore[arg-type]
    for bad_size in [-1, 6, 2**64, True, None, 1.0, "0"]:
        with pytest.raises(ProofError):
            merkle.consistency_proof(bad_size, leaves)  # type: ignore[arg-type]
    for bad_leaves in [None, 5, "abc", b"abc", GOOD_HASH, [None], [bytes(31)], [bytearray(32)],
                       [GOOD_HASH, GOOD_HASH.hex()], {GOOD_HASH}, iter([GOOD_HASH])]:  # fmt: skip
        with pytest.raises(ProofError):
            merkle.root_hash(bad_leaves)  # type: ignore[arg-type]
        with pytest.raises(ProofError):
            merkle.inclusion_proof(0, bad_leaves)  # type: ignore[arg-type]
        with pytest.raises(ProofError):
            merkle.consistency_proof(0, bad_leaves)  # type: ignore[arg-type]
    with pytest.raises(ProofError):
        merkle.inclusion_proof(0, [])
    assert merkle.consistency_proof(0, []) == []
    assert merkle.consistency_proof(5, leaves) == []


def test_public_surface() -> None:
    expected = {
        "leaf_hash", "node_hash", "root_hash", "inclusion_proof", "consistency_proof",
        "verify_inclusion", "verify_consistency",
    }  # fmt: skip
    assert set(merkle.__all__) == expected
    defined_here = {
        name
        for name, obj in vars(merkle).items()
        if getattr(obj, "__module__", None) == merkle.__name__ and not inspect.ismodule(obj)
    }
    assert {name for name in defined_here if not name.startswith("_")} == expected
    assert merkle.leaf_hash(b"") == sha_leaf(b"")
    assert merkle.node_hash(GOOD_HASH, EMPTY) == sha_node(GOOD_HASH, EMPTY)


@pytest.mark.slow
def test_root_hash_and_proofs_hash_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear work, counted rather than timed (a shared machine makes timings noise): a
    root over n leaves hashes n - 1 interior nodes, and a proof at most twice that."""
    calls = [0]
    real = hashlib.sha256

    def counted(data: bytes = b"") -> Any:
        calls[0] += 1
        return real(data)

    monkeypatch.setattr(merkle, "hashlib", types.SimpleNamespace(sha256=counted))
    n = 1_000_000
    leaves = [i.to_bytes(32, "big") for i in range(n)]
    merkle.root_hash(leaves)
    assert calls[0] == n - 1
    for prove in (lambda: merkle.inclusion_proof(654_321, leaves),
                  lambda: merkle.consistency_proof(777_777, leaves)):
        calls[0] = 0
        prove()
        assert 0 < calls[0] < 2 * n
