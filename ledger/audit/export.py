"""Streaming a stored log into an audit bundle.

:class:`LogExport` writes the members every bundle has — ``entries.jsonl`` (each
entry's stored bytes and LF), ``checkpoint.note`` and ``anchors.json`` — for the log
as of its latest signed checkpoint when the export starts: entries appended meanwhile
are left for the next export, so the bundle is one consistent tree. Entries are read
``chunk`` at a time from the store and written straight out, so memory does not grow
with the log; :meth:`LogExport.run` yields after every chunk, which lets a caller
stream the archive out (HTTP) as it is made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..entry import Entry
from ..errors import StoreError
from ..store import StoredCheckpoint
from .bundle import ANCHORS, CHECKPOINT, ENTRIES, BundleWriter, Manifest
from .verifier import ANCHOR_FIELDS

__all__ = ["LogExport", "LogSource"]

# In a canonical entry the top-level type member is written exactly so (a string value
# holding it would have its quotes escaped): a cheap filter before parsing.
_ANCHOR_MARK = b'"type":"Anchor"'

Observe = Callable[[int, bytes], None]
"""Called with ``(seq, entry bytes)`` for each entry as it is written."""


class LogSource(Protocol):
    """Where an export reads a log: a :class:`~ledger.store.LogStore`, or a log read
    from its tiles and checked on the way (``kakawari audit fetch``)."""

    def latest_checkpoint(self, origin: str) -> StoredCheckpoint | None: ...

    def checkpoint_at(self, origin: str, size: int) -> StoredCheckpoint | None: ...

    def iter_entries(self, origin: str, start: int = 0, end: int | None = None,
                     chunk: int = ...) -> Iterator[tuple[int, bytes]]: ...


class LogExport:
    """One export of ``origin`` from ``store`` into ``writer``: of the log as of its
    latest signed checkpoint, or as of the one at ``size`` (every append transaction
    signed one)."""

    def __init__(self, store: LogSource, origin: str, writer: BundleWriter, *,
                 observe: Observe | None = None, chunk: int = 1000,
                 size: int | None = None) -> None:
        self.store, self.origin, self.writer = store, origin, writer
        self.observe, self.chunk = observe, chunk
        if size is None:
            checkpoint = store.latest_checkpoint(origin)
        else:
            checkpoint = store.checkpoint_at(origin, size)
        if checkpoint is None:
            at = "" if size is None else f" at size {size}"
            raise StoreError(f"log {origin} has no signed checkpoint{at} to export")
        self.checkpoint: StoredCheckpoint = checkpoint
        self.anchors: list[dict[str, Any]] = []
        self.done = 0

    @property
    def size(self) -> int:
        return self.checkpoint.size

    def run(self) -> Iterator[int]:
        """Write the members; yields the number of entries written after each chunk."""
        with self.writer.open(ENTRIES) as out:
            for seq, data in self.store.iter_entries(self.origin, 0, self.size, self.chunk):
                out.write(data)
                out.write(b"\n")
                if _ANCHOR_MARK in data:
                    self._anchor(seq, data)
                if self.observe is not None:
                    self.observe(seq, data)
                self.done = seq + 1
                if self.done % self.chunk == 0:
                    yield self.done
        if self.done != self.size:
            raise StoreError(f"log {self.origin}: read {self.done} entries, expected {self.size}")
        self.writer.write(CHECKPOINT, self.checkpoint.note.encode("utf-8"))
        anchors = json.dumps(self.anchors, indent=1, ensure_ascii=False) + "\n"
        self.writer.write(ANCHORS, anchors.encode("utf-8"))
        yield self.done

    def _anchor(self, seq: int, data: bytes) -> None:
        entry = Entry.from_bytes(data)
        if entry.type == "Anchor":
            self.anchors.append({"seq": seq, **{k: entry.message[k] for k in ANCHOR_FIELDS}})

    def manifest(self, exported_at: int, generator: str) -> Manifest:
        """The manifest of the bundle written so far (call after :meth:`run`)."""
        members = (*self.writer.members, "manifest.json")
        return Manifest(self.origin, self.size, self.checkpoint.root, exported_at, generator,
                        members)
