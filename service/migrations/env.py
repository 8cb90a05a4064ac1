"""Alembic environment of the service's own tables (``svc_*``).

Kept apart from the ledger's history (version table ``service_alembic_version``) and
run after it by :func:`service.db.migrate`, which passes the open connection (inside
the transaction that holds the migration lock) as ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from service.domain.tables import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("service migrations run through service.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
