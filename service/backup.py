"""Backups of the database, checked before anyone relies on them.

- :func:`online_backup` copies a SQLite database with SQLite's online backup API (a
  consistent copy while the service keeps writing).
- :func:`check_backup` opens a backup (a SQLite file, or any database URL — e.g. a
  scratch PostgreSQL database restored from ``pg_dump``), recomputes every log in it
  (:func:`ledger.integrity.verify_stored_log`) and compares each with the last
  anchored checkpoint known: the configured database's latest ``Anchor`` entry and,
  with a chain configured, the chain's latest anchor. A backup whose log does not
  verify, or that is older than an anchored checkpoint (shorter, or another root at
  the anchored size), is refused: restoring it would silently drop entries that were
  promised to the world.
- :func:`restore_sqlite` puts a checked backup in place of the configured SQLite
  database, keeping the replaced files beside it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from ledger.chain import log_id_for
from ledger.errors import LedgerError, VerificationError
from ledger.integrity import verify_stored_log
from ledger.store import LogStore


class BackupError(LedgerError):
    """A backup can't be made, checked or restored; the message says why."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database can't be backed up")
    return Path(parsed.database)


def online_backup(source: Path, dest: Path) -> None:
    """Copy the SQLite database ``source`` to ``dest`` (replaced atomically) with the
    online backup API: the copy is one consistent state even while others write."""
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
                out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                out.close()
        finally:
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up {source}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Anchored:
    """A checkpoint known to be anchored: by whom (``where``), at ``size`` with
    ``root`` (None when only the size is known)."""

    where: str
    size: int
    root: bytes | None


@dataclass
class LogCheck:
    region: str
    size: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)
    anchored: list[Anchored] = field(default_factory=list)
    current_size: int | None = None


@dataclass
class BackupReport:
    source: str
    logs: list[LogCheck]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and all(not log.problems for log in self.logs)


Reference = Callable[[str], list[Anchored]]
"""The anchored checkpoints known for a region (``region -> [Anchored]``)."""


def local_reference(current: LogStore | None) -> Reference:
    """The latest ``Anchor`` entry of each region in the configured database."""
    from .scheduler import latest_anchor_entry

    def anchored(region: str) -> list[Anchored]:
        origin = f"kakawari/{region}"
        if current is None or origin not in current.logs():
            return []
        found = latest_anchor_entry(current, origin)
        if found is None:
            return []
        rec = found[0].record
        return [Anchored(f"the Anchor entry {found[0].seq} of the current database",
                         rec.size, rec.root)]

    return anchored


def chain_reference(client: Any) -> Reference:
    """The chain's latest anchor of each region."""

    def anchored(region: str) -> list[Anchored]:
        size, root = client.latest(log_id_for(f"kakawari/{region}"))
        if not size:
            return []
        return [Anchored(f"chain {client.chain_id}", int(size), bytes(root))]

    return anchored


def check_backup(source: str, references: list[Reference],
                 current: LogStore | None = None) -> BackupReport:
    """Open the backup at ``source`` (a SQLite file path or a database URL), verify
    every log in it and compare each with the anchored checkpoints of ``references``;
    regions of the ``current`` database missing from the backup are problems too."""
    from ledger.store.sql import open_store

    from .regions import verify_note

    url = source if "://" in source else f"sqlite:///{Path(source).resolve()}"
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    try:
        store = open_store(url, verify_note, migrate_schema=False)
    except LedgerError as exc:
        raise BackupError(f"{source} can't be opened as a Kakawari database: {exc}") from exc
    report = BackupReport(source, [], [])
    try:
        refused = store.refused()
        present = set(store.logs())
        for origin in sorted(present):
            check = LogCheck(origin.removeprefix("kakawari/"))
            report.logs.append(check)
            if origin in refused:
                check.problems.append(f"its log fails the integrity check: {refused[origin]}")
                continue
            try:
                result = verify_stored_log(store, origin)
            except VerificationError as exc:
                where = f"entry {exc.seq}" if exc.seq is not None else "the log"
                check.problems.append(f"its log does not verify at {where}: {exc.reason}")
                continue
            check.size, check.root = result.size, result.root
            if current is not None and origin in current.logs():
                check.current_size = current.log_info(origin).size
            for reference in references:
                for anchor in reference(check.region):
                    check.anchored.append(anchor)
                    _compare(store, origin, check, anchor)
        if current is not None:
            for origin in sorted(set(current.logs()) - present):
                report.problems.append(f"region {origin.removeprefix('kakawari/')} is in the "
                                       "current database but not in the backup")
    finally:
        store.close()
    return report


def _compare(store: LogStore, origin: str, check: LogCheck, anchor: Anchored) -> None:
    if check.size < anchor.size:
        check.problems.append(
            f"the backup holds {check.size} entries, but {anchor.where} anchors {anchor.size}: "
            "it is older than the last anchored checkpoint")
        return
    if anchor.root is not None and store.root(origin, anchor.size) != anchor.root:
        check.problems.append(
            f"the backup's root at size {anchor.size} is not the one {anchor.where} anchors: "
            "it is another log (a fork), not an older copy of this one")


def restore_sqlite(backup: Path, target: Path) -> Path | None:
    """Put the (checked) SQLite ``backup`` in place of the database ``target``; the
    replaced files are kept as ``<target>.replaced-<time>`` (returned; None if there
    was none). Stop every server and command using ``target`` first."""
    kept: Path | None = None
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    online_backup(backup, staged)
    if target.exists():
        kept = target.with_name(f"{target.name}.replaced-{stamp}")
        os.replace(target, kept)
    for suffix in ("-wal", "-shm"):
        side = target.with_name(target.name + suffix)
        if side.exists():
            os.replace(side, side.with_name(f"{side.name}.replaced-{stamp}"))
    os.replace(staged, target)
    return kept
