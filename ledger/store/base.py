"""The log store interface and the logic every implementation shares.

A store keeps, per log: a head (origin, checkpoint verification key, size), the entries
``(seq, bytes, leaf hash)``, the hash of every *complete* subtree of level >= 1 (see
:mod:`ledger.subtree`; level 0 is the entry's leaf hash) and one signed checkpoint per
append transaction. Nothing stored is ever changed or removed.

Reads of roots and proofs plan the O(log n) nodes they need with :mod:`ledger.subtree`
and fetch them in one read (:meth:`LogStore._fetch_nodes`); nothing on the hot path
rehashes the log.

Checkpoints are opaque to the store: it takes a ``CheckpointSigner`` ``(size, root) ->
note`` per append and a ``NoteVerifier`` ``(note, vkey) -> (size, root)`` when opened
(raising any :class:`~ledger.errors.LedgerError` for a bad note). Before a log is
served for the first time the store runs :meth:`LogStore.check_log`, which is
O(log n): the root recomputed from the stored nodes at the latest checkpoint's size
must equal the signed root. Recomputing every entry and node is O(n) and is the job of
the ``verify`` command, through :meth:`iter_leaf_mismatches` and
:meth:`iter_node_mismatches`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .. import merkle, subtree
from ..entry import ORIGIN_PREFIX, Entry, entry_position, origin_for
from ..errors import EntryError, IntegrityError, LedgerError, ProofError, StoreError

CheckpointSigner = Callable[[int, bytes], str]
"""Signs the checkpoint of ``(size, root)`` for the log being appended; returns the note."""

NoteVerifier = Callable[[str, str], tuple[int, bytes]]
"""Verifies ``note`` with ``vkey``; returns its ``(size, root)``; raises LedgerError."""

DEFAULT_CHUNK = 1000
"""Rows per read when streaming a log."""


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: its tree size, root hash and signed note text."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class LogInfo:
    """A log's head: the size and root of its latest signed checkpoint."""

    origin: str
    vkey: str
    size: int
    root: bytes
    checkpoint: StoredCheckpoint | None


@dataclass(frozen=True)
class LogRef:
    """The immutable part of a log's head; ``key`` is the implementation's handle."""

    key: int
    origin: str
    vkey: str


def check_origin(origin: str) -> str:
    """Refuse (StoreError) an origin that is not ``kakawari/<region-id>``."""
    if not isinstance(origin, str) or not origin.startswith(ORIGIN_PREFIX):
        raise StoreError(f"log origin must be {ORIGIN_PREFIX}<region-id>, got {origin!r:.80}")
    try:
        origin_for(origin[len(ORIGIN_PREFIX) :])
    except EntryError as exc:
        raise StoreError(f"log origin {origin!r}: {exc}") from exc
    return origin


class TreeWriter:
    """Checks entries for one append transaction and computes their tree nodes."""

    def __init__(self, origin: str, size: int, edge: list[tuple[subtree.Node, bytes]]) -> None:
        self.origin, self.size, self.edge = origin, size, edge
        self.start = size
        self.nodes: list[tuple[subtree.Node, bytes]] = []

    def add(self, data: bytes) -> tuple[int, bytes]:
        """Accept entry ``data`` as the next one; returns ``(seq, leaf_hash)``."""
        try:
            origin, seq = entry_position(data)
        except EntryError as exc:
            raise StoreError(f"log {self.origin}: refused entry {self.size}: {exc}") from exc
        if origin != self.origin:
            raise StoreError(f"log {self.origin}: refused an entry of origin {origin!r:.80}")
        if seq != self.size:
            raise StoreError(
                f"log {self.origin}: refused entry with seq {seq}; next is {self.size}"
            )
        leaf = merkle.leaf_hash(bytes(data))
        self.nodes.extend(subtree.append_leaf(self.edge, self.size, leaf))
        self.size += 1
        return seq, leaf

    def root(self) -> bytes:
        return subtree.root_from(self.size, dict(self.edge))

    def sign(self, sign: CheckpointSigner, verify: NoteVerifier, vkey: str) -> StoredCheckpoint:
        """The signed checkpoint of the new size, checked with the log's own key."""
        root = self.root()
        note = sign(self.size, root)
        try:
            signed = verify(note, vkey)
        except LedgerError as exc:
            raise StoreError(
                f"log {self.origin}: the new checkpoint does not verify: {exc}"
            ) from exc
        if signed != (self.size, root):
            raise StoreError(f"log {self.origin}: the checkpoint signer signed another tree")
        return StoredCheckpoint(self.size, root, note)


_T = TypeVar("_T")


def _plan(what: Callable[..., _T], *args: int) -> _T:
    """Run a :mod:`ledger.subtree` function; a range it refuses is a StoreError."""
    try:
        return what(*args)
    except ProofError as exc:
        raise StoreError(str(exc)) from exc


class AppendTx(Protocol):
    """One append transaction on one log, holding that log's append lock."""

    origin: str
    checkpoint: StoredCheckpoint | None
    """After a successful exit: the checkpoint signed for it (None if nothing appended)."""

    @property
    def size(self) -> int:
        """The seq the next appended entry must carry."""

    def append(self, data: bytes) -> tuple[int, bytes]:
        """Add entry ``data`` (its origin and seq must be this log's and ``size``)."""


class LogStore(ABC):
    """The log store: a few abstract primitives, and on them every read, proof and check.

    Public operations raise :class:`StoreError` for expected failures (no such log,
    a range beyond the log, the database refusing a change) and :class:`IntegrityError`
    when stored data contradicts its hashes or signed checkpoint.
    """

    def __init__(self, verify_note: NoteVerifier) -> None:
        self._verify_note = verify_note
        self._refs: dict[str, LogRef] = {}
        self._refused: dict[str, IntegrityError] = {}
        self._guard = threading.Lock()

    # -- writing -------------------------------------------------------------------------

    @abstractmethod
    def create_log(self, origin: str, vkey: str) -> None:
        """Create an empty log whose checkpoints ``vkey`` verifies; StoreError if it exists."""

    @abstractmethod
    def logs(self) -> list[str]:
        """The origins of all logs, sorted."""

    @abstractmethod
    def appending(self, origin: str, sign: CheckpointSigner) -> AbstractContextManager[AppendTx]:
        """``with store.appending(origin, sign) as tx:`` appends atomically.

        Inside, the log's append lock is held (across processes for SQL stores),
        ``tx.size`` is the next seq and ``tx.append(data)`` adds one entry with its leaf
        and the subtree nodes it completes. On a clean exit, if anything was appended,
        ``sign(size, root)`` is called and the signed checkpoint (checked with the log's
        vkey) is stored, all in one commit. Any exception rolls everything back.
        """

    def close(self) -> None:
        """Release resources (connections); the store is unusable afterwards."""
        with self._guard:
            self._refs.clear()

    # -- primitives ---------------------------------------------------------------------

    @abstractmethod
    def _lookup(self, origin: str) -> LogRef | None: ...

    @abstractmethod
    def _size(self, ref: LogRef) -> int: ...

    @abstractmethod
    def _extent(self, ref: LogRef) -> int:
        """One past the highest stored seq (0 if none)."""

    @abstractmethod
    def _fetch_nodes(self, ref: LogRef, nodes: list[subtree.Node]) -> dict[subtree.Node, bytes]:
        """The stored hashes of ``nodes`` that exist, in ONE read."""

    @abstractmethod
    def _entry_rows(self, ref: LogRef, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        """``(seq, data, leaf_hash)`` for ``start <= seq < end``, in order."""

    @abstractmethod
    def _level_rows(self, ref: LogRef, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        """``(idx, hash)`` of stored nodes of ``level`` >= 1, ``start <= idx < end``."""

    @abstractmethod
    def _checkpoint(self, ref: LogRef, size: int | None) -> StoredCheckpoint | None:
        """The checkpoint at ``size``, or the latest one when ``size`` is None."""

    @abstractmethod
    def _checkpoint_sizes(self, ref: LogRef, start: int, end: int) -> list[int]:
        """The sizes of the stored checkpoints in ``[start, end)``, ascending."""

    # -- logs and checks ----------------------------------------------------------------

    def _ref(self, origin: str) -> LogRef:
        """The log, checked once per store object; refused logs raise their error."""
        with self._guard:
            refused = self._refused.get(origin)
            ref = self._refs.get(origin)
        if refused is not None:
            raise IntegrityError(str(refused), refused.seq) from refused
        if ref is None:
            self.check_log(origin)
            ref = self._refs[origin]
        return ref

    def check_log(self, origin: str) -> None:
        """Compare the stored tree with the log's latest signed checkpoint, in O(log n).

        Raises :class:`IntegrityError` (and refuses the log until a later check passes)
        when the checkpoint's signature, its size or its root does not match the stored
        head and subtree hashes; :class:`StoreError` if there is no such log.
        """
        ref = self._lookup(check_origin(origin))
        if ref is None:
            raise StoreError(f"no log {origin!r}")
        try:
            self._check(ref)
        except IntegrityError as exc:
            with self._guard:
                self._refused[origin] = exc
                self._refs.pop(origin, None)
            raise
        with self._guard:
            self._refused.pop(origin, None)
            self._refs[origin] = ref

    def _snapshot(self) -> AbstractContextManager[None]:
        """Make this thread's reads inside the block see one consistent state."""
        return nullcontext()

    def _check(self, ref: LogRef) -> None:
        with self._snapshot():
            self._check_snapshot(ref)

    def _check_snapshot(self, ref: LogRef) -> None:
        size, extent = self._size(ref), self._extent(ref)
        if extent != size:
            raise IntegrityError(f"log {ref.origin}: head says {size} entries, {extent} stored")
        cp = self._checkpoint(ref, None)
        if cp is None:
            if size:
                raise IntegrityError(f"log {ref.origin}: {size} entries and no checkpoint")
            return
        try:
            signed = self._verify_note(cp.note, ref.vkey)
        except LedgerError as exc:
            msg = f"log {ref.origin}: checkpoint {cp.size} is not valid: {exc}"
            raise IntegrityError(msg) from exc
        if signed != (cp.size, cp.root):
            raise IntegrityError(f"log {ref.origin}: checkpoint {cp.size} differs from its note")
        if cp.size != size:
            raise IntegrityError(f"log {ref.origin}: size {size}, last checkpoint {cp.size}")
        planned = subtree.root_nodes(size)
        nodes = self._fetch_nodes(ref, planned)
        if len(nodes) != len(planned):
            raise IntegrityError(f"log {ref.origin}: tree nodes of size {size} are missing")
        if subtree.root_from(size, nodes) != cp.root:
            raise IntegrityError(
                f"log {ref.origin}: stored tree at size {size} does not match its signed root"
            )

    def refused(self) -> dict[str, IntegrityError]:
        """Logs that failed their check, with the reason."""
        with self._guard:
            return dict(self._refused)

    def log_info(self, origin: str) -> LogInfo:
        ref = self._ref(origin)
        cp = self._checkpoint(ref, None)
        if cp is None:
            return LogInfo(origin, ref.vkey, 0, merkle.root_hash([]), None)
        return LogInfo(origin, ref.vkey, cp.size, cp.root, cp)

    # -- entries ------------------------------------------------------------------------

    def entries(self, origin: str, start: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` entries ``(seq, bytes)`` from ``start`` on, in order."""
        if start < 0 or limit < 0:
            raise StoreError("start and limit must be non-negative")
        rows = self._entry_rows(self._ref(origin), start, start + limit)
        return [(seq, data) for seq, data, _ in rows]

    def iter_entries(
        self, origin: str, start: int = 0, end: int | None = None, chunk: int = DEFAULT_CHUNK
    ) -> Iterator[tuple[int, bytes]]:
        """Stream entries ``[start, end)`` (``end`` defaults to the size now), ``chunk`` a read."""
        for seq, data, _ in self._iter_rows(origin, start, end, chunk):
            yield seq, data

    def iter_entry_rows(
        self, origin: str, start: int = 0, end: int | None = None, chunk: int = DEFAULT_CHUNK
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """Like :meth:`iter_entries`, with each entry's stored leaf hash: ``(seq, data, leaf)``."""
        return self._iter_rows(origin, start, end, chunk)

    def _iter_rows(
        self, origin: str, start: int, end: int | None, chunk: int
    ) -> Iterator[tuple[int, bytes, bytes]]:
        ref = self._ref(origin)
        stop = self._size(ref) if end is None else end
        while start < stop:
            rows = self._entry_rows(ref, start, min(stop, start + chunk))
            if not rows:
                return
            yield from rows
            start = rows[-1][0] + 1

    def leaf_hash(self, origin: str, seq: int) -> bytes:
        if seq < 0:
            raise StoreError(f"seq {seq} is negative")
        return self._nodes(self._ref(origin), [(0, seq)], seq + 1)[(0, seq)]

    # -- tree ---------------------------------------------------------------------------

    def _nodes(
        self, ref: LogRef, planned: list[subtree.Node], size: int
    ) -> dict[subtree.Node, bytes]:
        """Fetch ``planned`` (one read); size beyond the log -> StoreError."""
        got = self._fetch_nodes(ref, planned) if planned else {}
        if len(got) == len(planned) and (planned or size <= 0):
            return got
        current = self._size(ref)
        if size > current:
            raise StoreError(f"log {ref.origin} has {current} entries, not {size}")
        missing = [node for node in planned if node not in got]
        if missing:
            raise IntegrityError(f"log {ref.origin}: stored tree node {missing[0]} is missing")
        return got

    def root(self, origin: str, size: int | None = None) -> bytes:
        """The RFC 9162 root of the first ``size`` entries (default: all)."""
        ref = self._ref(origin)
        size = self._size(ref) if size is None else size
        planned = _plan(subtree.root_nodes, size)
        return subtree.root_from(size, self._nodes(ref, planned, size))

    def inclusion_proof(self, origin: str, index: int, size: int) -> list[bytes]:
        ref = self._ref(origin)
        planned = _plan(subtree.inclusion_nodes, index, size)
        return subtree.inclusion_from(index, size, self._nodes(ref, planned, size))

    def consistency_proof(self, origin: str, first: int, second: int) -> list[bytes]:
        ref = self._ref(origin)
        planned = _plan(subtree.consistency_nodes, first, second)
        return subtree.consistency_from(first, second, self._nodes(ref, planned, second))

    def node_hashes(self, origin: str, level: int, start: int, end: int, size: int) -> list[bytes]:
        """The hashes of nodes ``(level, start) .. (level, end - 1)`` (level 0: leaves), in
        ONE read; StoreError unless all of them are complete in the tree of ``size``."""
        if not 0 <= start < end or end << level > size:
            raise StoreError(f"nodes {start}..{end - 1} of level {level} are not all "
                             f"complete in a tree of {size}")
        ref = self._ref(origin)
        planned = [(level, i) for i in range(start, end)]
        got = self._nodes(ref, planned, size)
        return [got[node] for node in planned]

    def checkpoint_sizes(self, origin: str, start: int = 0, end: int | None = None) -> list[int]:
        """The sizes of the log's signed checkpoints in ``[start, end)``, ascending."""
        ref = self._ref(origin)
        return self._checkpoint_sizes(ref, start, self._size(ref) + 1 if end is None else end)

    def latest_checkpoint(self, origin: str) -> StoredCheckpoint | None:
        return self._checkpoint(self._ref(origin), None)

    def checkpoint_at(self, origin: str, size: int) -> StoredCheckpoint | None:
        return self._checkpoint(self._ref(origin), size)

    # -- full verification (O(n), streaming) ---------------------------------------------

    def iter_leaf_mismatches(
        self, origin: str, chunk: int = DEFAULT_CHUNK
    ) -> Iterator[IntegrityError]:
        """Every entry whose bytes are not a valid entry at its place, or whose stored
        leaf hash is not the hash of its bytes; each error names the seq."""
        expected = 0
        for seq, data, leaf in self._iter_rows(origin, 0, None, chunk):
            if seq != expected:
                yield IntegrityError(f"log {origin}: entry {expected} is missing", expected)
            expected = seq + 1
            try:
                entry = Entry.from_bytes(data)
            except EntryError as exc:
                yield IntegrityError(f"log {origin}: entry {seq} is malformed: {exc}", seq)
                continue
            if (entry.origin, entry.seq) != (origin, seq):
                yield IntegrityError(f"log {origin}: entry {seq} says it is another entry", seq)
            if merkle.leaf_hash(data) != leaf:
                yield IntegrityError(f"log {origin}: entry {seq} does not match its leaf", seq)

    def iter_node_mismatches(
        self, origin: str, chunk: int = DEFAULT_CHUNK
    ) -> Iterator[IntegrityError]:
        """Every stored subtree node that is missing or is not the hash of its children."""
        ref = self._ref(origin)
        size = self._size(ref)
        for level in range(1, max(size, 1).bit_length()):
            count = size >> level
            for start in range(0, count, chunk):
                end = min(count, start + chunk)
                parents = dict(self._level_rows(ref, level, start, end))
                kids = dict(self._children(ref, level - 1, 2 * start, 2 * end))
                for idx in range(start, end):
                    left, right = kids.get(2 * idx), kids.get(2 * idx + 1)
                    got = parents.get(idx)
                    if left is None or right is None or got != merkle.node_hash(left, right):
                        first, last = idx << level, ((idx + 1) << level) - 1
                        node = f"tree node (level {level}, index {idx}; entries {first}-{last})"
                        yield IntegrityError(
                            f"log {origin}: {node} does not match its children", first
                        )

    def _children(self, ref: LogRef, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        if level:
            return self._level_rows(ref, level, start, end)
        return [(seq, leaf) for seq, _, leaf in self._entry_rows(ref, start, end)]
