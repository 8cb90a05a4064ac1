"""An in-memory :class:`LogStore`, for unit tests of code that uses a store.

Same contract as the SQL store (same checks, same errors, same proofs), one process
only; appends to a log are serialised by a per-log lock and staged until commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .. import subtree
from ..errors import StoreError
from .base import (
    CheckpointSigner,
    LogRef,
    LogStore,
    NoteVerifier,
    StoredCheckpoint,
    TreeWriter,
    check_origin,
)


@dataclass
class _Log:
    ref: LogRef
    entries: list[tuple[bytes, bytes]] = field(default_factory=list)  # (data, leaf hash)
    nodes: dict[subtree.Node, bytes] = field(default_factory=dict)  # level >= 1
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)
    latest: StoredCheckpoint | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class MemoryAppendTx:
    """An append transaction of :class:`MemoryStore`; see :meth:`LogStore.appending`."""

    def __init__(self, log: _Log, writer: TreeWriter) -> None:
        self.origin = log.ref.origin
        self.checkpoint: StoredCheckpoint | None = None
        self._writer = writer
        self._staged: list[tuple[bytes, bytes]] = []

    @property
    def size(self) -> int:
        return self._writer.size

    def append(self, data: bytes) -> tuple[int, bytes]:
        seq, leaf = self._writer.add(data)
        self._staged.append((bytes(data), leaf))
        return seq, leaf


class MemoryStore(LogStore):
    """Logs held in dictionaries; nothing survives the object."""

    def __init__(self, verify_note: NoteVerifier) -> None:
        super().__init__(verify_note)
        self._logs: dict[str, _Log] = {}
        self._commit = threading.RLock()  # commits and snapshots exclude each other

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        with self._commit:
            yield

    def create_log(self, origin: str, vkey: str) -> None:
        check_origin(origin)
        with self._guard:
            if origin in self._logs:
                raise StoreError(f"log {origin!r} already exists")
            self._logs[origin] = _Log(LogRef(len(self._logs) + 1, origin, vkey))

    def logs(self) -> list[str]:
        with self._guard:
            return sorted(self._logs)

    @contextmanager
    def appending(self, origin: str, sign: CheckpointSigner) -> Iterator[MemoryAppendTx]:
        ref = self._ref(origin)
        log = self._logs[ref.origin]
        with log.lock:
            size = len(log.entries)
            edge = [(node, self._hash(log, node)) for node in subtree.root_nodes(size)]
            writer = TreeWriter(origin, size, edge)
            tx = MemoryAppendTx(log, writer)
            yield tx
            if writer.size == size:
                return
            cp = writer.sign(sign, self._verify_note, ref.vkey)
            with self._commit:
                log.entries.extend(tx._staged)
                log.nodes.update(writer.nodes)
                log.checkpoints[cp.size] = log.latest = cp
            tx.checkpoint = cp

    @staticmethod
    def _hash(log: _Log, node: subtree.Node) -> bytes:
        level, idx = node
        return log.entries[idx][1] if level == 0 else log.nodes[node]

    # -- primitives ---------------------------------------------------------------------

    def _log(self, ref: LogRef) -> _Log:
        return self._logs[ref.origin]

    def _lookup(self, origin: str) -> LogRef | None:
        log = self._logs.get(origin)
        return None if log is None else log.ref

    def _size(self, ref: LogRef) -> int:
        return len(self._log(ref).entries)

    def _extent(self, ref: LogRef) -> int:
        return len(self._log(ref).entries)

    def _fetch_nodes(self, ref: LogRef, nodes: list[subtree.Node]) -> dict[subtree.Node, bytes]:
        log = self._log(ref)
        out: dict[subtree.Node, bytes] = {}
        for node in nodes:
            level, idx = node
            if level == 0 and 0 <= idx < len(log.entries):
                out[node] = log.entries[idx][1]
            elif level > 0 and node in log.nodes:
                out[node] = log.nodes[node]
        return out

    def _entry_rows(self, ref: LogRef, start: int, end: int) -> list[tuple[int, bytes, bytes]]:
        entries = self._log(ref).entries
        return [(seq, *entries[seq]) for seq in range(start, min(end, len(entries)))]

    def _level_rows(self, ref: LogRef, level: int, start: int, end: int) -> list[tuple[int, bytes]]:
        nodes = self._log(ref).nodes
        return [(i, nodes[(level, i)]) for i in range(start, end) if (level, i) in nodes]

    def _checkpoint(self, ref: LogRef, size: int | None) -> StoredCheckpoint | None:
        log = self._log(ref)
        return log.latest if size is None else log.checkpoints.get(size)

    def _checkpoint_sizes(self, ref: LogRef, start: int, end: int) -> list[int]:
        return sorted(s for s in self._log(ref).checkpoints if start <= s < end)
