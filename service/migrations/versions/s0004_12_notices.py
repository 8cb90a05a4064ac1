"""Notices (issue 12): ``svc_notice_reads`` (what each member has read) and
``svc_contacts`` (the e-mail address a member gave for her notices, and how far they
were sent). Operational state, off the log.

Revision ID: s0004
Revises: s0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_notice_reads",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("read_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "member"),
    )
    op.create_table(
        "svc_contacts",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("mailed_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "member"),
    )


def downgrade() -> None:
    op.drop_table("svc_contacts")
    op.drop_table("svc_notice_reads")
