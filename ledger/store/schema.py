"""The ledger's tables, as SQLAlchemy Core objects for queries.

The schema itself is created only by the Alembic migrations in ``ledger/migrations``
(``0001_ledger_tables``), which also install the triggers; these objects must match it.

- ``ledger_logs``: one head row per log: ``id``, ``origin`` (unique), ``vkey`` (the
  checkpoint verification key), ``size`` (entries committed; may only grow),
  ``created``.
- ``ledger_entries``: ``(log_id, seq)`` primary key, ``leaf_hash`` (RFC 9162 leaf hash
  of ``data``), ``data`` (canonical entry bytes). Level-0 tree nodes are these leaves.
- ``ledger_tree_nodes``: ``(log_id, level, idx)`` primary key, ``hash``: every complete
  subtree of level >= 1 (see :mod:`ledger.subtree`).
- ``ledger_checkpoints``: ``(log_id, size)`` primary key, ``root``, ``note`` (the signed
  checkpoint text), one per append transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

VERSION_TABLE = "ledger_alembic_version"
"""Alembic's version table for the ledger's own migration history."""

metadata = MetaData()

logs = Table(
    "ledger_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin", String(64), nullable=False, unique=True),
    Column("vkey", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

entries = Table(
    "ledger_entries",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

tree_nodes = Table(
    "ledger_tree_nodes",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.id"), primary_key=True),
    Column("level", SmallInteger, primary_key=True),
    Column("idx", BigInteger, primary_key=True),
    Column("hash", LargeBinary(32), nullable=False),
)

checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("log_id", Integer, ForeignKey("ledger_logs.id"), primary_key=True),
    Column("size", BigInteger, primary_key=True),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
)
