"""Issue 17 (security): who stored each private details file (they own it), how big it
is and when it was stored (quotas, expiry of details no claim commits to); counters of
failed sign-ins and other guesses per account and per client address (rate limits and
lockout); a row the health check writes to prove the database takes writes.

Revision ID: s0006
Revises: s0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_details",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "digest"),
    )
    op.create_index("ix_svc_details_owner", "svc_details", ["region", "owner"])
    op.create_table(
        "svc_rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "svc_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_svc_sessions_address", "svc_sessions", ["address"])
    op.create_index("ix_svc_claims_details", "svc_claims", ["region", "details_hash"])


def downgrade() -> None:
    op.drop_index("ix_svc_claims_details", "svc_claims")
    op.drop_index("ix_svc_sessions_address", "svc_sessions")
    op.drop_table("svc_health")
    op.drop_table("svc_rate_limits")
    op.drop_index("ix_svc_details_owner", "svc_details")
    op.drop_table("svc_details")
