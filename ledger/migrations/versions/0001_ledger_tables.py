"""Ledger tables and the triggers that make them append-only.

Tables (see ledger/store/schema.py for what each column holds):

- ledger_logs (id, origin unique, vkey, size, created): one head row per log;
- ledger_entries (log_id, seq) -> leaf_hash, data;
- ledger_tree_nodes (log_id, level, idx) -> hash, complete subtrees of level >= 1;
- ledger_checkpoints (log_id, size) -> root, note.

Triggers, on SQLite and PostgreSQL alike:

- UPDATE and DELETE on entries, tree nodes and checkpoints are refused (PostgreSQL:
  TRUNCATE too);
- an entry may only be inserted right after the previous one of its log (no gaps);
- a log head row can't be deleted, only its ``size`` may change, it may only grow,
  and only up to an entry that exists.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_entries", "ledger_tree_nodes", "ledger_checkpoints")
HASH_OK = "length({}) = 32"
GAP = (
    "NEW.seq > 0 AND NOT EXISTS (SELECT 1 FROM ledger_entries "
    "WHERE log_id = NEW.log_id AND seq = NEW.seq - 1)"
)
PAST_END = (
    "NEW.size > 0 AND NOT EXISTS (SELECT 1 FROM ledger_entries "
    "WHERE log_id = NEW.id AND seq = NEW.size - 1)"
)
IMMUTABLE = (
    "NEW.id IS DISTINCT FROM OLD.id OR NEW.origin IS DISTINCT FROM OLD.origin "
    "OR NEW.vkey IS DISTINCT FROM OLD.vkey OR NEW.created IS DISTINCT FROM OLD.created"
)


def _tables() -> None:
    op.create_table(
        "ledger_logs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("origin", sa.String(64), nullable=False, unique=True),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column(
            "created",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.CheckConstraint("size >= 0", name="ledger_logs_size_ok"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("seq >= 0", name="ledger_entries_seq_ok"),
        sa.CheckConstraint(HASH_OK.format("leaf_hash"), name="ledger_entries_hash_ok"),
    )
    op.create_table(
        "ledger_tree_nodes",
        sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id"), primary_key=True),
        sa.Column("level", sa.SmallInteger, primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 63 AND idx >= 0", name="ledger_nodes_pos_ok"),
        sa.CheckConstraint(HASH_OK.format("hash"), name="ledger_nodes_hash_ok"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("log_id", sa.Integer, sa.ForeignKey("ledger_logs.id"), primary_key=True),
        sa.Column("size", sa.BigInteger, primary_key=True),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.CheckConstraint("size > 0", name="ledger_checkpoints_size_ok"),
        sa.CheckConstraint(HASH_OK.format("root"), name="ledger_checkpoints_root_ok"),
    )


def _sqlite_triggers() -> None:
    def refuse(name: str, when: str, table: str, message: str, cond: str = "") -> None:
        where = f" WHEN {cond}" if cond else ""
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW{where} "
            f"BEGIN SELECT RAISE(ABORT, 'kakawari: {message}'); END"
        )

    for table in APPEND_ONLY:
        for when in ("UPDATE", "DELETE"):
            message = f"{table} is append-only, {when} refused"
            refuse(f"{table}_no_{when.lower()}", when, table, message)
    refuse("ledger_entries_gapless", "INSERT", "ledger_entries", "entries must be gapless", GAP)
    refuse("ledger_logs_no_delete", "DELETE", "ledger_logs", "log heads are permanent")
    fixed = IMMUTABLE.replace("IS DISTINCT FROM", "IS NOT")  # SQLite before 3.39
    refuse("ledger_logs_fixed", "UPDATE", "ledger_logs", "only the size of a log may change", fixed)
    refuse(
        "ledger_logs_grow",
        "UPDATE",
        "ledger_logs",
        "the size of a log may only grow",
        "NEW.size < OLD.size",
    )
    refuse("ledger_logs_stored", "UPDATE", "ledger_logs", "size beyond stored entries", PAST_END)


_PG_FUNCTIONS = f"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'kakawari: % is append-only, % refused', TG_TABLE_NAME, TG_OP;
END $$;

CREATE FUNCTION ledger_entries_gapless() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {GAP} THEN
    RAISE EXCEPTION 'kakawari: entries must be gapless, entry % of log % refused',
      NEW.seq, NEW.log_id;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION ledger_logs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'kakawari: log heads are permanent, % refused', TG_OP;
  END IF;
  IF {IMMUTABLE} THEN
    RAISE EXCEPTION 'kakawari: only a log''s size may change';
  END IF;
  IF NEW.size < OLD.size THEN
    RAISE EXCEPTION 'kakawari: a log''s size may only grow, % to % refused', OLD.size, NEW.size;
  END IF;
  IF {PAST_END} THEN
    RAISE EXCEPTION 'kakawari: size beyond stored entries, % refused', NEW.size;
  END IF;
  RETURN NEW;
END $$;
"""


def _pg_triggers() -> None:
    op.execute(sa.text(_PG_FUNCTIONS))
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
    for table in (*APPEND_ONLY, "ledger_logs"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        )
    op.execute(
        "CREATE TRIGGER ledger_entries_gapless BEFORE INSERT ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entries_gapless()"
    )
    op.execute(
        "CREATE TRIGGER ledger_logs_guard BEFORE UPDATE OR DELETE ON ledger_logs "
        "FOR EACH ROW EXECUTE FUNCTION ledger_logs_guard()"
    )


def upgrade() -> None:
    _tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _pg_triggers()
    else:
        raise RuntimeError(f"the ledger supports SQLite and PostgreSQL, not {dialect}")


def downgrade() -> None:
    raise RuntimeError("the ledger schema is never downgraded: that would destroy the log")
