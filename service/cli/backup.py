"""``kakawari backup`` and ``kakawari restore`` (service/backup.py; docs/operations.md).

SQLite: ``backup --out FILE`` copies the live database with the online backup API and
checks the copy; ``restore FILE`` puts a checked backup in place. PostgreSQL: back up
with ``pg_dump``, restore with ``pg_restore`` into a scratch database and check it
with ``backup --check URL`` before switching the service to it.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .base import EXIT_ERROR, EXIT_FAILED, fail

PG_HOWTO = (
    "the database is PostgreSQL: back it up with pg_dump (e.g. `pg_dump --format=custom "
    "--file kakawari.dump DBNAME`), restore with pg_restore into a new database, and check "
    "that copy with `kakawari backup --check postgresql+psycopg://…/NEWDB` before pointing "
    "KAKAWARI_DATABASE_URL at it (docs/operations.md)"
)


def _references(settings: Any, current: Any, offline: bool) -> list[Any]:
    from ..backup import chain_reference, local_reference

    refs = [local_reference(current)]
    if settings.chain_rpc_url and not offline:
        from ..chain import anchor_client, connect

        session = connect(settings, None, signing=False)
        refs.append(chain_reference(anchor_client(settings, session)))
    return refs


def _current(settings: Any) -> Any:
    """The configured database, if there is one to compare with (None otherwise)."""
    from ledger.store.sql import open_store

    from ..backup import sqlite_path
    from ..regions import verify_note

    path = sqlite_path(settings.db_url)
    if path is not None and not path.exists():
        return None
    try:
        return open_store(settings.db_url, verify_note, migrate_schema=False)
    except Exception as exc:  # a lost database is what restoring is for
        click.echo(f"kakawari: the configured database can't be read ({exc}); the backup is "
                   "compared with the chain only", err=True)
        return None


def _print(report: Any) -> None:
    for log in report.logs:
        head = f"{log.region}: {log.size} entries, root 0x{log.root.hex()}" if log.size \
            else f"{log.region}:"
        click.echo(head)
        for anchor in log.anchored:
            click.echo(f"    anchored at size {anchor.size} by {anchor.where}")
        if log.current_size is not None and log.current_size > log.size:
            click.echo(f"    the current database has {log.current_size - log.size} entries "
                       "more (written since the backup; not anchored)")
        for problem in log.problems:
            click.echo(f"    REFUSED: {problem}")
    for problem in report.problems:
        click.echo(f"REFUSED: {problem}")


@click.command("backup")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the backup here.")
@click.option("--check", "check", metavar="FILE_OR_URL",
              help="Instead: check a backup (a file, or a database URL restored from pg_dump).")
@click.option("--offline", is_flag=True, help="Do not ask the chain for its latest anchors.")
def backup(out: str | None, check: str | None, offline: bool) -> None:
    """Back up the database (SQLite online backup) and check the copy: every log
    verifies and none is older than its last anchored checkpoint. Exit 1 if not."""
    from pathlib import Path

    from ..backup import BackupError, check_backup, online_backup, sqlite_path
    from ..config import load_settings

    if (out is None) == (check is None):
        raise click.UsageError("give --out FILE (make a backup) or --check FILE_OR_URL")
    settings = load_settings()
    current = _current(settings)
    try:
        if out is not None:
            path = sqlite_path(settings.db_url)
            if path is None:
                fail(PG_HOWTO, EXIT_ERROR)
                return
            online_backup(path, Path(out))
            check = out
        assert check is not None
        report = check_backup(check, _references(settings, current, offline), None)
    except BackupError as exc:
        fail(str(exc))
        return
    finally:
        if current is not None:
            current.close()
    _print(report)
    if not report.ok:
        if out is not None:
            click.echo(f"kakawari: the backup written to {out} is NOT usable", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"ok: {'backed up to ' + out if out else check}; {len(report.logs)} logs verified")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--offline", is_flag=True, help="Do not ask the chain for its latest anchors.")
def restore(file: str, offline: bool) -> None:
    """Replace the configured SQLite database by a backup, after checking it: refused
    (exit 1) when a log in it does not verify or is older than the last anchored
    checkpoint (the current database's latest Anchor entry, and the chain's). Stop the
    service first; the replaced database is kept beside it."""
    from pathlib import Path

    from ..backup import BackupError, check_backup, restore_sqlite, sqlite_path
    from ..config import load_settings

    settings = load_settings()
    target = sqlite_path(settings.db_url)
    if target is None:
        fail(PG_HOWTO.replace("back it up with pg_dump (e.g. `pg_dump --format=custom "
                              "--file kakawari.dump DBNAME`), ", ""), EXIT_ERROR)
        return
    current = _current(settings)
    try:
        report = check_backup(file, _references(settings, current, offline), current)
    except BackupError as exc:
        fail(str(exc))
        return
    finally:
        if current is not None:
            current.close()
    _print(report)
    if not report.ok:
        click.echo("kakawari: refused: nothing was changed", err=True)
        sys.exit(EXIT_FAILED)
    kept = restore_sqlite(Path(file), target)
    click.echo(f"restored {file} to {target}")
    if kept is not None:
        click.echo(f"the replaced database is kept as {kept}")
    click.echo("run `kakawari verify --region …` for each region and start the service")
