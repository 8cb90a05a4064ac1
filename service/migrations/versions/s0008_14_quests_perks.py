"""Quests people can join, check-in windows and perks (issue 14): new columns of
``svc_quests`` (defaults fit the quests a ``Quest`` entry made) and the tables
``svc_signups``, ``svc_checkins``, ``svc_perks``, ``svc_redemptions``, ``svc_balances``.
All are projections: ``kakawari rebuild`` fills them from the log.

Revision ID: s0008
Revises: s0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None

def _quest_columns() -> tuple[sa.Column[Any], ...]:
    return (
        sa.Column("status", sa.String(length=12), nullable=False, server_default="open"),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("place", sa.String(length=400), nullable=False, server_default=""),
        sa.Column("geo", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("online", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("contact", sa.String(length=42), nullable=True),
        sa.Column("tags", sa.String(length=400), nullable=False, server_default=""),
        sa.Column("signups", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("decided_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("edited_seq", sa.BigInteger(), nullable=True),
    )


def upgrade() -> None:
    with op.batch_alter_table("svc_quests") as batch:
        for column in _quest_columns():
            batch.add_column(column)
    op.create_table(
        "svc_signups",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("quest", sa.String(length=66), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "quest", "member"),
    )
    op.create_table(
        "svc_checkins",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("quest", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("organiser", sa.String(length=42), nullable=False),
        sa.Column("opens_at", sa.BigInteger(), nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "quest"),
    )
    op.create_table(
        "svc_perks",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("place", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_table(
        "svc_redemptions",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("perk", sa.String(length=66), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_index("ix_svc_redemptions_member", "svc_redemptions", ["region", "member"])
    op.create_table(
        "svc_balances",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("redeemed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "member"),
    )


def downgrade() -> None:
    for table in ("svc_balances", "svc_redemptions", "svc_perks", "svc_checkins",
                  "svc_signups"):
        op.drop_table(table)
    with op.batch_alter_table("svc_quests") as batch:
        for column in reversed(_quest_columns()):
            batch.drop_column(column.name)
