"""The EIP-712 message types that go into a region's log.

Each type names the field that holds its signer's address: an entry is valid only
when the recovered signer equals that field. Field lists are part of the product —
wallets and scripts outside this project sign them — so change them only by adding a
new type. ``service/`` adds its rules on top; the shapes live here so that the
offline verifier knows every type without importing the service.

EIP-712 domain: name ``Kakawari``, version ``1``, the chain id recorded in the
region's first (``Region``) entry.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN_NAME = "Kakawari"
DOMAIN_VERSION = "1"


@dataclass(frozen=True)
class MessageType:
    """One EIP-712 struct type: its name, ordered ``(name, type)`` fields, and the
    address field whose key must have signed it."""

    name: str
    fields: tuple[tuple[str, str], ...]
    signer_field: str

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    def encode_type(self) -> str:
        """``encodeType`` of EIP-712 (no referenced struct types are used here)."""
        inner = ",".join(f"{typ} {name}" for name, typ in self.fields)
        return f"{self.name}({inner})"


def _t(name: str, signer: str, spec: str) -> MessageType:
    fields = []
    for part in spec.split(","):
        typ, field = part.strip().split(" ")
        fields.append((field, typ))
    assert signer in {f for f, _ in fields}, (name, signer)
    return MessageType(name, tuple(fields), signer)


MESSAGE_TYPES: dict[str, MessageType] = {
    t.name: t
    for t in (
        # Written by the service key when a region is created: fixes the chain id of
        # the signing domain, the checkpoint key and the first admin.
        _t(
            "Region",
            "service",
            "string region,string name,uint64 chainId,address service,address admin,"
            "string checkpointKey,uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Join",
            "member",
            "string region,address member,string displayName,uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Role",
            "admin",
            "string region,address admin,address member,string role,bool granted,"
            "uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Claim",
            "contributor",
            "string region,address contributor,string category,string title,uint32 minutes,"
            "uint64 occurredAt,bytes32 quest,address[] coContributors,bytes32 detailsHash,"
            "uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Confirmation",
            "coContributor",
            "string region,address coContributor,bytes32 claim,uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Review",
            "reviewer",
            "string region,address reviewer,bytes32 claim,bool approve,string reason,"
            "uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "Endorsement",
            "endorser",
            "string region,address endorser,bytes32 claim,uint32 amount,string note,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # Written by the service key when a claim is approved: the points each
        # contributor receives for it.
        _t(
            "Recognition",
            "service",
            "string region,address service,bytes32 claim,address member,uint64 points,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # --- recognition service types (service/domain) --------------------------------
        # A member's own profile: display name and whether they live in the region
        # (residents vs 関係人口 from elsewhere, for the region's KPIs).
        _t(
            "Profile",
            "member",
            "string region,address member,string displayName,bool resident,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # A member's reading of their display name (furigana, e.g. やまだ はなこ), so the
        # region office finds them by it; an empty reading removes it.
        _t(
            "Reading",
            "member",
            "string region,address member,string reading,uint64 nonce,uint64 issuedAt",
        ),
        # An admin posts a quest (かかわりしろ); its id is the EIP-712 signing digest.
        _t(
            "Quest",
            "admin",
            "string region,address admin,string title,string category,uint32 points,"
            "uint64 opensAt,uint64 closesAt,bytes32 detailsHash,uint64 nonce,uint64 issuedAt",
        ),
        # An admin publishes version `version` of the points policy: `policy` is its
        # JSON text (docs/log-format.md describes the members).
        _t(
            "Policy",
            "admin",
            "string region,address admin,uint32 version,string policy,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # An admin revokes a claim (its points stop counting) or reinstates a revoked one.
        _t(
            "Revocation",
            "admin",
            "string region,address admin,bytes32 claim,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        _t(
            "Reinstatement",
            "admin",
            "string region,address admin,bytes32 claim,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # The contributor (or an admin) has the private details under `detailsHash`
        # erased; the log keeps only the salted hash.
        _t(
            "Erasure",
            "requester",
            "string region,address requester,bytes32 detailsHash,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # An admin issues an invitation for a walletless member: `codeHash` is the
        # SHA-256 of the code handed to the person.
        _t(
            "Invitation",
            "admin",
            "string region,address admin,bytes32 codeHash,uint64 expiresAt,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # An admin withdraws an invitation nobody has redeemed yet (issue 12).
        _t(
            "InvitationRevocation",
            "admin",
            "string region,address admin,bytes32 codeHash,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # An admin issues a recovery code for a managed member who lost her passphrase:
        # from this entry on her old passphrase no longer signs her in; with the code
        # (SHA-256 `codeHash`) she sets a new one. Her key and history stay hers.
        _t(
            "Recovery",
            "admin",
            "string region,address admin,address member,bytes32 codeHash,uint64 expiresAt,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # Written by the service key: it holds (`held`) or has handed over (not `held`)
        # the key of `member`, created for the invitation `invitation` (its codeHash).
        _t(
            "Custody",
            "service",
            "string region,address service,address member,bytes32 invitation,bool held,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # Written by the service key after minting a soulbound badge for a recognition:
        # `leafHash` is the recognition entry's leaf hash, which the badge holds on chain.
        _t(
            "Badge",
            "service",
            "string region,address service,bytes32 claim,address member,uint64 chainId,"
            "address contract,uint64 tokenId,bytes32 leafHash,uint64 nonce,uint64 issuedAt",
        ),
        # --- quests people can join, check-in, perks (issue 14) -------------------------
        # A quest with everything a person needs to join it. Posted by an admin it is
        # open at once; by another member (a resident's かかわりしろ) it waits for an
        # admin or verifier to publish it. Its id is the EIP-712 signing digest, like a
        # `Quest`'s (which stays valid: old quests simply lack these fields). `geo` is
        # "lat,lon" or ""; `capacity` 0 means no limit; `contact` a member or the zero
        # address; `tags` comma-separated.
        _t(
            "QuestPost",
            "author",
            "string region,address author,string title,string category,uint32 points,"
            "uint64 opensAt,uint64 closesAt,string description,string place,string geo,"
            "bool online,uint32 capacity,address contact,string tags,bytes32 detailsHash,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # An admin or verifier publishes (or declines, with a reason) a proposed quest.
        _t(
            "QuestDecision",
            "reviewer",
            "string region,address reviewer,bytes32 quest,bool publish,string reason,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # An admin replaces the public fields of a quest (either kind); the old values
        # stay in the earlier entries.
        _t(
            "QuestEdit",
            "admin",
            "string region,address admin,bytes32 quest,string title,string category,"
            "uint32 points,uint64 opensAt,uint64 closesAt,string description,string place,"
            "string geo,bool online,uint32 capacity,address contact,string tags,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # An admin closes a quest: no more sign-ups or answers from then on.
        _t(
            "QuestClosure",
            "admin",
            "string region,address admin,bytes32 quest,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # A member signs up for a quest (`joined`) or cancels their sign-up.
        _t(
            "SignUp",
            "member",
            "string region,address member,bytes32 quest,bool joined,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # The organiser of a quest opens its check-in from `opensAt` to `closesAt`.
        _t(
            "CheckInWindow",
            "organiser",
            "string region,address organiser,bytes32 quest,uint64 opensAt,uint64 closesAt,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # An admin lists a perk (特典), or changes one (`perk` = its id; 32 zero bytes
        # for a new perk, whose id is then this message's signing digest).
        _t(
            "Perk",
            "admin",
            "string region,address admin,bytes32 perk,string title,string description,"
            "uint32 cost,uint32 stock,uint64 validUntil,string place,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # A member redeems a perk for `cost` points of their spendable balance; the id is
        # the signing digest.
        _t(
            "Redemption",
            "member",
            "string region,address member,bytes32 perk,uint32 cost,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # The office marks a redemption `handed-over`, or the member or an admin
        # `cancelled` it (its points return). Never edited otherwise.
        _t(
            "RedemptionStatus",
            "actor",
            "string region,address actor,bytes32 redemption,string status,string reason,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # --- deciding together (service/domain/governance.py) --------------------------
        # A member at the policy's level (or an admin) proposes; `text` is the full text
        # voters see, in the log for good. `method`: for-against (choices empty: for,
        # against, abstain), single, approval, ranked or budget (`costs` per choice and
        # the total `budget`; otherwise both empty/0). Its id is the signing digest.
        _t(
            "Proposal",
            "proposer",
            "string region,address proposer,string title,string text,string method,"
            "string[] choices,uint64[] costs,uint64 budget,uint64 opensAt,uint64 closesAt,"
            "bool hideTotals,uint64 nonce,uint64 issuedAt",
        ),
        # A ballot fitting the proposal's method: choice indices (one; a set; a ranking,
        # most preferred first; a set of projects within the budget). The last vote of
        # a voter before closing counts.
        _t(
            "Vote",
            "voter",
            "string region,address voter,bytes32 proposal,uint32[] ballot,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # The proposer withdraws a proposal nobody has voted on yet.
        _t(
            "Withdrawal",
            "proposer",
            "string region,address proposer,bytes32 proposal,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # An admin cancels a proposal before its decision, with a reason.
        _t(
            "Cancellation",
            "admin",
            "string region,address admin,bytes32 proposal,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # Written by the service key once a proposal has closed: `result` is the JSON
        # text (RFC 8785) of the full count, which an auditor recomputes from the votes.
        _t(
            "Decision",
            "service",
            "string region,address service,bytes32 proposal,string result,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # Signed by an admin: a partnership with another region (issue 16), naming the
        # partner's log origin, its checkpoint key (vkey), its witness key (cosigner vkey)
        # and its log URL (the tlog-tiles prefix). `PartnershipEnd` withdraws it.
        _t(
            "Partnership",
            "admin",
            "string region,address admin,string partner,string partnerName,string logKey,"
            "string witnessKey,string url,uint64 nonce,uint64 issuedAt",
        ),
        _t(
            "PartnershipEnd",
            "admin",
            "string region,address admin,string partner,string reason,uint64 nonce,"
            "uint64 issuedAt",
        ),
        # A member's consent that her record travels between partner regions (issue 16).
        # In the region where the record is (say Ama, `partner` Tabayama): Ama's record of
        # `member` may be shown in Tabayama to Tabayama's member `partnerMember`. In the
        # region where it is shown (Tabayama, `partner` Ama): show on my profile the Ama
        # record of `partnerMember`. `shown` false withdraws the consent. Points never
        # move: each region's points stay its own.
        _t(
            "RecordLink",
            "member",
            "string region,address member,string partner,address partnerMember,bool shown,"
            "uint64 nonce,uint64 issuedAt",
        ),
        # Written by the service key right after a `RecordLink` that shows a record: what
        # the member's record here is at that point, for the partner region to show —
        # `recognised` claims of hers with a recognition, not revoked; her lifetime
        # `points` and `level`; `months`, comma-separated YYYY-MM (JST, ascending), in
        # which the work of those claims happened. An auditor recomputes every field.
        _t(
            "RecordSummary",
            "service",
            "string region,address service,address member,string partner,uint32 recognised,"
            "uint64 points,uint32 level,string months,uint64 nonce,uint64 issuedAt",
        ),
        # Written by the service key after a checkpoint is anchored on chain.
        _t(
            "Anchor",
            "service",
            "string region,address service,uint64 chainId,address contract,bytes32 txHash,"
            "uint64 blockNumber,uint64 size,bytes32 root,uint64 nonce,uint64 issuedAt",
        ),
    )
}
