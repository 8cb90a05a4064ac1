"""Badges hold the recognition entry's leaf hash (what the contract stores), not a
transaction hash: rename ``svc_badges.tx_hash`` to ``leaf_hash``.

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE svc_badges RENAME COLUMN tx_hash TO leaf_hash")


def downgrade() -> None:
    op.execute("ALTER TABLE svc_badges RENAME COLUMN leaf_hash TO tx_hash")
