"""Merkle tree hashing and proofs, exactly as RFC 9162 §2.1 (same tree as RFC 6962 §2.1).

Pure functions over 32-byte SHA-256 hashes; no I/O. Indices are 0-based and an odd
node is promoted, never duplicated. The ``verify_*`` functions return ``None`` on
success and raise :class:`~ledger.errors.ProofError` on any failure, malformed input
included: arguments must be exactly ``int`` (not ``bool``) in ``0 .. 2**64 - 1`` (tree
sizes are ``uint64`` in RFC 9162 §4), hashes exactly ``bytes`` of length 32, proofs a
``list`` or ``tuple`` of such hashes. Exact types also mean that no caller-supplied
subclass can run code (or raise) inside the verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import ProofError

__all__ = [
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

_HASH_SIZE = 32
_MAX_SIZE = 2**64 - 1
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return ``SHA-256(0x00 || data)``, the hash of a leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH(D[n]) of the tree with these leaf hashes (RFC 9162 §2.1.1).

    The empty tree's hash is ``SHA-256()`` of the empty string. Raises
    :class:`ProofError` if an element is not a 32-byte ``bytes``. O(n) hashing.
    """
    leaves = _leaves(leaf_hashes)
    return _mth(leaves, 0, len(leaves)) if leaves else _EMPTY_ROOT


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(index, D[n]), the inclusion proof of leaf ``index`` (RFC 9162 §2.1.3.1).

    Ordered from the leaf's sibling up to the root's child. Raises :class:`ProofError`
    unless ``0 <= index < n`` and every element is a 32-byte ``bytes``. O(n) hashing.
    """
    leaves = _leaves(leaf_hashes)
    if not _is_uint64(index) or index >= len(leaves):
        raise ProofError(f"leaf index must be an int in 0..{len(leaves) - 1}, got {index!r}")
    # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       if m < k
    #               = PATH(m - k, D[k:n]) : MTH(D[0:k])   if m >= k
    # Walk down from the root collecting siblings; the deepest comes first in the proof.
    lo, hi, proof = 0, len(leaves), []
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            proof.append(_mth(leaves, mid, hi))
            hi = mid
        else:
            proof.append(_mth(leaves, lo, mid))
            lo = mid
    proof.reverse()
    return proof


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(old_size, D[n]) from ``old_size`` to ``n`` (RFC 9162 §2.1.4.1).

    PROOF(m, D[n]) = SUBPROOF(m, D[n], true); it is empty when ``m == n`` and, since
    the empty tree is a prefix of every tree, when ``m == 0``. Raises
    :class:`ProofError` unless ``0 <= old_size <= n`` and every element is a 32-byte
    ``bytes``. O(n) hashing.
    """
    leaves = _leaves(leaf_hashes)
    if not _is_uint64(old_size) or old_size > len(leaves):
        raise ProofError(f"old size must be an int in 0..{len(leaves)}, got {old_size!r}")
    if old_size == 0:
        return []
    # SUBPROOF(m, D[n], b) = {} if m == n and b; {MTH(D[n])} if m == n and not b;
    #   SUBPROOF(m, D[0:k], b) : MTH(D[k:n])                if m <= k
    #   SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])        if m > k
    m, lo, hi, b, proof = old_size, 0, len(leaves), True, []
    while m != hi - lo:
        mid = lo + _split(hi - lo)
        if m <= mid - lo:
            proof.append(_mth(leaves, mid, hi))
            hi = mid
        else:
            proof.append(_mth(leaves, lo, mid))
            m -= mid - lo
            lo, b = mid, False
    if not b:
        proof.append(_mth(leaves, lo, hi))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` with ``root``.

    The algorithm of RFC 9162 §2.1.3.2, step by step. Returns ``None``; raises
    :class:`ProofError` if the proof does not verify or any argument is malformed.
    """
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    _check_size(index, "leaf index")
    _check_size(tree_size, "tree size")
    path = _check_proof(proof)
    # 1. leaf_index >= tree_size fails.
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is not below tree size {tree_size}")
    # 2.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
    fn, sn, r = index, tree_size - 1, leaf_hash
    # 4. For each p in inclusion_path:
    for p in path:
        if sn == 0:  # a.
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # c.
            r = node_hash(r, p)
        fn >>= 1  # d.
        sn >>= 1
    # 5. sn must be 0 and r must equal root_hash.
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (``old_size``, ``old_root``) is a prefix of (``new_size``, ``new_root``).

    For ``0 < old_size < new_size`` this is the algorithm of RFC 9162 §2.1.4.2, step by
    step. Outside that range there is nothing to prove and the proof must be empty:
    equal sizes need equal roots, and size 0 needs ``old_root`` to be MTH({}) =
    ``SHA-256()`` (§2.1.1). Returns ``None``; raises :class:`ProofError` if the proof
    does not verify or any argument is malformed (``old_size > new_size`` included).
    """
    _check_size(old_size, "old size")
    _check_size(new_size, "new size")
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    path = _check_proof(proof)
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0 or old_size == new_size:
        if path:
            raise ProofError(f"a proof from size {old_size} to {new_size} must be empty")
        if old_size == 0 and old_root != _EMPTY_ROOT:
            raise ProofError("the root of the empty tree must be SHA-256 of the empty string")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two roots for the same tree size {new_size} differ")
        return
    # 1. An empty consistency_path fails.
    if not path:
        raise ProofError("consistency proof is empty")
    # 2. If first is an exact power of 2, prepend first_hash.
    if (old_size & (old_size - 1)) == 0:
        path = [old_root, *path]
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. While LSB(fn) is set, right-shift fn and sn.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr = sr = consistency_path[0].
    fr = sr = path[0]
    # 6. For each subsequent c:
    for c in path[1:]:
        if sn == 0:  # a.
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:  # b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # c.
            sr = node_hash(sr, c)
        fn >>= 1  # d.
        sn >>= 1
    # 7. fr == first_hash, sr == second_hash and sn == 0.
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root")


def _split(n: int) -> int:
    """The largest power of 2 smaller than ``n`` (``n > 1``), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: list[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for ``lo < hi``, level by level in O(hi - lo) hashes.

    Pairing neighbours and promoting a last odd node builds the same left-full tree as
    the recursive split at the largest power of 2 (RFC 9162 §2.1.1).
    """
    level = leaves[lo:hi]
    sha256, prefix = hashlib.sha256, _NODE_PREFIX
    while len(level) > 1:
        odd = level[-1:] if len(level) & 1 else []
        level = [
            sha256(prefix + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ] + odd
    return level[0]


def _leaves(leaf_hashes: object) -> list[bytes]:
    """Copy ``leaf_hashes`` into a list, refusing anything but 32-byte ``bytes``."""
    if not isinstance(leaf_hashes, Sequence) or isinstance(leaf_hashes, bytes | str):
        raise ProofError(f"leaf hashes must be a sequence, got {type(leaf_hashes).__name__}")
    leaves = list(leaf_hashes)
    for i, h in enumerate(leaves):
        if type(h) is not bytes or len(h) != _HASH_SIZE:
            raise ProofError(f"leaf hash {i} must be {_HASH_SIZE} bytes")
    return leaves


def _is_uint64(value: object) -> bool:
    return type(value) is int and 0 <= value <= _MAX_SIZE


def _check_size(value: object, what: str) -> None:
    if not _is_uint64(value):
        raise ProofError(f"{what} must be an int in 0..2**64-1, got {value!r:.40}")


def _check_hash(value: object, what: str) -> None:
    if type(value) is not bytes or len(value) != _HASH_SIZE:
        raise ProofError(f"{what} must be {_HASH_SIZE} bytes, got {type(value).__name__}")


def _check_proof(proof: object) -> list[bytes]:
    if type(proof) is not list and type(proof) is not tuple:
        raise ProofError(f"proof must be a list or tuple, got {type(proof).__name__}")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
    return list(proof)
