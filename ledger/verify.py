"""Verifying a log entry by entry, as the ``verify`` command and the auditor do.

:class:`LogVerifier` takes a region's entries in order and checks for each one that
its bytes are canonical and well formed, that it sits at the expected sequence
number of the expected log, that its message is a known EIP-712 type in canonical
form naming this region, and that the recovered signer is the one the entry and the
message name (for service-written types: the region's service key fixed by the first
entry). It folds leaf hashes into the RFC 9162 tree as it goes, so the root of any
prefix can be compared with a signed checkpoint without keeping the log in memory.

The first entry of every log is a ``Region`` message signed by the service key; its
``chainId`` fixes the EIP-712 domain for every later signature of the log.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from . import eip712, merkle
from .entry import Entry
from .errors import EntryError, LedgerError, SignatureError, TypedDataError, VerificationError
from .messages import MESSAGE_TYPES

GENESIS_TYPE = "Region"
#: Types only the region's own service key may write.
SERVICE_TYPES = frozenset({"Region", "Recognition", "Anchor", "Custody", "Badge", "Decision",
                           "RecordSummary"})


@dataclass(frozen=True)
class RegionFacts:
    """What the first entry of a log fixes for all later ones."""

    region: str
    name: str
    chain_id: int
    service: str
    admin: str
    checkpoint_key: str

    @property
    def domain(self) -> eip712.Domain:
        return _domain(self.chain_id)


@functools.lru_cache(maxsize=64)
def _domain(chain_id: int) -> eip712.Domain:
    return eip712.Domain(chain_id=chain_id)


class _Frontier:
    """The right edge of an RFC 9162 tree: the roots of its maximal complete subtrees."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (number of leaves, hash), left to right
        self.size = 0

    def push(self, leaf: bytes) -> None:
        width, node = 1, leaf
        while self._stack and self._stack[-1][0] == width:
            left_width, left = self._stack.pop()
            width, node = width + left_width, merkle.node_hash(left, node)
        self._stack.append((width, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return merkle.root_hash([])
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = merkle.node_hash(left, node)
        return node


class LogVerifier:
    """Feed entries in order with :meth:`add`; raises :class:`VerificationError`
    naming the first entry that is wrong."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.facts: RegionFacts | None = None
        self._tree = _Frontier()

    @property
    def size(self) -> int:
        return self._tree.size

    def root(self) -> bytes:
        return self._tree.root()

    def add(self, data: bytes, stored_leaf_hash: bytes | None = None) -> Entry:
        """Verify the next entry's bytes; returns the parsed entry."""
        seq = self._tree.size
        leaf = self.leaf_of(data, stored_leaf_hash)
        entry, facts = check_entry_bytes(self.origin, seq, data, self.facts)
        if seq == 0:
            self.facts = facts
        self._tree.push(leaf)
        return entry

    def leaf_of(self, data: bytes, stored_leaf_hash: bytes | None) -> bytes:
        """The next entry's leaf hash, checked against the stored one when given."""
        leaf = merkle.leaf_hash(data)
        if stored_leaf_hash is not None and stored_leaf_hash != leaf:
            raise VerificationError(
                "stored leaf hash does not match the entry bytes", self._tree.size
            )
        return leaf

    def push_checked(self, leaf: bytes) -> None:
        """Add the leaf of an entry whose checks ran elsewhere (see
        :func:`check_entry_bytes`; used to verify in several processes)."""
        self._tree.push(leaf)


def check_entry_bytes(
    origin: str, seq: int, data: bytes, facts: RegionFacts | None
) -> tuple[Entry, RegionFacts]:
    """Parse entry ``data`` expected at ``seq`` of ``origin`` and :func:`check_entry`
    it. Depends on nothing but ``facts`` (None for entry 0), so entries can be checked
    in any order or process. Raises :class:`VerificationError` naming ``seq``."""
    try:
        entry = Entry.from_bytes(data)
    except EntryError as exc:
        raise VerificationError(f"malformed entry: {exc}", seq) from None
    if entry.origin != origin:
        raise VerificationError(f"belongs to log {entry.origin!r}, not {origin!r}", seq)
    if entry.seq != seq:
        raise VerificationError(f"says it is entry {entry.seq}", seq)
    return entry, check_entry(entry, facts)


def check_entry(entry: Entry, facts: RegionFacts | None) -> RegionFacts:
    """Check one parsed entry on its own: a known EIP-712 type in canonical form naming
    the entry's region, the first entry (and only it) a ``Region`` entry, the signer the
    one the message names (for service-written types the region's service key) and the
    signature by that signer under the region's signing domain.

    ``facts`` are what entry 0 fixed; pass ``None`` for entry 0 itself. Returns the
    facts (for entry 0: the ones it fixes). Raises :class:`VerificationError` naming
    the entry's seq. The sequence number and origin are the caller's to check.
    """
    seq = entry.seq
    mtype = MESSAGE_TYPES.get(entry.type)
    if mtype is None:
        raise VerificationError(f"unknown message type {entry.type!r}", seq)
    if (seq == 0) != (entry.type == GENESIS_TYPE):
        raise VerificationError("the first entry, and only it, must be a Region entry", seq)
    try:  # hashing checks the message is canonical; the domain comes after
        struct = eip712.struct_hash(mtype, entry.message)
    except TypedDataError as exc:
        reason = f"message is not a canonical {entry.type}: {exc}"
        raise VerificationError(reason, seq) from None
    if entry.message["region"] != entry.region:
        raise VerificationError(f"message names region {entry.message['region']!r}", seq)
    if entry.message[mtype.signer_field] != entry.signer:
        raise VerificationError(f"signer differs from the message's {mtype.signer_field}", seq)
    if seq == 0:
        facts = _facts_of(entry)
    elif facts is None:
        raise VerificationError("checked without the facts of the log's first entry", seq)
    if entry.type in SERVICE_TYPES and entry.signer != facts.service:
        raise VerificationError(f"{entry.type} entries must be signed by the service key", seq)
    try:
        digest = eip712.digest_of(facts.domain, struct)
        recovered = eip712.recover_signer(digest, entry.signature)
    except (SignatureError, TypedDataError) as exc:
        raise VerificationError(f"bad signature: {exc}", seq) from None
    if recovered != entry.signer:
        raise VerificationError(f"signature is by {recovered}, not by {entry.signer}", seq)
    object.__setattr__(entry, "digest", digest)  # a cache field (see Entry.digest)
    return facts


def _facts_of(entry: Entry) -> RegionFacts:
    m = entry.message
    return RegionFacts(
        region=m["region"],
        name=m["name"],
        chain_id=m["chainId"],
        service=m["service"],
        admin=m["admin"],
        checkpoint_key=m["checkpointKey"],
    )


def verify_entries(origin: str, entries: list[bytes]) -> LogVerifier:
    """Verify a whole (small) log held in memory; for large logs stream into
    :class:`LogVerifier` instead."""
    verifier = LogVerifier(origin)
    for data in entries:
        verifier.add(data)
    return verifier


__all__ = [
    "GENESIS_TYPE",
    "SERVICE_TYPES",
    "LedgerError",
    "LogVerifier",
    "RegionFacts",
    "check_entry",
    "check_entry_bytes",
    "verify_entries",
]
