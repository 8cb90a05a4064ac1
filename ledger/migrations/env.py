"""Alembic environment of the ledger's schema.

Run through :func:`ledger.store.sql.migrate`, which passes an open connection (inside
the transaction that holds the migration lock) as ``config.attributes["connection"]``.
There is no offline (SQL script) mode: the triggers differ per engine.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledger.store.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("ledger migrations run through ledger.store.sql.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
