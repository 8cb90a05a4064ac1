"""The service's database: the ledger store plus the service's own tables.

:func:`open_database` opens the ledger store (which migrates the ``ledger_*`` schema
first) and then migrates the service's ``svc_*`` schema with its own Alembic history
(``service/migrations``, version table ``service_alembic_version``), one migrator at a
time (PostgreSQL: an advisory lock; SQLite: the write lock of ``BEGIN IMMEDIATE``), so
several workers starting together are safe.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from ledger.store.sql import SqlStore, open_store, upgrade_schema

from .regions import verify_note

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x6B6B7376  # pg_advisory_xact_lock key ("kksv"), distinct from the ledger's


def migrate(engine: Engine) -> None:
    """Upgrade the service schema to head, one migrator at a time (the ledger's
    :func:`~ledger.store.sql.upgrade_schema`, with this history and lock key)."""
    upgrade_schema(engine, MIGRATIONS, _MIGRATION_LOCK, "service")


BUSY_TIMEOUT = 5.0
"""Seconds a request waits for a lock another process holds (SQLite's write lock, a
PostgreSQL row lock) before it is answered 503 ``busy``: a client is told quickly and
retries, instead of hanging."""


def open_database(url: str, busy_timeout: float = BUSY_TIMEOUT) -> SqlStore:
    """The ledger store at ``url`` with both schemas migrated to head."""
    store = open_store(url, verify_note, busy_timeout=busy_timeout)
    try:
        migrate(store.engine)
    except Exception:
        store.close()
        raise
    return store
