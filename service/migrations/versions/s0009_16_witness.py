"""Witnessing (issue 16): the logs local witnesses trust and the latest checkpoint
cosigned per log; the partner witnesses a local log submits to and the cosignatures
they returned. See service/domain/tables.py.

Revision ID: s0009
Revises: s0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_witness_logs",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "origin"),
    )
    op.create_table(
        "svc_witness_state",
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=44), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosignatures", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("origin"),
    )
    op.create_table(
        "svc_partner_witnesses",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "name"),
    )
    op.create_table(
        "svc_cosignatures",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "witness", "size"),
    )


def downgrade() -> None:
    for table in ("svc_cosignatures", "svc_partner_witnesses", "svc_witness_state",
                  "svc_witness_logs"):
        op.drop_table(table)
