"""``kakawari export`` and ``GET /v1/regions/{region}/export``: a region's audit bundle.

:func:`export_region` yields the bundle (a ZIP, ``docs/audit-bundle.md``) chunk by
chunk while it reads the log, so a file and an HTTP response are written the same
way and memory does not grow with the log: entries stream from the store into the
archive and, in the same pass, through a lenient :class:`~.replay.Replay` that the
private details and the spreadsheet views are then written from. The bundle is the
log as of its latest signed checkpoint when the export starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from ledger.audit.bundle import BundleWriter, ChunkSink
from ledger.audit.export import LogExport, LogSource
from ledger.entry import origin_for
from ledger.store import StoredCheckpoint

from ..domain.details import DetailsStore
from .replay import Replay
from .views import DETAILS, write_details, write_views

__all__ = ["README", "export_region", "generator"]

Progress = Callable[[int, int], None]

README = """\
Kakawari audit bundle (format version 1) / 監査用エクスポート（形式バージョン1）

This archive is a region's complete contribution log as of the signed checkpoint in
checkpoint.note. Verify it offline, without trusting whoever exported it:

    kakawari audit verify THIS_FILE.zip [--previous OLDER.zip] [--rpc URL]

views/*.csv open in a spreadsheet (UTF-8 with BOM); they are recomputed from the
entries by the verifier, which fails if they differ. The format is described in
docs/audit-bundle.md of the Kakawari source.

この ZIP は地域の活動記録（ログ）の全体です。上のコマンドで、出力した人を信頼せずに
手元で検証できます。views/ の CSV は表計算ソフトで開けます。
"""


def generator() -> str:
    try:
        return f"kakawari {metadata.version('kakawari')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "kakawari"


class _Cosigned:
    """A log source whose checkpoints carry the cosignatures stored for their size."""

    def __init__(self, source: LogSource, lines: Callable[[int], list[str]]) -> None:
        self.source, self.lines = source, lines

    def _with(self, cp: StoredCheckpoint | None) -> StoredCheckpoint | None:
        if cp is None:
            return None
        return StoredCheckpoint(cp.size, cp.root, cp.note + "".join(self.lines(cp.size)))

    def latest_checkpoint(self, origin: str) -> StoredCheckpoint | None:
        return self._with(self.source.latest_checkpoint(origin))

    def checkpoint_at(self, origin: str, size: int) -> StoredCheckpoint | None:
        return self._with(self.source.checkpoint_at(origin, size))

    def iter_entries(self, origin: str, start: int = 0, end: int | None = None,
                     chunk: int = 1000) -> Iterator[tuple[int, bytes]]:
        return self.source.iter_entries(origin, start, end, chunk)


def export_region(store: LogSource, region: str, *, now: int,
                  details: DetailsStore | None = None, progress: Progress | None = None,
                  workdir: Path | None = None, problems: list[str] | None = None,
                  size: int | None = None,
                  cosignatures: Callable[[int], list[str]] | None = None) -> Iterator[bytes]:
    """The bundle of ``region``, in chunks. ``details``: include the private details
    this store still holds (``None``: leave them out; the views then say so). ``now`` is
    recorded as the export time (the views' decayed points are as of it). ``size``: the
    log as of its signed checkpoint at that size, instead of the latest. An entry the
    recognition rules can't apply (a log the verifier will refuse) is exported all the
    same; ``problems`` then gets the first such entry: the views stop reflecting it.
    ``cosignatures(size)``: witness cosignature lines to add to the checkpoint."""
    if cosignatures is not None:
        store = _Cosigned(store, cosignatures)
    sink = ChunkSink()
    writer = BundleWriter(sink)
    with Replay(region, strict=False, directory=workdir) as replay:
        job = LogExport(store, origin_for(region), writer, observe=replay.add_bytes,
                        size=size)
        for done in job.run():
            if progress is not None:
                progress(done, job.size)
            yield sink.take()
        if details is not None:
            with writer.open(DETAILS) as out:
                for _ in write_details(replay, details, out):
                    yield sink.take()
        for _ in write_views(replay, writer, now):
            yield sink.take()
        if replay.problem is not None and problems is not None:
            problems.append(replay.problem)
        writer.write("README.txt", README.encode("utf-8"))
        writer.finish(job.manifest(now, generator()))
        yield sink.take()
