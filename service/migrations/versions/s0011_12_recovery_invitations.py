"""Invitations and recovery codes (issue 12): ``svc_invitations.revoked_seq`` (an
``InvitationRevocation`` entry withdrew it), ``svc_recoveries`` (``Recovery`` entries),
``svc_accounts.passphrase_seq`` (the recovery that set the passphrase) and
``svc_invitation_labels`` (who an invitation is for: off the log).

Revision ID: s0011
Revises: s0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0011"
down_revision = "s0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("svc_invitations") as batch:
        batch.add_column(sa.Column("revoked_seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("svc_accounts") as batch:
        batch.add_column(sa.Column("passphrase_seq", sa.BigInteger(), nullable=True))
    op.create_table(
        "svc_recoveries",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "code_hash"),
    )
    op.create_index("ix_svc_recoveries_member", "svc_recoveries", ["region", "member", "seq"])
    op.create_table(
        "svc_invitation_labels",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=66), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "code_hash"),
    )


def downgrade() -> None:
    op.drop_table("svc_invitation_labels")
    op.drop_index("ix_svc_recoveries_member", table_name="svc_recoveries")
    op.drop_table("svc_recoveries")
    with op.batch_alter_table("svc_accounts") as batch:
        batch.drop_column("passphrase_seq")
    with op.batch_alter_table("svc_invitations") as batch:
        batch.drop_column("revoked_seq")
