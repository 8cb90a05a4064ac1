"""Proposals and votes (issue 15): proposals, their electorate fixed at the proposal's
position, every vote entry and each voter's ballot that counts.

Revision ID: s0007
Revises: s0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None

_R, _A, _H = sa.String(length=32), sa.String(length=42), sa.String(length=66)


def upgrade() -> None:
    op.create_table(
        "svc_proposals",
        sa.Column("region", _R, nullable=False),
        sa.Column("id", _H, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("proposer", _A, nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("costs", sa.Text(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("opens_at", sa.BigInteger(), nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.Column("hide_totals", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("eligible_voters", sa.Integer(), nullable=False),
        sa.Column("eligible_power", sa.BigInteger(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ended_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_index("ix_svc_proposals_status", "svc_proposals",
                    ["region", "status", "closes_at"])
    op.create_table(
        "svc_electorate",
        sa.Column("region", _R, nullable=False),
        sa.Column("proposal", _H, nullable=False),
        sa.Column("address", _A, nullable=False),
        sa.Column("power", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "proposal", "address"),
    )
    op.create_table(
        "svc_votes",
        sa.Column("region", _R, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("proposal", _H, nullable=False),
        sa.Column("voter", _A, nullable=False),
        sa.Column("ballot", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("region", "seq"),
    )
    op.create_index("ix_svc_votes_proposal", "svc_votes", ["region", "proposal", "seq"])
    op.create_table(
        "svc_ballots",
        sa.Column("region", _R, nullable=False),
        sa.Column("proposal", _H, nullable=False),
        sa.Column("voter", _A, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ballot", sa.Text(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "proposal", "voter"),
    )


def downgrade() -> None:
    op.drop_table("svc_ballots")
    op.drop_index("ix_svc_votes_proposal", table_name="svc_votes")
    op.drop_table("svc_votes")
    op.drop_table("svc_electorate")
    op.drop_index("ix_svc_proposals_status", table_name="svc_proposals")
    op.drop_table("svc_proposals")
