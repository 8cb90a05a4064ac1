"""The last anchoring run of each region (scheduled by ``kakawari serve`` or run by
``kakawari anchor``): shown on /v1/health, the admin page and /metrics. Operational
state, not on the log: updated in place.

Revision ID: s0005
Revises: s0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_anchor_runs",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("anchored_at", sa.BigInteger(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("region"),
    )


def downgrade() -> None:
    op.drop_table("svc_anchor_runs")
