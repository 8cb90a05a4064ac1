"""``kakawari audit fetch``: an audit bundle built from a log's tiles alone.

A :class:`TiledLog` reads ``<prefix>/checkpoint`` and then every entry bundle and tile
of its tree (C2SP ``tlog-tiles``), checking each one with
:class:`ledger.tiles.TileChecker` as it arrives: every leaf hash is its entry's, every
higher tile hashes the tiles below, and the leaves make the checkpoint's root. The
checkpoint's signature is checked with the ``checkpointKey`` of entry 0 (or the key
given, which entry 0 must then name). The entries stream into the same exporter as
``kakawari export`` (:func:`~service.audit.export.export_region`, without private
details: tiles carry only the public log), so ``audit verify`` of the fetched bundle
reports what it reports for ``kakawari export --no-details`` of the same tree.

Any tile that does not check out raises :class:`FetchError` and the partial bundle is
removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ledger.checkpoint import open_checkpoint, parse_checkpoint
from ledger.entry import ORIGIN_PREFIX, Entry
from ledger.errors import LedgerError
from ledger.note import parse_vkey
from ledger.store import StoredCheckpoint
from ledger.tiles import Tile, TileChecker

from .export import export_region

__all__ = ["FetchError", "FetchUnavailable", "TiledLog", "fetch_bundle", "getter_for"]

Getter = Callable[[str], bytes]
"""Reads a resource by its path under the log prefix (``checkpoint``, ``tile/0/000``)."""


class FetchError(Exception):
    """A tile or the checkpoint does not check out (or could not be read at all:
    :class:`FetchUnavailable`)."""


class FetchUnavailable(FetchError):
    """The log could not be read (unreachable, HTTP error, missing file)."""


def getter_for(prefix: str, timeout: float = 30.0) -> tuple[Getter, Callable[[], None]]:
    """A getter for an ``http(s)://`` log prefix or a local directory, and its closer."""
    parts = urlsplit(prefix)
    if parts.scheme in ("http", "https"):
        client = httpx.Client(base_url=prefix.rstrip("/") + "/", timeout=timeout,
                              headers={"Accept-Encoding": "gzip, identity"})

        def get_http(path: str) -> bytes:
            try:
                r = client.get(path)
            except httpx.HTTPError as exc:
                raise FetchUnavailable(f"could not read {prefix}/{path}: {exc}") from None
            if r.status_code != 200:
                raise FetchUnavailable(f"{prefix}/{path}: HTTP {r.status_code}")
            return r.content

        return get_http, client.close
    if parts.scheme not in ("", "file"):
        raise FetchUnavailable(f"a log prefix is http://, https:// or a directory, not {prefix!r}")
    root = Path(parts.path if parts.scheme == "file" else prefix)

    def get_file(path: str) -> bytes:
        try:
            return (root / path).read_bytes()
        except OSError as exc:
            raise FetchUnavailable(f"could not read {root / path}: {exc.strerror}") from None

    return get_file, lambda: None


class TiledLog:
    """A log read from its tiles: the :class:`~ledger.audit.export.LogSource` that
    :func:`export_region` reads, checking every tile against the checkpoint."""

    def __init__(self, get: Getter, vkey: str | None = None) -> None:
        self.get = get
        try:
            self.note = get("checkpoint").decode("utf-8")
            body = self.note[: self.note.rindex("\n\n") + 1]
            self.cp = parse_checkpoint(body)
        except (UnicodeDecodeError, ValueError, LedgerError) as exc:
            raise FetchError(f"the log's checkpoint is malformed: {exc}") from None
        if not self.cp.origin.startswith(ORIGIN_PREFIX):
            raise FetchError(f"{self.cp.origin!r} is not the log of a Kakawari region")
        self.origin = self.cp.origin
        self.region = self.origin[len(ORIGIN_PREFIX):]
        self.vkey = vkey
        if vkey is not None:
            self._check_signature(vkey)
        self.fetched = 0

    def _check_signature(self, vkey: str) -> None:
        try:
            open_checkpoint(self.note, parse_vkey(vkey), self.origin)
        except LedgerError as exc:
            raise FetchError(f"the checkpoint is not signed by the region's key: {exc}") from None

    def _read(self, tile: Tile) -> bytes:
        self.fetched += 1
        return self.get(tile.path())

    # -- LogSource ------------------------------------------------------------------------

    def latest_checkpoint(self, origin: str) -> StoredCheckpoint | None:
        return StoredCheckpoint(self.cp.size, self.cp.root, self.note)

    def checkpoint_at(self, origin: str, size: int) -> StoredCheckpoint | None:
        return self.latest_checkpoint(origin) if size == self.cp.size else None

    def iter_entries(self, origin: str, start: int = 0, end: int | None = None,
                     chunk: int = 0) -> Iterator[tuple[int, bytes]]:
        if start != 0 or end not in (None, self.cp.size):
            raise FetchError("a tiled log is read whole, from its first entry")
        checker = TileChecker(self.cp.size, self.cp.root)
        seq = 0
        try:
            for tile in checker.expected_tiles(0) if self.cp.size else []:
                bundle = self._read(Tile(None, tile.index, tile.width))
                for data in checker.add_entries(tile, bundle, self._read(tile)):
                    if seq == 0:
                        self._genesis(data)
                    yield seq, data
                    seq += 1
            for level in checker.levels()[1:]:
                for tile in checker.expected_tiles(level):
                    checker.add_tile(tile, self._read(tile))
            checker.finish()
        except LedgerError as exc:
            raise FetchError(f"the log does not match its checkpoint: {exc}") from None

    def _genesis(self, data: bytes) -> None:
        """Entry 0 names the checkpoint key: the checkpoint must be signed with it."""
        try:
            key = Entry.from_bytes(data).message["checkpointKey"]
        except (LedgerError, KeyError, TypeError) as exc:
            raise FetchError(f"entry 0 is not a Region entry: {exc}") from None
        if self.vkey is not None and key != self.vkey:
            raise FetchError("entry 0 names another checkpoint key than the one given")
        self._check_signature(str(key))


def fetch_bundle(prefix: str, out: Path, *, now: int, vkey: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> TiledLog:
    """Write the audit bundle of the log at ``prefix`` to ``out``; returns the log read.

    Raises :class:`FetchError` (and leaves no file) if anything does not check out.
    """
    get, close = getter_for(prefix)
    tmp = out.with_name(out.name + ".part")
    try:
        log = TiledLog(get, vkey)
        with tmp.open("wb") as f:
            for chunk in export_region(log, log.region, now=now, details=None,
                                       progress=progress):
                f.write(chunk)
        os.replace(tmp, out)
        return log
    finally:
        close()
        tmp.unlink(missing_ok=True)
