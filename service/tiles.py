"""A region's log as C2SP ``tlog-tiles`` resources, served and published.

:func:`tile_data` reads one tile or entry bundle from the store (one query of the
stored subtree hashes or entries); the HTTP routes (``service/api/tile_routes.py``)
and :func:`publish` (``kakawari log publish``) both use it, so the static files and the
live routes hold the same bytes. The hashing and path rules are :mod:`ledger.tiles`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger import tiles
from ledger.checkpoint import parse_checkpoint
from ledger.errors import LedgerError, StoreError
from ledger.store import LogStore
from ledger.tiles import WIDTH, Tile

__all__ = [
    "PublishError", "Published", "publish", "published_size", "served_checkpoint", "tile_data",
    "tile_in_tree",
]


def served_checkpoint(store: LogStore, origin: str,
                      cosignatures: Callable[[int], list[str]] | None = None) -> str | None:
    """The checkpoint as ``/logs/<region>/checkpoint`` serves it: the latest signed one
    and the cosignature lines ``cosignatures(size)`` stored for it (None: empty log)."""
    cp = store.latest_checkpoint(origin)
    if cp is None:
        return None
    return cp.note + "".join(cosignatures(cp.size) if cosignatures else [])


def tile_in_tree(tile: Tile, size: int) -> bool:
    """Whether the tree of ``size`` has ``tile``: its width fits what the level has there
    (a partial tile of a full one's prefix included, as the spec lets logs keep them)."""
    return tile.width <= tiles.tile_width(tile.level or 0, tile.index, size)


def tile_data(store: LogStore, origin: str, tile: Tile, size: int) -> bytes:
    """The bytes of ``tile`` in the tree of ``size`` (StoreError if it has no such tile)."""
    if not tile_in_tree(tile, size):
        raise StoreError(f"the tree of {size} entries has no {tile.path()}")
    first = tile.index * WIDTH
    if tile.level is None:
        rows = store.entries(origin, first, tile.width)
        if len(rows) != tile.width:
            raise StoreError(f"log {origin}: entries {first}.. are missing")
        return tiles.encode_bundle([data for _, data in rows])
    hashes = store.node_hashes(origin, tile.node_level, first, first + tile.width, size)
    return tiles.encode_hashes(hashes)


class PublishError(Exception):
    """The output directory holds another log, or a newer tree than the store."""


@dataclass(frozen=True)
class Published:
    origin: str
    old_size: int
    size: int
    written: int
    """Tiles and entry bundles written this time."""


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def published_size(out: Path, origin: str) -> int:
    """The size of the checkpoint already published in ``out`` (0 if none)."""
    path = out / "checkpoint"
    if not path.exists():
        return 0
    try:
        text = path.read_text("utf-8")
        cp = parse_checkpoint(text[: text.index("\n\n") + 1])
    except (LedgerError, ValueError, UnicodeDecodeError) as exc:
        raise PublishError(f"{path} is not a checkpoint: {exc}") from None
    if cp.origin != origin:
        raise PublishError(f"{out} holds the log {cp.origin}, not {origin}")
    return cp.size


def publish(store: LogStore, origin: str, out: Path, checkpoint_note: str,
            progress: Callable[[int, int], None] | None = None) -> Published:
    """Write the log up to ``checkpoint_note`` (its latest checkpoint, as served) into
    ``out`` as static files, incrementally.

    Only resources the previous publication did not have are written: the full tiles
    completed since, the partial tiles of every checkpointed size since that are still
    partial now (a partial tile whose full tile exists may be left out, tlog-tiles
    "Partial Tiles"), and entry bundles alike; the checkpoint last, so a reader never
    sees a checkpoint whose tiles are not there yet. Files are replaced atomically.
    """
    text = checkpoint_note[: checkpoint_note.index("\n\n") + 1]
    cp = parse_checkpoint(text)
    if cp.origin != origin:
        raise PublishError(f"the checkpoint is of {cp.origin}, not {origin}")
    old = published_size(out, origin)
    if old > cp.size:
        raise PublishError(f"{out} has a tree of {old} entries, newer than the log's "
                           f"{cp.size}: refusing to move it backwards")
    wanted: dict[Tile, None] = {}
    for tile in tiles.new_tiles(old, cp.size):
        wanted[tile] = None
    # Older checkpointed sizes whose partial tiles are still the rightmost ones now.
    current = {t.level: t.index for t in tiles.partial_tiles(cp.size)}
    for size in store.checkpoint_sizes(origin, old + 1, cp.size):
        for tile in tiles.partial_tiles(size):
            if current.get(tile.level) == tile.index:
                wanted[tile] = None
    todo: list[Tile] = []
    for tile in wanted:
        todo.append(tile)
        if tile.level == 0:
            todo.append(Tile(None, tile.index, tile.width))
    written = 0
    for i, tile in enumerate(todo):
        path = out / tile.path()
        if not path.exists():  # tiles are immutable: one already there is this one
            _write_atomic(path, tile_data(store, origin, tile, cp.size))
            written += 1
        if progress is not None:
            progress(i + 1, len(todo))
    try:
        _write_atomic(out / "checkpoint", checkpoint_note.encode("utf-8"))
    except OSError as exc:  # pragma: no cover - disk full and the like
        raise PublishError(f"could not write {out / 'checkpoint'}: {exc}") from exc
    return Published(origin, old, cp.size, written)

