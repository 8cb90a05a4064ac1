"""The service's tables (SQLAlchemy Core), created by ``service/migrations`` only.

Projections — recomputed from the log by ``kakawari rebuild`` and written in the same
transaction as the entry that changes them — all carry ``region`` and are listed in
:data:`PROJECTIONS`. The others hold operational state that is not on the log:
managed keys (sealed), sign-in sessions and nonces.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

VERSION_TABLE = "service_alembic_version"

metadata = MetaData()

ADDR = String(42)
HASH = String(66)
REGION = String(32)

members = Table(
    "svc_members", metadata,
    Column("region", REGION, primary_key=True),
    Column("address", ADDR, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("reading", String(200), nullable=True),  # of the name (latest Reading entry)
    Column("resident", Boolean, nullable=True),
    Column("joined_seq", BigInteger, nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),  # lifetime, undecayed
    Column("level", Integer, nullable=False),
    Column("managed", Boolean, nullable=False),
    # 1 + the members who joined before (log order); shown as AMA-0042 (domain/numbers.py)
    Column("number", Integer, nullable=False),
    Index("ix_svc_members_number", "region", "number", unique=True),
)

roles = Table(
    "svc_roles", metadata,
    Column("region", REGION, primary_key=True),
    Column("address", ADDR, primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

nonces = Table(
    "svc_nonces", metadata,
    Column("region", REGION, primary_key=True),
    Column("signer", ADDR, primary_key=True),
    Column("nonce", BigInteger, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

claims = Table(
    "svc_claims", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("contributor", ADDR, nullable=False),
    Column("category", String(32), nullable=False),
    Column("title", String(400), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("quest", HASH, nullable=True),
    Column("details_hash", HASH, nullable=False),
    Column("status", String(12), nullable=False),  # pending approved rejected revoked
    Column("status_before", String(12), nullable=True),  # status a revocation replaced
    Column("approvals", Integer, nullable=False),
    Column("points", BigInteger, nullable=True),  # per person, fixed on approval
    Column("endorsed", BigInteger, nullable=False),  # endorsement points credited
    Column("decided_seq", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_svc_claims_contributor", "region", "contributor"),
    Index("ix_svc_claims_status", "region", "status"),
    Index("ix_svc_claims_details", "region", "details_hash"),
)

claim_people = Table(
    "svc_claim_people", metadata,
    Column("region", REGION, primary_key=True),
    Column("claim", HASH, primary_key=True),
    Column("address", ADDR, primary_key=True),
    Column("contributor", Boolean, nullable=False),
    Column("confirmed_seq", BigInteger, nullable=True),
    Index("ix_svc_claim_people_address", "region", "address"),
)

reviews = Table(
    "svc_reviews", metadata,
    Column("region", REGION, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("claim", HASH, nullable=False),
    Column("reviewer", ADDR, nullable=False),
    Column("approve", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
    Index("ix_svc_reviews_claim", "region", "claim"),
)

endorsements = Table(
    "svc_endorsements", metadata,
    Column("region", REGION, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("claim", HASH, nullable=False),
    Column("endorser", ADDR, nullable=False),
    Column("recipient", ADDR, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("credited", Boolean, nullable=False),
    Index("ix_svc_endorsements_claim", "region", "claim"),
    Index("ix_svc_endorsements_endorser", "region", "endorser", "epoch"),
)

quests = Table(
    "svc_quests", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("admin", ADDR, nullable=False),
    Column("title", String(400), nullable=False),
    Column("category", String(32), nullable=False),
    Column("points", Integer, nullable=False),
    Column("opens_at", BigInteger, nullable=False),
    Column("closes_at", BigInteger, nullable=False),
    Column("details_hash", HASH, nullable=False),
    Column("claims", Integer, nullable=False),
    # issue 14: what a person needs to join (a `Quest` entry leaves them empty)
    Column("status", String(12), nullable=False, server_default="open"),  # proposed open
    # declined closed
    Column("description", Text, nullable=False, server_default=""),
    Column("place", String(400), nullable=False, server_default=""),
    Column("geo", String(64), nullable=False, server_default=""),
    Column("online", Boolean, nullable=False, server_default=false()),
    Column("capacity", Integer, nullable=False, server_default="0"),  # 0: no limit
    Column("contact", ADDR, nullable=True),
    Column("tags", String(400), nullable=False, server_default=""),
    Column("signups", Integer, nullable=False, server_default="0"),
    Column("decided_seq", BigInteger, nullable=True),  # published, declined or closed by
    Column("reason", Text, nullable=False, server_default=""),  # of a decline or closure
    Column("edited_seq", BigInteger, nullable=True),
)

signups = Table(
    "svc_signups", metadata,
    Column("region", REGION, primary_key=True),
    Column("quest", HASH, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("joined", Boolean, nullable=False),  # False: cancelled
    Column("seq", BigInteger, nullable=False),  # the latest SignUp entry
    Column("time", BigInteger, nullable=False),
)

checkins = Table(
    "svc_checkins", metadata,  # the latest check-in window of each quest
    Column("region", REGION, primary_key=True),
    Column("quest", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("organiser", ADDR, nullable=False),
    Column("opens_at", BigInteger, nullable=False),
    Column("closes_at", BigInteger, nullable=False),
)

perks = Table(
    "svc_perks", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the Perk entry that listed it
    Column("updated_seq", BigInteger, nullable=False),  # the latest Perk entry for it
    Column("admin", ADDR, nullable=False),
    Column("title", String(400), nullable=False),
    Column("description", Text, nullable=False),
    Column("cost", Integer, nullable=False),
    Column("stock", Integer, nullable=False),  # how many there are in all
    Column("redeemed", Integer, nullable=False),  # redemptions not cancelled
    Column("valid_until", BigInteger, nullable=False),
    Column("place", String(400), nullable=False),
)

redemptions = Table(
    "svc_redemptions", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("member", ADDR, nullable=False),
    Column("perk", HASH, nullable=False),
    Column("cost", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # requested handed-over cancelled
    Column("status_seq", BigInteger, nullable=True),
    Column("reason", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
    Index("ix_svc_redemptions_member", "region", "member"),
)

balances = Table(
    "svc_balances", metadata,  # spendable = lifetime points (svc_members) - redeemed
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("redeemed", BigInteger, nullable=False),  # points of redemptions not cancelled
)

policies = Table(
    "svc_policies", metadata,
    Column("region", REGION, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("admin", ADDR, nullable=False),
    Column("policy", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
)

points = Table(
    "svc_points", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", BigInteger, primary_key=True),  # order of crediting within the region
    Column("member", ADDR, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the entry the points came from
    Column("via_seq", BigInteger, nullable=False),  # the entry that credited them
    Column("kind", String(16), nullable=False),  # recognition endorsement revocation reinstatement
    Column("claim", HASH, nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Index("ix_svc_points_member", "region", "member", "id"),
    Index("ix_svc_points_claim", "region", "claim"),
)

recognitions = Table(
    "svc_recognitions", metadata,
    Column("region", REGION, primary_key=True),
    Column("claim", HASH, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("time", BigInteger, nullable=False),
)

badges = Table(
    "svc_badges", metadata,
    Column("region", REGION, primary_key=True),
    Column("claim", HASH, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", ADDR, nullable=False),
    Column("token_id", BigInteger, nullable=False),
    Column("leaf_hash", HASH, nullable=False),  # the recognition entry's
)

erasures = Table(
    "svc_erasures", metadata,
    Column("region", REGION, primary_key=True),
    Column("details_hash", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("requester", ADDR, nullable=False),
    Column("reason", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
)

invitations = Table(
    "svc_invitations", metadata,
    Column("region", REGION, primary_key=True),
    Column("code_hash", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("admin", ADDR, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("member", ADDR, nullable=True),  # set when redeemed (Custody entry)
    Column("revoked_seq", BigInteger, nullable=True),  # its InvitationRevocation entry
)

recoveries = Table(
    "svc_recoveries", metadata,
    Column("region", REGION, primary_key=True),
    Column("code_hash", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("admin", ADDR, nullable=False),
    Column("member", ADDR, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_svc_recoveries_member", "region", "member", "seq"),
)

custody = Table(
    "svc_custody", metadata,
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("invitation", HASH, nullable=False),
    Column("held", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

proposals = Table(
    "svc_proposals", metadata,
    Column("region", REGION, primary_key=True),
    Column("id", HASH, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("proposer", ADDR, nullable=False),
    Column("title", String(400), nullable=False),
    Column("text", Text, nullable=False),
    Column("method", String(16), nullable=False),
    Column("choices", Text, nullable=False),  # JSON array of labels
    Column("costs", Text, nullable=False),  # JSON array (budget), else []
    Column("budget", BigInteger, nullable=False),
    Column("opens_at", BigInteger, nullable=False),
    Column("closes_at", BigInteger, nullable=False),
    Column("hide_totals", Boolean, nullable=False),
    Column("rules", Text, nullable=False),  # JSON: the governance rules at the proposal
    Column("eligible_voters", Integer, nullable=False),
    Column("eligible_power", BigInteger, nullable=False),
    Column("votes", Integer, nullable=False),  # vote entries, changes included
    Column("status", String(12), nullable=False),  # open withdrawn cancelled decided
    Column("ended_seq", BigInteger, nullable=True),  # withdrawal, cancellation, decision
    Column("reason", Text, nullable=True),
    Column("result", Text, nullable=True),  # the decision's JSON text
    Column("created_at", BigInteger, nullable=False),
    Index("ix_svc_proposals_status", "region", "status", "closes_at"),
)

electorate = Table(  # who may vote on a proposal, with what power: fixed at its position
    "svc_electorate", metadata,
    Column("region", REGION, primary_key=True),
    Column("proposal", HASH, primary_key=True),
    Column("address", ADDR, primary_key=True),
    Column("power", BigInteger, nullable=False),
)

votes = Table(  # every vote entry
    "svc_votes", metadata,
    Column("region", REGION, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("proposal", HASH, nullable=False),
    Column("voter", ADDR, nullable=False),
    Column("ballot", Text, nullable=False),  # JSON array of choice indices
    Column("time", BigInteger, nullable=False),
    Column("change", Boolean, nullable=False),  # replaced an earlier vote of the voter
    Index("ix_svc_votes_proposal", "region", "proposal", "seq"),
)

ballots = Table(  # the ballot that counts: each voter's last vote
    "svc_ballots", metadata,
    Column("region", REGION, primary_key=True),
    Column("proposal", HASH, primary_key=True),
    Column("voter", ADDR, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("ballot", Text, nullable=False),
    Column("votes", Integer, nullable=False),  # how many times this voter voted
)

partners = Table(
    "svc_partners", metadata,
    Column("region", REGION, primary_key=True),
    Column("partner", String(64), primary_key=True),  # the partner's log origin
    Column("seq", BigInteger, nullable=False),  # the Partnership entry in force (or last)
    Column("name", String(200), nullable=False),
    Column("log_key", Text, nullable=False),
    Column("witness_key", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("ended_seq", BigInteger, nullable=True),  # its PartnershipEnd entry
    Column("time", BigInteger, nullable=False),
)

record_links = Table(  # RecordLink entries (issue 16): the latest of each member and partner
    "svc_record_links", metadata,
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("partner", String(64), primary_key=True),  # the partner's log origin
    Column("partner_member", ADDR, nullable=False),
    Column("shown", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("summary_seq", BigInteger, nullable=True),  # the RecordSummary that followed
)

heads = Table(
    "svc_heads", metadata,
    Column("region", REGION, primary_key=True),
    Column("size", BigInteger, nullable=False),  # entries applied to the projections
)

PROJECTIONS = (
    heads, members, roles, nonces, claims, claim_people, reviews, endorsements, quests, policies,
    points, recognitions, badges, erasures, invitations, custody, recoveries,
    signups, checkins, perks, redemptions, balances,
    proposals, electorate, votes, ballots, partners, record_links,
)
"""Every table rebuilt from the log; each has a ``region`` column."""

# -- operational state, not on the log -------------------------------------------------

partner_records = Table(  # a member's record in a partner region, verified (issue 16)
    "svc_partner_records", metadata,
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),  # her address here
    Column("partner", String(64), primary_key=True),  # the partner's log origin
    Column("partner_member", ADDR, nullable=False),  # her address there
    Column("size", BigInteger, nullable=False),  # the partner's cosigned tree
    Column("root", HASH, nullable=False),
    Column("level", Integer, nullable=False),
    Column("recognised", Integer, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("joined_at", BigInteger, nullable=False),  # her Join there
    Column("months", Text, nullable=False),  # JSON list of YYYY-MM she was active there
    Column("receipt", Text, nullable=False),  # the record receipt verified
    Column("verified_at", BigInteger, nullable=False),
)

accounts = Table(
    "svc_accounts", metadata,
    Column("region", REGION, primary_key=True),
    Column("address", ADDR, primary_key=True),
    Column("sealed_key", Text, nullable=True),  # None once exported
    Column("passphrase_hash", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # the Recovery entry whose code set the passphrase; null: set when she redeemed her
    # invitation. A later Recovery of hers voids the passphrase.
    Column("passphrase_seq", BigInteger, nullable=True),
)

invitation_labels = Table(
    "svc_invitation_labels", metadata,  # who an invitation is for: personal, off the log
    Column("region", REGION, primary_key=True),
    Column("code_hash", HASH, primary_key=True),
    Column("label", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

sessions = Table(
    "svc_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("address", ADDR, nullable=False),
    Column("region", REGION, nullable=True),  # managed sessions are per region
    Column("managed", Boolean, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_svc_sessions_address", "address"),
)

auth_nonces = Table(
    "svc_auth_nonces", metadata,
    Column("nonce", String(64), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("used", Boolean, nullable=False),
)

details = Table(
    "svc_details", metadata,
    Column("region", REGION, primary_key=True),
    Column("digest", HASH, primary_key=True),
    Column("owner", ADDR, nullable=False),  # who stored them: they own them
    Column("size", BigInteger, nullable=False),  # bytes of the stored file
    Column("stored_at", BigInteger, nullable=False),
    Index("ix_svc_details_owner", "region", "owner"),
)

rate_limits = Table(
    "svc_rate_limits", metadata,
    Column("key", String(200), primary_key=True),  # e.g. "login-account:<region>:<address>"
    Column("window_start", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),  # attempts (or failures) in the window
    Column("locked_until", BigInteger, nullable=False),
)

health = Table(
    "svc_health", metadata,
    Column("id", Integer, primary_key=True),
    Column("checked_at", BigInteger, nullable=False),  # the health check's write probe
)

anchor_runs = Table(
    "svc_anchor_runs", metadata,  # the last anchoring run of each region (issue 13)
    Column("region", REGION, primary_key=True),
    Column("checked_at", BigInteger, nullable=False),  # when the run ended (unix s)
    Column("outcome", String(20), nullable=False),  # anchored, recovered, ..., failed
    Column("error", Text, nullable=True),  # why the last run failed; None after a success
    Column("failures", Integer, nullable=False),  # failed runs in a row
    Column("anchored_at", BigInteger, nullable=True),  # last run that found it anchored
    Column("seq", BigInteger, nullable=True),  # the latest Anchor entry
    Column("size", BigInteger, nullable=True),  # the tree it anchored
    Column("chain_id", BigInteger, nullable=True),
    Column("tx_hash", HASH, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("note", Text, nullable=True),  # e.g. an anchor the chain lost, anchored again
)

# Notices (issue 12): what a member has read, and where to e-mail her notices. Both are
# the member's own settings, kept off the log (an e-mail address never goes into it).

notice_reads = Table(
    "svc_notice_reads", metadata,
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("read_seq", BigInteger, nullable=False),  # notices up to this entry are read
)

contacts = Table(
    "svc_contacts", metadata,
    Column("region", REGION, primary_key=True),
    Column("member", ADDR, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("lang", String(2), nullable=False),  # ja | en: the language of her e-mails
    Column("mailed_seq", BigInteger, nullable=False),  # notices up to this entry were sent
    Column("updated_at", BigInteger, nullable=False),
)

# -- witnessing (issue 16; operational state, not on the log) --------------------------

witness_logs = Table(
    "svc_witness_logs", metadata,
    Column("region", REGION, primary_key=True),  # the local region whose witness trusts it
    Column("origin", String(64), primary_key=True),
    Column("vkey", Text, nullable=False),  # the log's checkpoint key (C2SP vkey)
    Column("added_at", BigInteger, nullable=False),
)
"""Logs the local regions' witnesses cosign: one row per (witness region, log)."""

witness_state = Table(
    "svc_witness_state", metadata,
    Column("origin", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", String(44), nullable=False),  # base64
    Column("note", Text, nullable=False),  # the checkpoint as submitted
    Column("cosignatures", Text, nullable=False),  # the lines this witness returned
    Column("updated_at", BigInteger, nullable=False),
)
"""The latest checkpoint this server's witness cosigned, per log: only ever grows."""

partner_witnesses = Table(
    "svc_partner_witnesses", metadata,
    Column("region", REGION, primary_key=True),  # the local log that submits
    Column("name", String(200), primary_key=True),  # the witness's key name
    Column("vkey", Text, nullable=False),  # cosigner vkey (type 0x04)
    Column("url", Text, nullable=False),  # submission prefix
    Column("added_at", BigInteger, nullable=False),
)
"""Witnesses a local region's log submits its checkpoints to."""

cosignatures = Table(
    "svc_cosignatures", metadata,
    Column("region", REGION, primary_key=True),
    Column("witness", String(200), primary_key=True),
    Column("size", BigInteger, primary_key=True),
    Column("line", Text, nullable=False),  # the verified signature line
    Column("timestamp", BigInteger, nullable=False),
)
"""Cosignatures returned by partner witnesses, verified, per checkpoint size."""
