"""The reading (furigana) of a member's name (issue 12 §6): ``svc_members.reading``,
set by ``Reading`` entries; null for everyone until they write one, so a log from
before this type needs no rebuild.

Revision ID: s0012
Revises: s0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0012"
down_revision = "s0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("svc_members") as batch:
        batch.add_column(sa.Column("reading", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("svc_members") as batch:
        batch.drop_column("reading")
