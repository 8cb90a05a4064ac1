"""The service's tables: projections of the region logs (rebuilt by ``kakawari
rebuild``) and operational state (managed keys, sessions, sign-in nonces).

See service/domain/tables.py for what each column holds. Generated from those table
definitions once; later changes go into new revisions.

Revision ID: s0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_accounts",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=True),
        sa.Column("passphrase_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "address"),
    )
    op.create_table(
        "svc_auth_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_table(
        "svc_badges",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("region", "claim", "member"),
    )
    op.create_table(
        "svc_claim_people",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("contributor", sa.Boolean(), nullable=False),
        sa.Column("confirmed_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("region", "claim", "address"),
    )
    op.create_index(
        "ix_svc_claim_people_address", "svc_claim_people", ["region", "address"], unique=False
    )
    op.create_table(
        "svc_claims",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("contributor", sa.String(length=42), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("quest", sa.String(length=66), nullable=True),
        sa.Column("details_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_before", sa.String(length=12), nullable=True),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=True),
        sa.Column("endorsed", sa.BigInteger(), nullable=False),
        sa.Column("decided_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_index(
        "ix_svc_claims_contributor", "svc_claims", ["region", "contributor"], unique=False
    )
    op.create_index("ix_svc_claims_status", "svc_claims", ["region", "status"], unique=False)
    op.create_table(
        "svc_custody",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("invitation", sa.String(length=66), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "member"),
    )
    op.create_table(
        "svc_endorsements",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=False),
        sa.Column("endorser", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("credited", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("region", "seq"),
    )
    op.create_index(
        "ix_svc_endorsements_claim", "svc_endorsements", ["region", "claim"], unique=False
    )
    op.create_index(
        "ix_svc_endorsements_endorser",
        "svc_endorsements",
        ["region", "endorser", "epoch"],
        unique=False,
    )
    op.create_table(
        "svc_erasures",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("details_hash", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("requester", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "details_hash"),
    )
    op.create_table(
        "svc_heads",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region"),
    )
    op.create_table(
        "svc_invitations",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("region", "code_hash"),
    )
    op.create_table(
        "svc_members",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("resident", sa.Boolean(), nullable=True),
        sa.Column("joined_seq", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("region", "address"),
    )
    op.create_table(
        "svc_nonces",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "signer", "nonce"),
    )
    op.create_table(
        "svc_points",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("via_seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_index("ix_svc_points_claim", "svc_points", ["region", "claim"], unique=False)
    op.create_index("ix_svc_points_member", "svc_points", ["region", "member", "id"], unique=False)
    op.create_table(
        "svc_policies",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "version"),
    )
    op.create_table(
        "svc_quests",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.BigInteger(), nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.Column("details_hash", sa.String(length=66), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "id"),
    )
    op.create_table(
        "svc_recognitions",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "claim", "member"),
    )
    op.create_table(
        "svc_reviews",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("claim", sa.String(length=66), nullable=False),
        sa.Column("reviewer", sa.String(length=42), nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "seq"),
    )
    op.create_index("ix_svc_reviews_claim", "svc_reviews", ["region", "claim"], unique=False)
    op.create_table(
        "svc_roles",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region", "address", "role"),
    )
    op.create_table(
        "svc_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("svc_sessions")
    op.drop_table("svc_roles")
    op.drop_index("ix_svc_reviews_claim", table_name="svc_reviews")
    op.drop_table("svc_reviews")
    op.drop_table("svc_recognitions")
    op.drop_table("svc_quests")
    op.drop_table("svc_policies")
    op.drop_index("ix_svc_points_member", table_name="svc_points")
    op.drop_index("ix_svc_points_claim", table_name="svc_points")
    op.drop_table("svc_points")
    op.drop_table("svc_nonces")
    op.drop_table("svc_members")
    op.drop_table("svc_invitations")
    op.drop_table("svc_heads")
    op.drop_table("svc_erasures")
    op.drop_index("ix_svc_endorsements_endorser", table_name="svc_endorsements")
    op.drop_index("ix_svc_endorsements_claim", table_name="svc_endorsements")
    op.drop_table("svc_endorsements")
    op.drop_table("svc_custody")
    op.drop_index("ix_svc_claims_status", table_name="svc_claims")
    op.drop_index("ix_svc_claims_contributor", table_name="svc_claims")
    op.drop_table("svc_claims")
    op.drop_index("ix_svc_claim_people_address", table_name="svc_claim_people")
    op.drop_table("svc_claim_people")
    op.drop_table("svc_badges")
    op.drop_table("svc_auth_nonces")
    op.drop_table("svc_accounts")
