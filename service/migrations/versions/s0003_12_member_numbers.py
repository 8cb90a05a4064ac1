"""Member numbers (issue 12): ``svc_members.number``, each member's place in the order
of the region's ``Join`` entries, as ``kakawari rebuild`` would compute it.

Revision ID: s0003
Revises: s0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("svc_members") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT region, address FROM svc_members ORDER BY region, joined_seq")).all()
    numbers: dict[str, int] = {}
    for region, address in rows:
        numbers[region] = numbers.get(region, 0) + 1
        conn.execute(sa.text("UPDATE svc_members SET number = :n WHERE region = :r AND "
                             "address = :a"), {"n": numbers[region], "r": region, "a": address})
    with op.batch_alter_table("svc_members") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_index("ix_svc_members_number", ["region", "number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("svc_members") as batch:
        batch.drop_index("ix_svc_members_number")
        batch.drop_column("number")
