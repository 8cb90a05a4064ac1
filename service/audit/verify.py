"""``kakawari audit verify``: the whole audit of a bundle, offline.

:func:`audit_bundle` runs :func:`ledger.audit.verifier.verify_bundle` (entries,
signatures, authority, tree, checkpoint, older bundle, anchors) with a
:class:`PointsAudit` watching every entry that passed: it replays the entries through
the service's own rules and projection updates (:class:`~.replay.Replay`, strict), so
every point is recomputed from the entries and the policy versions they carry, every
``Recognition`` the service signed is compared with what the rules give, and then the
bundle's private details and spreadsheet views are checked against the replay.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import multiprocessing.process
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ledger.audit.bundle import BundleReader
from ledger.audit.chainview import ClientFor
from ledger.audit.verifier import BundleSummary, Progress, verify_bundle
from ledger.entry import Entry
from ledger.errors import VerificationError
from ledger.parallel import PARALLEL_MIN_ENTRIES, fork_is_safe

from ..domain import tables as t
from .replay import Replay
from .views import CONTRIBUTIONS, DETAILS, VIEWS, check_details, view_rows, write_view

__all__ = ["AuditReport", "PointsAudit", "PointsSummary", "audit_bundle"]


@dataclass
class PointsSummary:
    """What the recomputation found (all of it equal to what the bundle says)."""

    members: int = 0
    points: int = 0
    claims: dict[str, int] = field(default_factory=dict)
    recognitions: int = 0
    decisions: int = 0
    """Decision entries, each equal to the recount of its proposal's votes."""
    policy_version: int = 0
    details: int | None = None
    views: list[str] = field(default_factory=list)
    views_missing: list[str] = field(default_factory=list)


@dataclass
class AuditReport:
    log: BundleSummary
    points: PointsSummary


class PointsAudit:
    """An :class:`~ledger.audit.verifier.EntryObserver` recomputing the points.

    ``threaded``: the replay runs in a thread of its own, fed batches of entries that
    passed the ledger's checks: libsecp256k1 releases the GIL while it recovers a key,
    so when the signatures are checked in this process the replay of one batch overlaps
    the checks of the next. The first fault is still the first: the replay only ever
    sees entries the ledger passed, and :meth:`fault` (asked before a ledger fault is
    reported) says whether it stopped earlier. When worker processes check the
    signatures, this process has nothing to overlap, and the replay runs inline.
    """

    BATCH = 256

    def __init__(self, bundle: BundleReader, workdir: Path | None = None, *,
                 threaded: bool = True) -> None:
        self.bundle = bundle
        self.replay = Replay(bundle.manifest.region, strict=True, directory=workdir)
        self.summary = PointsSummary()
        self._batch: list[Entry] = []
        self._queue: queue.Queue[list[Entry] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="kakawari-replay",
                                        daemon=True)
        self._threaded = threaded
        if threaded:
            self._thread.start()

    def _work(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain what is still queued
            try:
                for entry in batch:
                    self.replay.add(entry)
            except BaseException as exc:  # handed to the verifying thread
                self._error = exc

    def _drain(self) -> None:
        if self._thread.is_alive():
            self._queue.put(self._batch)
            self._batch = []
            self._queue.put(None)
            self._thread.join()

    def fault(self) -> BaseException | None:
        """Wait for the replay of every entry handed over; its fault, if any."""
        self._drain()
        return self._error

    def close(self) -> None:
        self._drain()
        self.replay.close()

    def entry(self, entry: Entry) -> None:
        if not self._threaded:
            self.replay.add(entry)
            return
        if self._error is not None:
            raise self._error
        self._batch.append(entry)
        if len(self._batch) >= self.BATCH:
            self._queue.put(self._batch)
            self._batch = []

    def finish(self) -> None:
        error = self.fault()
        if error is not None:
            raise error
        self.replay.end()
        present = [name for name in VIEWS if self.bundle.has(name)]
        self.summary.views = present
        self.summary.views_missing = [name for name in VIEWS if name not in present]
        # The details and the contributions view (which shows them) are checked here;
        # the other views meanwhile in a child process, which writes the tables they
        # read to a database of its own. Faults are reported in the same order as when
        # checked one after the other.
        others = _Elsewhere(self._compare_views, [n for n in present if n != CONTRIBUTIONS])
        try:
            self.replay.materialise(_DETAILS_TABLES)
            if self.bundle.has(DETAILS):
                self.summary.details = check_details(self.replay, self.bundle)
            if CONTRIBUTIONS in present:
                self._compare_views([CONTRIBUTIONS], forked=False)
        except BaseException:
            others.cancel()
            raise
        others.result()
        self._count()

    def _compare_views(self, names: list[str], *, forked: bool) -> None:
        if not names:
            return
        tables = dict.fromkeys(table for name in names for table in _VIEW_READS[name])
        if forked:
            # In a forked child: a database of its own (a connection must not cross a
            # fork) and its own handle on the bundle (a shared one shares the offset).
            db = sqlite3.connect(self.replay.directory / "views.db")
            for pragma in ("journal_mode = OFF", "synchronous = OFF"):
                db.execute(f"PRAGMA {pragma}")
            self.replay.materialise(tables, db)
        else:
            self.replay.materialise(tables)
        with BundleReader(self.bundle.path) if forked else nullcontext(self.bundle) as bundle:
            rows = view_rows(self.replay, bundle.manifest.exported_at)
            for name in names:
                _compare(name, bundle, rows[name])

    def _count(self) -> None:
        memory, s = self.replay.memory, self.summary
        assert memory is not None
        members = memory.rows[t.members].values()
        s.members, s.points = len(members), sum(int(m["points"]) for m in members)
        s.claims = dict(sorted(Counter(c["status"] for c in memory.rows[t.claims].values())
                               .items()))
        s.recognitions = len(memory.rows[t.recognitions])
        s.decisions = sum(1 for p in memory.rows[t.proposals].values()
                          if p["status"] == "decided")
        s.policy_version = self.replay.state.policy_version


#: What the details check reads; what each view reads (see :mod:`.views`).
_DETAILS_TABLES = (t.claims, t.quests, t.erasures)
_VIEW_READS = {
    VIEWS[0]: (t.claims, t.members, t.erasures, t.claim_people),
    VIEWS[1]: (t.reviews, t.claims, t.members),
    VIEWS[2]: (t.endorsements, t.claims, t.members, t.points),
    VIEWS[3]: (t.members, t.recognitions, t.roles, t.points),
    VIEWS[4]: (t.perks,),
    VIEWS[5]: (t.redemptions, t.members, t.perks),
    VIEWS[6]: (t.members, t.balances),
}


class _Elsewhere:
    """``work(forked=True)`` in a forked child process, when this process runs no other
    thread (a lock held by another thread at the fork would stay held in the child);
    otherwise ``work(forked=False)`` here, when :meth:`result` is asked for."""

    def __init__(self, work: Callable[..., None], *args: Any) -> None:
        self.work, self.args = work, args
        self.proc: multiprocessing.process.BaseProcess | None = None
        if fork_is_safe():
            context = multiprocessing.get_context("fork")
            self.outcome, send = context.Pipe(duplex=False)
            self.proc = context.Process(target=self._child, args=(send,), daemon=True)
            self.proc.start()
            send.close()

    def _child(self, send: Connection) -> None:
        try:
            self.work(*self.args, forked=True)
            send.send(None)
        except VerificationError as exc:
            send.send(exc)
        except BaseException as exc:  # anything: the parent reports it
            send.send(RuntimeError(f"checking the views failed: {exc!r}"))

    def result(self) -> None:
        """Wait for the work; raise what it raised."""
        if self.proc is None:
            self.work(*self.args, forked=False)
            return
        try:
            outcome = self.outcome.recv()
        except EOFError:
            outcome = RuntimeError("the process checking the views ended without a result "
                                   f"(exit code {self.proc.exitcode})")
        self.proc.join()
        if outcome is not None:
            raise outcome

    def cancel(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


def _compare(name: str, bundle: BundleReader, rows: Iterable[list[Any]]) -> None:
    """The bundle's view equals the one written from the replay, line by line."""
    n = 0
    expected = _written_lines(rows)
    for n, got in enumerate(bundle.lines(name), 1):
        want = next(expected, None)
        if got != want:
            raise VerificationError(
                f"{name} line {n} differs from the entries' recomputation: the bundle "
                f"has {_show(got)}, the entries give {_show(want)}")
    rest = next(expected, None)
    if rest is not None:
        raise VerificationError(f"{name} ends at line {n}; the entries give more rows "
                                f"(next: {_show(rest)})")


def _written_lines(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The lines :func:`~.views.write_view` writes for ``rows`` (as the bundle's lines
    are read: split at each ``\\n``), produced as it writes them, in memory."""
    buffer, tail = io.BytesIO(), b""

    def lines() -> list[bytes]:
        nonlocal tail
        *done, tail = (tail + buffer.getvalue()).split(b"\n")
        buffer.seek(0)
        buffer.truncate()
        return done

    for _ in write_view(rows, buffer):
        yield from lines()
    yield from lines()
    if tail:
        yield tail


def _show(line: bytes | None) -> str:
    if line is None:
        return "no line"
    return repr(line.decode("utf-8", "replace").removeprefix("\ufeff").rstrip("\r"))[:300]


def audit_bundle(path: str | Path, *, previous: str | Path | None = None,
                 vkey: str | None = None, client_for: ClientFor | None = None,
                 progress: Progress | None = None, workdir: Path | None = None,
                 jobs: int = 1, parallel_min: int = PARALLEL_MIN_ENTRIES,
                 chunk: int = 1024) -> AuditReport:
    """Verify the bundle at ``path`` completely (see the module docs); ``jobs``
    processes check the entries' signatures (see :func:`verify_bundle`). Raises
    :class:`VerificationError` for the first fault, :class:`BundleFormatError` for a
    file that is no bundle of this version, :class:`~ledger.errors.ChainError` when a
    chain was asked for and can't be read."""
    # The replay builds hundreds of thousands of small dictionaries that live until the
    # end and hold no reference cycles: the cyclic garbage collector would scan them
    # again and again (a fifth of the replay's time) and find nothing. Reference
    # counting still frees everything that is dropped.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _audit(path, previous, vkey, client_for, progress, workdir, jobs, parallel_min,
                      chunk)
    finally:
        if collecting:
            gc.enable()


def _audit(path: str | Path, previous: str | Path | None, vkey: str | None,
           client_for: ClientFor | None, progress: Progress | None, workdir: Path | None,
           jobs: int, parallel_min: int, chunk: int) -> AuditReport:
    with BundleReader(path) as bundle:
        older = BundleReader(previous) if previous is not None else None
        parallel = jobs > 1 and bundle.manifest.size >= parallel_min
        points = PointsAudit(bundle, workdir, threaded=not parallel)
        try:
            log = verify_bundle(bundle, previous=older, vkey=vkey, client_for=client_for,
                                observer=points, progress=progress,
                                jobs=jobs if parallel else 1, parallel_min=parallel_min,
                                chunk=chunk)
        except VerificationError as exc:
            earlier = points.fault()  # the replay lags the ledger's checks: it may have
            raise earlier or exc from None  # stopped at an earlier entry
        finally:
            points.close()
            if older is not None:
                older.close()
    return AuditReport(log, points.summary)
