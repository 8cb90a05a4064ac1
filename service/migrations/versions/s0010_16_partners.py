"""Partner regions (issue 16): ``svc_partners``, the projection of the log's
``Partnership`` and ``PartnershipEnd`` entries. See service/domain/tables.py.

Revision ID: s0010
Revises: s0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0010"
down_revision = "s0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_partners",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("log_key", sa.Text(), nullable=False),
        sa.Column("witness_key", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_seq", sa.BigInteger(), nullable=True),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "partner"),
    )


def downgrade() -> None:
    op.drop_table("svc_partners")
