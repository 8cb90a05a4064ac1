"""Recognition that travels (issue 16): ``svc_record_links``, the projection of the
log's ``RecordLink`` and ``RecordSummary`` entries, and ``svc_partner_records``,
members' records in partner regions as verified from record receipts (not on the
log). See service/domain/tables.py.

Revision ID: s0013
Revises: s0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_record_links",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("partner_member", sa.String(length=42), nullable=False),
        sa.Column("shown", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("summary_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("region", "member", "partner"),
    )
    op.create_table(
        "svc_partner_records",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("partner_member", sa.String(length=42), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("recognised", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.Column("months", sa.Text(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("verified_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "member", "partner"),
    )


def downgrade() -> None:
    op.drop_table("svc_partner_records")
    op.drop_table("svc_record_links")
