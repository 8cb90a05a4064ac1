"""RFC 9162 roots and proofs from stored complete subtrees.

A *node* ``(level, index)`` is the complete subtree over the ``2**level`` leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 is a leaf. A log of ``n``
entries stores the hash of every complete node of its tree, and nothing else: a node
never changes once its last leaf is appended, so the table only grows.

Every hash that RFC 9162 §2.1 asks for, ``MTH(D[a:b])``, is over a range that starts
at a multiple of a power of two larger than the range, or is itself complete. Such a
range is the concatenation of at most ``log2(n) + 1`` complete nodes (its binary
decomposition, largest first) and its hash is their right fold: §2.1.1 splits at the
largest power of two below the size, which is exactly the first node of the
decomposition. So each function here works in two steps:

1. *plan*: ``root_nodes(n)``, ``inclusion_nodes(i, n)``, ``consistency_nodes(m, n)``
   name the O(log n) nodes to fetch (the caller reads them in one query);
2. *compute*: ``root_from``, ``inclusion_from``, ``consistency_from`` build the root or
   proof from a mapping of those nodes to their hashes.

The results equal :mod:`ledger.merkle` computed over all leaves. For the writer,
:func:`append_leaf` folds a new leaf into the right edge (the nodes of
:func:`root_nodes`) and names the nodes the leaf completes.

This module is pure: no I/O, no clock; it raises :class:`~ledger.errors.ProofError`
for arguments RFC 9162 defines no proof for, and ``KeyError`` if a planned node is
missing from the mapping it is given.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import merkle
from .errors import ProofError

Node = tuple[int, int]
"""A complete subtree ``(level, index)``: leaves ``[index << level, (index + 1) << level)``."""

Range = tuple[int, int]
"""A half-open leaf range ``[start, end)`` whose hash is ``MTH(D[start:end])``."""


def decompose(start: int, end: int) -> list[Node]:
    """The complete nodes that make up ``[start, end)``, left to right, largest first.

    For the ranges RFC 9162 hashes (see the module docstring) the hash of the range is
    the right fold of these nodes' hashes.
    """
    if not 0 <= start < end:
        raise ProofError(f"empty or negative leaf range [{start}, {end})")
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size >= 2``), RFC 9162 §2.1.1."""
    return 1 << ((size - 1).bit_length() - 1)


def _range_hash(rng: Range, hashes: Mapping[Node, bytes]) -> bytes:
    parts = decompose(*rng)
    acc = hashes[parts[-1]]
    for node in reversed(parts[:-1]):
        acc = merkle.node_hash(hashes[node], acc)
    return acc


def _plan(ranges: list[Range]) -> list[Node]:
    seen: dict[Node, None] = {}
    for rng in ranges:
        for node in decompose(*rng):
            seen[node] = None
    return list(seen)


# -- root ------------------------------------------------------------------------------


def root_nodes(size: int) -> list[Node]:
    """Nodes needed for the root of a tree of ``size`` leaves (its right edge)."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    return decompose(0, size) if size else []


def root_from(size: int, hashes: Mapping[Node, bytes]) -> bytes:
    """``MTH(D[0:size])`` (RFC 9162 §2.1.1) from the nodes of :func:`root_nodes`."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    if size == 0:
        return merkle.root_hash([])
    return _range_hash((0, size), hashes)


# -- inclusion -------------------------------------------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges of ``PATH(index, D[0:size])``, RFC 9162 §2.1.3.1, leaf first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def inclusion_nodes(index: int, size: int) -> list[Node]:
    """Nodes needed for the inclusion proof of leaf ``index`` in a tree of ``size``."""
    return _plan(_inclusion_ranges(index, size))


def inclusion_from(index: int, size: int, hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The inclusion proof (RFC 9162 §2.1.3.1) from the nodes of :func:`inclusion_nodes`."""
    return [_range_hash(rng, hashes) for rng in _inclusion_ranges(index, size)]


# -- consistency -----------------------------------------------------------------------


def _consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges of ``PROOF(old, D[0:new])``, RFC 9162 §2.1.4.1, in proof order."""
    if not 0 <= old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    out: list[Range] = []
    lo, hi, complete = 0, new, True
    while old != hi:
        k = _split(hi - lo)
        if old - lo <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, complete = lo + k, False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def consistency_nodes(old: int, new: int) -> list[Node]:
    """Nodes needed for the consistency proof from size ``old`` to size ``new``."""
    return _plan(_consistency_ranges(old, new))


def consistency_from(old: int, new: int, hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The consistency proof (RFC 9162 §2.1.4.1) from :func:`consistency_nodes`."""
    return [_range_hash(rng, hashes) for rng in _consistency_ranges(old, new)]


# -- writing ---------------------------------------------------------------------------


def completed_by(index: int) -> list[Node]:
    """The nodes of level >= 1 that become complete when leaf ``index`` is appended."""
    if index < 0:
        raise ProofError(f"leaf index {index} is negative")
    out: list[Node] = []
    end, level = index + 1, 1
    while end % (1 << level) == 0:
        out.append((level, (end >> level) - 1))
        level += 1
    return out


def append_leaf(
    edge: list[tuple[Node, bytes]], index: int, leaf: bytes
) -> list[tuple[Node, bytes]]:
    """Fold leaf ``index`` into ``edge`` and return the nodes it completes (level >= 1).

    ``edge`` is the right edge of the tree of ``index`` leaves, ``root_nodes(index)``
    with their hashes, left to right; it is updated in place to ``root_nodes(index + 1)``.
    """
    node, value = (0, index), leaf
    done: list[tuple[Node, bytes]] = []
    while edge and edge[-1][0][0] == node[0]:
        (level, left_index), left = edge.pop()
        if left_index + 1 != node[1]:
            raise ProofError(f"right edge does not end next to leaf {index}")
        node, value = (level + 1, left_index >> 1), merkle.node_hash(left, value)
        done.append((node, value))
    edge.append((node, value))
    return done
