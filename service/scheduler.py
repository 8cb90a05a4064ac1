"""Anchoring on a schedule: ``kakawari serve`` anchors every region by itself when a
chain is configured (``KAKAWARI_CHAIN_RPC_URL``, a key and a deployment record).

Every ``KAKAWARI_ANCHOR_INTERVAL`` seconds each worker of each server wakes up and
tries to take the anchoring lock (:class:`AnchorLock`: a PostgreSQL advisory lock, so
one anchorer runs across several workers and hosts; with SQLite, a lock file beside
the database). The one that holds it anchors each region with at least
``KAKAWARI_ANCHOR_MIN_ENTRIES`` entries written since its last anchor — or whose last
recorded anchor the chain no longer has (a reorg) — through the same flow as
``kakawari anchor`` (:func:`ledger.anchoring.anchor_log`). The others skip the round.

Each region's last run is kept in ``svc_anchor_runs`` (:func:`record_run`), which
``/v1/health``, the admin page and ``/metrics`` show: the last anchor, and the error
of a run that failed (the chain unreachable, a fork, no service key) with how many
runs in a row failed. A failed run changes nothing in the log; the next one retries.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text, update

from ledger.anchoring import AnchorOutcome, RecordedAnchor
from ledger.chain import log_id_for
from ledger.entry import Entry, origin_for
from ledger.store import LogStore

from .domain import tables as t

_log = logging.getLogger("kakawari.anchoring")

LOCK_KEY = 0x6B6B616E  # pg advisory lock key ("kkan"), distinct from the migrators'
LOOKBACK = 20_000
"""How far back from the end of a log its latest ``Anchor`` entry is looked for."""
_ANCHOR_MARK = b'"type":"Anchor"'


# -- the lock ------------------------------------------------------------------------


class AnchorLock:
    """One anchorer at a time for a database: ``with lock.held() as mine:`` — ``mine``
    is False when another worker, server or ``kakawari anchor`` holds it (never waits).

    PostgreSQL: a session advisory lock on a connection kept for the block (released
    when the block ends or the connection drops). SQLite: ``flock`` on
    ``<database>.anchor-lock`` (all its users are on one host)."""

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if database and database != ":memory:":
            self.path = Path(database).with_name(Path(database).name + ".anchor-lock")
        else:
            self.path = data_dir / "anchor.lock"

    @contextmanager
    def held(self) -> Iterator[bool]:
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                        {"k": LOCK_KEY}).scalar())
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                        conn.commit()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


# -- what the log says ---------------------------------------------------------------


def latest_anchor_entry(store: LogStore, origin: str,
                        lookback: int = LOOKBACK) -> tuple[RecordedAnchor, Entry] | None:
    """The log's latest ``Anchor`` entry among its last ``lookback`` entries."""
    from ledger.anchoring import AnchorRecord

    size = store.log_info(origin).size
    end = size
    while end > 0 and size - end < lookback:
        start = max(0, end - 500)
        for seq, data in reversed(store.entries(origin, start, end - start)):
            if _ANCHOR_MARK in data:
                entry = Entry.from_bytes(data)
                if entry.type == "Anchor":
                    return RecordedAnchor(seq, AnchorRecord.from_message(entry.message)), entry
        end = start
    return None


def new_entries(store: LogStore, origin: str, anchored_size: int) -> int:
    """Entries after the tree of ``anchored_size``, ``Anchor`` entries not counted."""
    count = 0
    for _, data in store.iter_entries(origin, anchored_size):
        if _ANCHOR_MARK not in data or Entry.from_bytes(data).type != "Anchor":
            count += 1
    return count


# -- the status table ----------------------------------------------------------------


@dataclass(frozen=True)
class AnchorRun:
    """A region's last anchoring run (a row of ``svc_anchor_runs``)."""

    region: str
    checked_at: int
    outcome: str
    error: str | None
    failures: int
    anchored_at: int | None
    seq: int | None
    size: int | None
    chain_id: int | None
    tx_hash: str | None
    block_number: int | None
    note: str | None

    def to_json(self) -> dict[str, Any]:
        last = None if self.size is None else {
            "seq": self.seq, "size": self.size, "chainId": self.chain_id,
            "txHash": self.tx_hash, "blockNumber": self.block_number}
        return {"checkedAt": self.checked_at, "outcome": self.outcome, "error": self.error,
                "failures": self.failures, "anchoredAt": self.anchored_at,
                "lastAnchor": last, "note": self.note}


def anchor_runs(engine: Engine) -> dict[str, AnchorRun]:
    """Every region's last run."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.anchor_runs)).all()
    return {r.region: AnchorRun(**r._asdict()) for r in rows}


def record_run(engine: Engine, region: str, now: int, *, outcome: AnchorOutcome | None = None,
               error: str | None = None, waiting: bool = False) -> None:
    """Record a run: its ``outcome``, or the ``error`` it failed with, or (``waiting``)
    that it found too few new entries. Best effort: a database that refuses is logged."""
    c = t.anchor_runs.c
    values: dict[str, Any] = {"checked_at": now}
    if outcome is not None:
        a = outcome.anchor
        note = None
        if outcome.lost:
            lost = ", ".join(f"entry {x.seq} (size {x.record.size}, tx 0x{x.record.tx_hash.hex()})"
                             for x in outcome.lost)
            note = f"no longer on chain (a reorg or a restarted node), anchored again: {lost}"
        values.update(outcome=outcome.status, error=None, failures=0, anchored_at=now,
                      seq=outcome.seq, size=a.size, chain_id=a.chain_id,
                      tx_hash="0x" + a.tx_hash.hex(), block_number=a.block_number, note=note)
    elif error is not None:
        values.update(outcome="failed", error=error[:2000])
    elif waiting:
        values.update(outcome="waiting", error=None, failures=0)
    try:
        with engine.begin() as conn:
            if error is not None:
                values["failures"] = c.failures + 1
            done = conn.execute(update(t.anchor_runs).where(c.region == region).values(**values))
            if done.rowcount == 0:
                if error is not None:
                    values["failures"] = 1
                conn.execute(insert(t.anchor_runs).values(
                    region=region, **{"failures": 0, "outcome": "waiting", **values}))
    except Exception as exc:  # the status is for people: never stop anchoring over it
        _log.warning("could not record the anchoring run of %s: %s", region, exc)


# -- the scheduler -------------------------------------------------------------------


ChainFactory = Callable[[], Any]
"""Connects to the configured chain and returns a client of its anchor contract; raises
:class:`~ledger.errors.ChainError` when it can't."""


class AnchorScheduler:
    """Anchors every region each ``interval`` seconds, in a daemon thread, while this
    worker holds the lock (see the module docs)."""

    def __init__(self, regions: Any, domain: Any, engine: Engine, lock: AnchorLock,
                 chain: ChainFactory, *, interval: int, min_entries: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.regions, self.domain, self.engine, self.lock = regions, domain, engine, lock
        self.chain, self.interval, self.min_entries = chain, interval, min_entries
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kakawari-anchor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        # the first round soon after start: a server that was down catches up
        delay = min(self.interval, 5.0)
        while not self._stop.wait(delay):
            try:
                self.run_once()
            except Exception:
                _log.exception("anchoring round failed")
            delay = self.interval

    def run_once(self) -> dict[str, str] | None:
        """One round: each region's outcome (or ``failed: …``), None when another
        anchorer holds the lock."""
        with self.lock.held() as mine:
            if not mine:
                return None
            return self._round()

    def _round(self) -> dict[str, str]:
        from ledger.errors import LedgerError

        from .domain.errors import DomainError

        store: LogStore = self.regions.store
        refused = store.refused()
        regions = [o.removeprefix("kakawari/") for o in store.logs() if o not in refused]
        results: dict[str, str] = {}
        client = None
        for region in regions:
            now = int(self.clock())
            try:
                if client is None:
                    client = self.chain()
                results[region] = self._region(region, client, now)
            except (LedgerError, DomainError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                _log.warning("anchoring %s failed: %s", region, error)
                record_run(self.engine, region, now, error=error)
                results[region] = "failed: " + error
        return results

    def _region(self, region: str, client: Any, now: int) -> str:
        from ledger.anchoring import AnchoringError

        from .chain import anchor_region
        from .metrics import observe_anchor

        store: LogStore = self.regions.store
        origin = origin_for(region)
        last = latest_anchor_entry(store, origin)
        anchored = 0 if last is None else last[0].record.size
        fresh = new_entries(store, origin, anchored)
        if fresh < self.min_entries:
            chain_size, _ = client.latest(log_id_for(origin))
            if last is None or chain_size >= anchored:  # nothing lost: wait for more
                record_run(self.engine, region, now, waiting=True)
                return "waiting"
        try:
            outcome = anchor_region(self.regions, self.domain, client, region)
        except AnchoringError:
            observe_anchor("failed")
            raise
        observe_anchor(outcome.status)
        if outcome.lost:
            _log.warning("anchoring %s: %d recorded anchor(s) no longer on chain, anchored "
                         "again at size %d", region, len(outcome.lost), outcome.anchor.size)
        _log.info("anchoring %s: %s at size %d", region, outcome.status, outcome.anchor.size)
        record_run(self.engine, region, now, outcome=outcome)
        return outcome.status


def scheduler_for(settings: Any, regions: Any, domain: Any) -> AnchorScheduler | None:
    """The scheduler of a server, or None when no chain is configured or the interval is
    0. The chain is connected on each round, so one that is down at start-up is
    retried."""
    if not settings.chain_rpc_url or settings.anchor_interval <= 0:
        return None
    from ledger.chain import RetryPolicy

    from .chain import anchor_client, connect

    def chain() -> Any:
        session = connect(settings, None, retry=RetryPolicy(attempts=3, base_delay=0.5))
        return anchor_client(settings, session)

    engine = regions.store.engine
    return AnchorScheduler(regions, domain, engine, AnchorLock(engine, settings.data_dir),
                           chain, interval=settings.anchor_interval,
                           min_entries=settings.anchor_min_entries)
