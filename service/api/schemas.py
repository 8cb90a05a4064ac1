"""Request and response bodies of the API, for validation and the OpenAPI document.

The body models of signed messages are generated from :data:`ledger.messages.MESSAGE_TYPES`,
so the documented fields are exactly the signed ones. Values are accepted in every form
a wallet sends (addresses in any case, integers as numbers or strings); the service
turns them into the canonical form before checking the signature.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    create_model,
)

from ledger.messages import MESSAGE_TYPES

from ..domain.policy import Policy

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
Bytes32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Signature = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                                 description="65 bytes r‖s‖v as 0x-hex (EIP-712 signature)")]
UintText = Annotated[str, Field(pattern=r"^(0x[0-9a-fA-F]{1,16}|[0-9]{1,16})$")]


def _field(typ: str) -> Any:
    if typ == "string":
        return StrictStr
    if typ == "address":
        return Address
    if typ == "bytes32":
        return Bytes32
    if typ == "bool":
        return StrictBool
    if typ == "address[]":
        return Annotated[list[Address], Field(max_length=64)]
    if typ == "string[]":
        return Annotated[list[StrictStr], Field(max_length=64)]
    if typ.endswith("[]"):
        element = _field(typ[:-2])
        return Annotated[list[element], Field(max_length=64)]  # type: ignore[valid-type]
    bits = int(typ.removeprefix("uint"))
    top = min(2**bits - 1, 2**53 - 1)
    return Annotated[int, Field(ge=0, le=top)] | UintText


def _message_model(name: str) -> type[BaseModel]:
    mtype = MESSAGE_TYPES[name]
    fields: dict[str, Any] = {f: (_field(typ), ...) for f, typ in mtype.fields}
    model: type[BaseModel] = create_model(
        f"{name}Message", __config__=ConfigDict(extra="forbid"), **fields)
    model.__doc__ = f"EIP-712 `{mtype.encode_type()}`, signed by `{mtype.signer_field}`."
    return model


def _signed_model(name: str) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        f"Signed{name}", __config__=ConfigDict(extra="forbid"),
        message=(_message_model(name), ...), signature=(Signature, ...))
    model.__doc__ = f"A `{name}` message and its EIP-712 signature."
    return model


SIGNED: dict[str, type[BaseModel]] = {
    name: _signed_model(name) for name in MESSAGE_TYPES
}


class EntryReceipt(BaseModel):
    """One entry a request appended to the region's log."""

    seq: int = Field(description="The entry's position in the region log (0 is the region's "
                     "first entry)")
    type: str = Field(description="The message type of the entry, e.g. `Claim` or "
                      "`Recognition`")
    leafHash: str = Field(description="RFC 9162 leaf hash of the entry, 0x-hex; what an "
                          "inclusion proof and a badge refer to")
    id: str | None = Field(default=None, description="Id of the claim or quest the entry "
                           "created (0x-hex EIP-712 signing digest), else null")


class Submitted(BaseModel):
    """What a signed request appended: its entry, then the service's consequences
    (recognitions on approval)."""

    id: str | None = Field(default=None, description="Id of the claim or quest created, "
                           "else null")
    entries: list[EntryReceipt] = Field(description="Every entry appended, in log order")


class NonceOut(BaseModel):
    """A single-use nonce for a SIWE message."""

    nonce: str = Field(description="Put it in the `Nonce:` line of the EIP-4361 message")
    expiresAt: int = Field(description="Unix seconds after which the nonce is refused")


class SiweIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: StrictStr = Field(max_length=4096, description="The EIP-4361 message text")
    signature: Signature


class TokenOut(BaseModel):
    """A sign-in: the bearer token and who it signs in."""

    token: str = Field(description="Bearer token for the Authorization header")
    address: str = Field(description="The signed-in address, lowercase 0x-hex")
    expiresAt: int = Field(description="Unix seconds when the token stops working")
    region: str | None = Field(default=None, description="For a member whose key the service "
                               "holds: the region the sign-in is for; null for a wallet")
    managed: bool = Field(default=False, description="Whether the service holds this "
                          "member's key (walletless member)")


class MeOut(BaseModel):
    """Who a bearer token signs in."""

    address: str = Field(description="Lowercase 0x-hex address")
    region: str | None = Field(description="The region of a managed sign-in; null for a wallet")
    managed: bool = Field(description="Whether the service holds this member's key")
    expiresAt: int = Field(description="Unix seconds when the token stops working")


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: StrictStr = Field(min_length=6, max_length=128)
    displayName: StrictStr = Field(min_length=1, max_length=64)
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class RedeemOut(BaseModel):
    """A redeemed invitation: the new member's address, their sign-in and the entries."""

    address: str = Field(description="The address of the key the service created and holds")
    number: str = Field(description="The new member's number (`AMA-0042`): with the "
                        "passphrase, how she signs in on another device")
    token: str = Field(description="Bearer token, signed in as the new member")
    expiresAt: int = Field(description="Unix seconds when the token stops working")
    entries: list[EntryReceipt] = Field(description="The `Custody` and `Join` entries appended")


class LoginIn(BaseModel):
    """Who signs in: ``member`` (a member number such as `AMA-0042` — any case, full-width,
    with or without the prefix or hyphen — or an address), or ``address`` as before."""

    model_config = ConfigDict(extra="forbid")
    member: StrictStr | None = Field(default=None, min_length=1, max_length=64,
                                     description="Member number or 0x address")
    address: Address | None = Field(default=None, description="0x address (or use `member`)")
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: StrictStr = Field(min_length=1, max_length=1024)


class ManagedIn(BaseModel):
    """The fields of a message other than region, signer, nonce and issuedAt, which the
    service fills in before signing with the member's held key."""

    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(default_factory=dict)


class DetailsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(max_length=200)
    type: StrictStr = Field(max_length=100, description="Media type, e.g. image/jpeg")
    data: StrictStr = Field(description="Base64 content")


class Details(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr = Field(default="", max_length=20_000)
    files: list[DetailsFile] = Field(default_factory=list, max_length=10)


class DetailsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    salt: StrictStr = Field(pattern=r"^0x([0-9a-fA-F]{2}){16,64}$")
    details: Details


class BadgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: Address




# -- responses ------------------------------------------------------------------------------
#
# Each model below is exactly the JSON a route returns: the same field names (camelCase as
# sent), null only where the value can be null. Addresses are lowercase 0x-hex (20 bytes),
# ids and hashes 0x-hex (32 bytes) unless a field says base64; times are Unix seconds.

Number = Annotated[float | int, WithJsonSchema({"type": "number"})]
"""A number kept as computed (an integer stays an integer in the JSON)."""


class Ping(BaseModel):
    ok: bool = Field(description="Always true: this worker answers")


class StorageHealth(BaseModel):
    database: str = Field(description="`ok`, or why it takes no write: `busy` (locked by "
                          "another process), `full`, `read-only`, `connection-lost`, "
                          "`unavailable`")
    files: str = Field(description="The data directory (private details): `ok`, `low` "
                       "(little space left), `full`, `read-only`, `unavailable`")
    freeBytes: int | None = Field(description="Free bytes in the data directory")


class LastAnchor(BaseModel):
    seq: int | None = Field(description="Seq of the `Anchor` entry")
    size: int = Field(description="Tree size anchored")
    chainId: int | None = Field(description="Chain it is anchored on")
    txHash: str | None = Field(description="The transaction, 0x-hex")
    blockNumber: int | None = Field(description="Block it was included in")


class AnchorRunState(BaseModel):
    checkedAt: int = Field(description="When the last run ended (unix seconds)")
    outcome: Literal["anchored", "recovered", "already-anchored", "waiting", "failed"] = Field(
        description="What the last run did: `waiting` for enough new entries, `failed` "
        "(see `error`; the next run retries)")
    error: str | None = Field(description="Why the last run failed; null after a success")
    failures: int = Field(description="Runs in a row that failed")
    anchoredAt: int | None = Field(description="When a run last found the log anchored")
    lastAnchor: LastAnchor | None = Field(description="The latest anchor a run recorded")
    note: str | None = Field(description="e.g. an anchor the chain lost and that was "
                             "anchored again")
    behind: int | None = Field(None, description="Entries written since that anchor's tree")


class AnchoringHealth(BaseModel):
    scheduled: bool = Field(description="Whether this server anchors by itself (a chain is "
                            "configured and the interval is not 0)")
    interval: int = Field(description="Seconds between scheduled runs")
    minEntries: int = Field(description="New entries a run waits for before anchoring")
    regions: dict[str, AnchorRunState] = Field(description="Each region's last run")


class WitnessFailure(BaseModel):
    region: str = Field(description="The local region whose checkpoints are sent")
    witness: str = Field(description="The partner witness's name (its vkey's name)")
    error: str = Field(description="Why its last round failed (the next round retries)")


class WitnessingHealth(BaseModel):
    interval: float = Field(description="Seconds between rounds of sending checkpoints")
    failing: list[WitnessFailure] = Field(description="Witnesses whose last round failed")


class Health(BaseModel):
    status: Literal["ok", "degraded", "unhealthy"] = Field(
        description="`degraded` when a log failed its integrity check, space runs low, "
        "a region's last anchoring run failed or a partner witness's last round failed; "
        "`unhealthy` when storage takes no write")
    regions: int = Field(description="How many region logs the store holds")
    refused: dict[str, str] = Field(
        description="Logs refused on open (origin → reason); they are not served")
    anchoring: AnchoringHealth | None = Field(
        None, description="Anchoring on chain: null when no chain is configured and no "
        "region was ever anchored")
    storage: StorageHealth | None = Field(default=None, description="Whether writes work")
    witnessing: WitnessingHealth | None = Field(
        None, description="Sending checkpoints to partner witnesses: null when this "
        "server does not (KAKAWARI_WITNESS_INTERVAL=0, or not `kakawari serve`)")


class RegionListed(BaseModel):
    region: str = Field(description="Region id, as in the URL")
    name: str = Field(description="Display name fixed by the region's first entry")
    size: int = Field(description="Entries in the region's log")
    chainId: int = Field(description="Chain id of the region's EIP-712 signing domain")
    vkey: str = Field(description="Verification key of the region's checkpoints (C2SP note)")
    status: Literal["ok"]


class RegionRefused(BaseModel):
    """A region whose log failed its integrity check: only its id is shown."""

    region: str = Field(description="Region id, as in the URL")
    status: Literal["refused"]


RegionListItem = Annotated[RegionListed | RegionRefused, Field(discriminator="status")]


class LogEntry(BaseModel):
    seq: int = Field(description="Position in the log")
    entry: str = Field(description="The entry's canonical JSON text, exactly the bytes hashed "
                       "into the tree (parse it to read the signed message)")


class Entries(BaseModel):
    size: int = Field(description="Entries in the log now")
    start: int = Field(description="Seq of the first entry listed")
    next: int | None = Field(description="`start` of the next page; null at the end of the log")
    entries: list[LogEntry]


class InclusionProof(BaseModel):
    """RFC 9162 §2.1.3 inclusion proof; hashes are base64, as in checkpoints."""

    index: int = Field(description="Seq of the entry proved")
    size: int = Field(description="Size of the tree it is proved in")
    leafHash: str = Field(description="The entry's leaf hash, base64")
    root: str = Field(description="Root of the tree of `size` entries, base64")
    proof: list[str] = Field(description="Audit path, base64 hashes from the leaf up")


class ConsistencyProof(BaseModel):
    """RFC 9162 §2.1.4 consistency proof; hashes are base64, as in checkpoints."""

    first: int = Field(description="Size of the older tree")
    second: int = Field(description="Size of the newer tree")
    firstRoot: str = Field(description="Root of the older tree, base64")
    secondRoot: str = Field(description="Root of the newer tree, base64")
    proof: list[str] = Field(description="Consistency path, base64 hashes")


class TypedField(BaseModel):
    name: str = Field(description="Field name")
    type: str = Field(description="Solidity type, e.g. `address` or `uint64`")


class SigningDomain(BaseModel):
    name: str = Field(description="Always `Kakawari`")
    version: str = Field(description="Always `1`")
    chainId: int = Field(description="Chain id (of the region asked for, else of new regions)")


class TypedData(BaseModel):
    """Everything a wallet needs for ``eth_signTypedData_v4`` / ethers ``signTypedData``."""

    domain: SigningDomain
    types: dict[str, list[TypedField]] = Field(
        description="Every message type (and `EIP712Domain`) with its fields in order")
    signers: dict[str, str] = Field(
        description="For each message type, the field that names its signer")
    submittable: list[str] = Field(
        description="Types a member or admin may submit (the others the service writes)")


Role = Literal["admin", "verifier", "auditor"]


class MemberSummary(BaseModel):
    address: str = Field(description="The member's address")
    displayName: str = Field(description="Name shown to others (latest `Profile` or `Join`)")
    reading: str | None = Field(default=None, description="Reading of the name in kana "
                                "(furigana; latest `Reading` entry), or null")
    resident: bool | None = Field(
        description="Lives in the region (true), comes from elsewhere (false), or not said")
    joinedSeq: int = Field(description="Seq of the member's `Join` entry")
    joinedAt: int = Field(description="When they joined")
    lifetimePoints: int = Field(description="Every point ever credited, undecayed (levels "
                                "follow these)")
    level: int = Field(description="1 + level thresholds of the policy reached")
    managed: bool = Field(description="Whether the service holds the member's key")
    number: str = Field(description="Member number, e.g. `AMA-0042`: the region in capitals "
                        "and the member's place in the order of joining (1 = first)")


class MemberPage(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    offset: int = Field(description="Items skipped")
    limit: int = Field(description="Page size asked for")
    items: list[MemberSummary] = Field(description="Members in the order they joined")


class RecognitionOut(BaseModel):
    claim: str = Field(description="Id of the approved claim")
    seq: int = Field(description="Seq of the `Recognition` entry")
    points: int = Field(description="Points it credited")
    time: int = Field(description="When it was written")


class BadgeOut(BaseModel):
    claim: str = Field(description="Id of the claim the badge recognises")
    seq: int = Field(description="Seq of the `Badge` entry")
    chainId: int = Field(description="Chain the badge was minted on")
    contract: str = Field(description="Address of the badge contract")
    tokenId: int = Field(description="The badge's token id")
    leafHash: str = Field(description="Leaf hash of the recognition entry the badge holds")


class Member(MemberSummary):
    """A member, with current points, roles, recognitions and badges."""

    points: Number = Field(description="Current points: decayed by the policy's half-life when "
                           "it has one, rounded to 2 decimals")
    policyVersion: int = Field(description="Version of the policy in force (0: the default)")
    nextLevelAt: int | None = Field(
        description="Lifetime points of the next level; null at the top level")
    roles: list[Role] = Field(description="Roles held, sorted")
    recognitions: list[RecognitionOut] = Field(description="In log order")
    badges: list[BadgeOut] = Field(description="In log order")
    redeemedPoints: int = Field(default=0, description="Points spent on perks (redemptions "
                                "not cancelled); lifetime points and level never fall by it")
    spendablePoints: int = Field(default=0, description="Lifetime points minus redeemed "
                                 "points: what perks can still be redeemed with")
    partnerRecords: list[PartnerRecord] = Field(
        default_factory=list, description="Her records in partner regions, verified here "
        "and shown with her consent (issue 16); their points stay in those regions")


class PointLine(BaseModel):
    seq: int = Field(description="The entry the points came from (recognition, endorsement, "
                     "revocation or reinstatement)")
    creditedBySeq: int = Field(description="The entry that credited them (e.g. the approving "
                               "review's recognition, for an endorsement given earlier)")
    kind: Literal["recognition", "endorsement", "revocation", "reinstatement"]
    claim: str | None = Field(description="The claim concerned")
    points: int = Field(description="Points of the line (negative for a revocation)")
    time: int = Field(description="When they were credited")
    policyVersion: int = Field(description="Policy version in force when credited")
    currentValue: Number = Field(description="What the line is worth now (decayed), 2 decimals")
    explanation: str = Field(description="The line in words")


class PointsExplained(BaseModel):
    """A member's points, line by line."""

    member: str = Field(description="The member's address")
    lifetimePoints: int = Field(description="Sum of every line, undecayed")
    points: Number = Field(description="Current points (decayed), 2 decimals")
    decayHalfLifeDays: int | None = Field(
        description="Half-life of points under the policy; null: points don't decay")
    policyVersion: int = Field(description="Version of the policy in force")
    total: int = Field(description="Lines in all (for paging `lines`)")
    lines: list[PointLine] = Field(description="This page of lines, oldest first")


ClaimStatus = Literal["pending", "approved", "rejected", "revoked"]


class ClaimSummary(BaseModel):
    id: str = Field(description="Claim id: 0x-hex EIP-712 signing digest of its `Claim`")
    seq: int = Field(description="Seq of the `Claim` entry")
    contributor: str = Field(description="Who claimed")
    category: str = Field(description="Category of the work (see the policy's categories)")
    title: str = Field(description="What was done")
    minutes: int = Field(description="Time spent")
    occurredAt: int = Field(description="When the work happened")
    quest: str | None = Field(description="Id of the quest it answers, or null")
    detailsHash: str = Field(description="Salted hash of the private details (zero: none)")
    status: ClaimStatus
    approvals: int = Field(description="Approving reviews so far")
    points: int | None = Field(description="Points per person, fixed on approval; null before")
    expectedPoints: int | None = Field(
        default=None, description="While pending: the points per person it earns if approved "
        "under the policy in force now; null once decided")
    endorsementPoints: int = Field(description="Endorsement points credited to the contributor")
    decidedSeq: int | None = Field(
        description="Seq of the entry that last decided it (approval, rejection, revocation, "
        "reinstatement); null while pending")
    createdAt: int = Field(description="When the claim was appended")


class ClaimPage(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    offset: int = Field(description="Items skipped")
    limit: int = Field(description="Page size asked for")
    items: list[ClaimSummary] = Field(description="Claims, newest first")


class ClaimPerson(BaseModel):
    address: str = Field(description="A person of the claim")
    contributor: bool = Field(description="True for who claimed, false for a co-contributor")
    confirmedSeq: int | None = Field(
        description="Seq of their confirmation (the claim itself for the contributor); null "
        "until a co-contributor confirms")


class ReviewOut(BaseModel):
    seq: int = Field(description="Seq of the `Review` entry")
    reviewer: str = Field(description="The verifier")
    approve: bool = Field(description="Approved (true) or rejected")
    reason: str = Field(description="The reviewer's reason (may be empty for an approval)")
    time: int = Field(description="When it was appended")


class EndorsementOut(BaseModel):
    seq: int = Field(description="Seq of the `Endorsement` entry")
    endorser: str = Field(description="Who endorsed")
    amount: int = Field(description="Budget units given")
    note: str = Field(description="The endorser's note")
    time: int = Field(description="When it was appended")
    credited: bool = Field(description="Whether its points reached the contributor (on "
                           "approval)")


class Claim(ClaimSummary):
    """A claim with its people, reviews and endorsements."""

    people: list[ClaimPerson] = Field(description="The contributor first, then co-contributors")
    reviews: list[ReviewOut] = Field(description="In log order")
    endorsements: list[EndorsementOut] = Field(description="In log order")
    detailsErased: bool = Field(description="Whether its private details were erased")


class CheckInOut(BaseModel):
    seq: int = Field(description="Seq of the `CheckInWindow` entry")
    organiser: str = Field(description="Who opened it")
    opensAt: int = Field(description="Check-in opens")
    closesAt: int = Field(description="Check-in closes")


class Quest(BaseModel):
    id: str = Field(description="Quest id: 0x-hex EIP-712 signing digest of its `Quest`")
    seq: int = Field(description="Seq of the `Quest` entry")
    admin: str = Field(description="The admin who posted it")
    title: str = Field(description="What is asked")
    category: str = Field(description="Category of the work")
    points: int = Field(description="Points added to an answering claim")
    opensAt: int = Field(description="Work from this time on may answer it")
    closesAt: int = Field(description="Work after this time may not")
    detailsHash: str = Field(description="Salted hash of its private details (zero: none)")
    claims: int = Field(description="Claims that answered it")
    author: str = Field(description="Who posted or proposed it (same as `admin`)")
    status: Literal["proposed", "open", "declined", "closed"] = Field(
        description="proposed (waiting for an admin or verifier), open, declined, closed")
    description: str = Field(description="Public description (empty for a `Quest` entry's)")
    place: str = Field(description="Where (a place name; empty: not said)")
    geo: str | None = Field(description='"latitude,longitude", or null')
    online: bool = Field(description="Online rather than on site")
    capacity: int = Field(description="Most sign-ups (0: no limit)")
    contact: str | None = Field(description="The member to ask, or null")
    tags: list[str] = Field(description="Tags")
    signups: int = Field(description="People signed up now")
    full: bool = Field(description="Whether every place is taken")
    decidedSeq: int | None = Field(description="The entry that published, declined or closed it")
    reason: str = Field(description="Reason of a decline or closure")
    editedSeq: int | None = Field(description="The latest `QuestEdit` entry")


class QuestDetail(Quest):
    """A quest, with its latest check-in window."""

    checkIn: CheckInOut | None = Field(description="Its latest check-in window, or null")


class QuestPage(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    offset: int = Field(description="Items skipped")
    limit: int = Field(description="Page size asked for")
    items: list[Quest] = Field(description="Quests, newest first")


class Partner(BaseModel):
    """A partner region, as the region's ``Partnership`` entries name it."""

    partner: str = Field(description="The partner's log origin, kakawari/<region>")
    name: str = Field(description="The partner's name")
    url: str = Field(description="Its log URL (C2SP tlog-tiles prefix)")
    logKey: str = Field(description="Its checkpoint key (C2SP vkey)")
    witnessKey: str = Field(description="Its witness key (cosigner vkey, type 0x04)")
    seq: int = Field(description="Seq of the Partnership entry in force (or the last)")
    active: bool = Field(description="False once a PartnershipEnd entry withdrew it")
    endedSeq: int | None = Field(description="Seq of that PartnershipEnd entry")


class PolicyInfo(BaseModel):
    """The points policy in force."""

    version: int = Field(description="Policy version (0: the default, until one is published)")
    seq: int | None = Field(description="Seq of the `Policy` entry; null for the default")
    policy: Policy
    default: bool = Field(description="Whether it is the built-in default (version 0)")


class RegionInfo(BaseModel):
    region: str = Field(description="Region id")
    name: str = Field(description="Display name fixed by the region's first entry")
    chainId: int = Field(description="Chain id of the region's EIP-712 signing domain")
    service: str = Field(description="Address of the service key that signs the service's "
                         "entries (recognitions, custody, badges, anchors)")
    admins: list[str] = Field(description="Addresses holding the admin role, sorted")
    size: int = Field(description="Entries in the region's log")
    policy: PolicyInfo


class KpiMonth(BaseModel):
    month: str = Field(description="`YYYY-MM`, in the region's time zone")
    activeContributors: int = Field(description="Distinct people credited for work that month")
    continuing: int = Field(description="People active in at least two of the three months "
                            "ending that month")
    new: int = Field(description="Active people whose first active month it is")
    returning: int = Field(description="Active people who were active in an earlier month")
    residents: int = Field(description="Active people who live in the region")
    fromElsewhere: int = Field(description="Active people from elsewhere")
    residenceUnknown: int = Field(description="Active people who have not said")
    claims: int = Field(description="Approved claims of work that month")
    minutesByCategory: dict[str, int] = Field(description="Minutes of that work per category")


class KpiPeriod(BaseModel):
    from_: str = Field(alias="from", description="First month (`YYYY-MM`)")
    to: str = Field(description="Last month (`YYYY-MM`)")
    activeContributors: int = Field(description="Distinct people credited for work in any "
                                    "month of the period")
    continuing: int = Field(description="People active in at least two months of the period")
    new: int = Field(description="Active people whose first active month ever is in the period")
    returning: int = Field(description="Active people who were active before the period")
    residents: int = Field(description="Active people who live in the region")
    fromElsewhere: int = Field(description="Active people from elsewhere")
    residenceUnknown: int = Field(description="Active people who have not said")
    claims: int = Field(description="Approved claims of work in the period")
    minutesByCategory: dict[str, int] = Field(description="Minutes of that work per category")


class Kpis(BaseModel):
    """Relationship KPIs (関係人口 by continuing involvement), from approved claims."""

    region: str = Field(description="Region id")
    timeZoneOffsetSeconds: int = Field(description="Offset from UTC used to assign months")
    from_: str = Field(alias="from", description="First month of the period (`YYYY-MM`)")
    to: str = Field(description="Last month of the period (`YYYY-MM`)")
    fiscalYear: int | None = Field(description="The fiscal year (年度, April–March) the "
                                   "period is, if it is one")
    months: list[KpiMonth] = Field(description="Oldest month first, none after this month "
                                   "(a fiscal year under way has no figures for those yet)")
    period: KpiPeriod = Field(description="The whole period, each person counted once")
    decisions: list[DecisionHealthRow] = Field(
        default_factory=list, description="Health of every decided proposal, oldest first")


class StoredFile(BaseModel):
    name: str = Field(description="File name")
    type: str = Field(description="Media type, e.g. image/jpeg")
    data: str = Field(description="Base64 content")


class StoredDetails(BaseModel):
    """Fields are present as they were stored."""

    text: str = Field(default="", description="Free text")
    files: list[StoredFile] = Field(default_factory=list, description="Attached files")


class DetailsOut(BaseModel):
    detailsHash: str = Field(description="The salted hash the details are stored under")
    salt: str = Field(description="The salt, 0x-hex: SHA-256(salt ‖ JCS(details)) is the hash")
    details: StoredDetails


class KdfParams(BaseModel):
    dklen: int
    n: int
    r: int
    p: int
    salt: str = Field(description="Hex")


class CipherParams(BaseModel):
    iv: str = Field(description="Hex")


class KeystoreCrypto(BaseModel):
    cipher: str = Field(description="`aes-128-ctr`")
    cipherparams: CipherParams
    ciphertext: str = Field(description="Hex")
    kdf: str = Field(description="`scrypt`")
    kdfparams: KdfParams
    mac: str = Field(description="Hex")


class Keystore(BaseModel):
    """An Ethereum keystore v3 (Web3 Secret Storage) JSON, encrypted with the passphrase;
    import it into a wallet."""

    address: str = Field(description="Address, hex without 0x")
    crypto: KeystoreCrypto
    id: str = Field(description="UUID")
    version: int = Field(description="3")


class Budget(BaseModel):
    """A member's endorsement budget in the current epoch."""

    member: str = Field(description="The member's address")
    budget: int = Field(description="Units each member may give per epoch")
    used: int = Field(description="Units given this epoch")
    left: int = Field(description="Units left this epoch")
    epoch: int = Field(description="Number of the current epoch")
    epochEnd: int = Field(description="When the current epoch ends")


class ConnectionNode(BaseModel):
    address: str = Field(description="A member involved in a claim or an endorsement")
    displayName: str
    resident: bool | None = Field(description="Lives in the region, from elsewhere, or not said")
    claims: int = Field(description="Claims (pending or approved) they are named on")
    endorsementsGiven: int = Field(description="Endorsement units given")
    endorsementsReceived: int = Field(description="Endorsement units received")


class TogetherEdge(BaseModel):
    """Two people named on the same claims (undirected: `from` < `to`)."""

    kind: Literal["together"]
    from_: str = Field(alias="from", description="One address")
    to: str = Field(description="The other address")
    count: int = Field(description="Claims they share")


class EndorsedEdge(BaseModel):
    """Endorsements from one member to another's claims."""

    kind: Literal["endorsed"]
    from_: str = Field(alias="from", description="The endorser")
    to: str = Field(description="The contributor endorsed")
    count: int = Field(description="Endorsements")
    amount: int = Field(description="Units in all")


class Connections(BaseModel):
    """Who contributed with whom and who endorsed whom, as a graph."""

    region: str = Field(description="Region id")
    nodes: list[ConnectionNode] = Field(description="In the order they joined")
    edges: list[Annotated[TogetherEdge | EndorsedEdge, Field(discriminator="kind")]] = Field(
        description="`together` edges, then `endorsed` edges, each sorted by address")


class Invitation(BaseModel):
    codeHash: str = Field(description="SHA-256 of the code, 0x-hex (the code itself is "
                          "never stored)")
    seq: int = Field(description="Seq of the `Invitation` entry")
    admin: str = Field(description="The admin who issued it")
    expiresAt: int = Field(description="When the code stops working")
    member: str | None = Field(description="Who redeemed it; null while unused")
    revokedSeq: int | None = Field(default=None, description="Seq of the "
                                   "`InvitationRevocation` that withdrew it; null if none")
    label: str | None = Field(default=None, description="Who it is for (kept off the log)")


class InvitationPage(BaseModel):
    total: int = Field(description="Items matching, over all pages")
    offset: int = Field(description="Items skipped")
    limit: int = Field(description="Page size asked for")
    items: list[Invitation] = Field(description="Invitations, newest first")


class AnchorRecord(BaseModel):
    seq: int = Field(description="Seq of the `Anchor` entry")
    chainId: int = Field(description="Chain the checkpoint was written to")
    contract: str = Field(description="Address of the anchor contract")
    txHash: str = Field(description="The transaction, 0x-hex")
    blockNumber: int = Field(description="Block it was included in")
    size: int = Field(description="Tree size anchored")
    root: str = Field(description="Root anchored, 0x-hex")


class Anchor(AnchorRecord):
    time: int = Field(description="When it was appended")


class Anchored(BaseModel):
    region: str = Field(description="Region id")
    logSize: int = Field(description="Entries in the log now")
    behind: int = Field(description="Entries appended since the anchored tree")
    anchor: Anchor = Field(description="The latest `Anchor` entry")


class NotAnchored(BaseModel):
    region: str = Field(description="Region id")
    logSize: int = Field(description="Entries in the log now")
    anchor: None = Field(description="null: no `Anchor` entry among the latest entries")


# -- problems -------------------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem: every error of the API, as "
    "`application/problem+json`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`urn:kakawari:problem:<code>`; switch on "
                 "the code (stable), not on the text"},
        "title": {"type": "string", "description": "Short summary of the problem"},
        "status": {"type": "integer", "description": "The HTTP status code"},
        "detail": {"type": "string", "description": "What happened, in words a member can "
                   "act on (Japanese with `Accept-Language: ja`)"},
        "instance": {"type": "string", "description": "The request path"},
        "code": {"type": "string", "description": "The rule's refusal code, for refusals "
                 "by a recognition rule (same as the end of `type`)"},
        "errors": {
            "type": "array",
            "description": "For `invalid-request` (422): every field that failed",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "Where, dotted "
                              "(e.g. `body.message.minutes`)"},
                    "message": {"type": "string", "description": "What is wrong"},
                },
            },
        },
    },
    "additionalProperties": True,
}
"""The schema of every error response (component ``Problem`` of the OpenAPI document)."""


# -- receipts (audit) -----------------------------------------------------------------------


class ReceiptEntry(BaseModel):
    seq: int = Field(description="Position in the log")
    entry: str = Field(description="The entry's canonical JSON text (the bytes hashed)")
    leafHash: str = Field(description="RFC 9162 leaf hash, base64")
    proof: list[str] = Field(description="Inclusion proof in the tree of `size`, base64 hashes")


class Receipt(BaseModel):
    """A claim's receipt (``kakawari-receipt/1``): the region's first entry and every
    entry about the claim, each with its inclusion proof in one tree, that tree's
    signed checkpoint and, when it is anchored, the anchor. Verify it offline with
    ``kakawari audit verify-receipt``."""

    format: str = Field(description="`kakawari-receipt/1`")
    region: str = Field(description="Region id")
    origin: str = Field(description="Log origin, `kakawari/<region>`")
    regionName: str | None = Field(description="The region's display name")
    claim: str = Field(description="The claim's id")
    title: str | None = Field(description="The claim's title")
    member: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        default=None, description="Only when asked for with `member`: that member's address")
    points: int | None = Field(default=None, description="Only when asked for with `member`: "
                               "the points their recognition gave, null if none")
    checkpointKey: str = Field(description="Verification key of the region's checkpoints")
    checkpoint: str = Field(description="The signed checkpoint (C2SP note) of the tree")
    size: int = Field(description="Size of the tree the proofs are in")
    entries: list[ReceiptEntry] = Field(description="Entry 0, then the claim's entries, in "
                                        "log order")
    anchor: AnchorRecord | None = Field(description="The anchor of that tree; null when the "
                                        "entries are not anchored yet")


class RecordReceipt(BaseModel):
    """A member's record receipt (``kakawari-receipt/1`` with ``record``, issue 16): the
    region's first entry, her ``Join``, her ``RecordLink`` for the partner, the policy in
    force, her ``Recognition`` entries and, for the claims they recognise, the ``Claim``,
    ``Revocation`` and ``Reinstatement`` entries, each proven in one tree whose signed
    checkpoint carries the partner witness's cosignature. The partner region verifies
    it (``PUT …/members/{address}/partner-records``) and recomputes what it shows."""

    format: str = Field(description="`kakawari-receipt/1`")
    region: str = Field(description="Region id")
    origin: str = Field(description="Log origin, `kakawari/<region>`")
    regionName: str | None = Field(description="The region's display name")
    record: str = Field(description="The member's address in this region")
    partner: str = Field(description="The partner region's origin it is for")
    recognised: int = Field(description="Her recognised activities: claims with a "
                            "`Recognition` of her that are not revoked")
    points: int = Field(description="Her lifetime points here (at least what those "
                        "recognitions credit; endorsements add)")
    level: int = Field(description="Her level here (the policy's level of those points)")
    checkpointKey: str = Field(description="Verification key of the region's checkpoints")
    checkpoint: str = Field(description="The signed checkpoint (C2SP note) of the tree, with "
                            "the partner witness's cosignature line")
    size: int = Field(description="Size of the tree the proofs are in")
    entries: list[ReceiptEntry] = Field(description="Entry 0, then her record's entries, in "
                                        "log order")
    anchor: AnchorRecord | None = Field(description="Always null: a record receipt is "
                                        "proven in a cosigned checkpoint")


class RecordReceiptIn(BaseModel):
    """A record receipt to show on a member's profile."""

    receipt: dict[str, Any] = Field(description="The `kakawari-receipt/1` record receipt "
                                    "her partner region gave (`GET …/members/{address}/"
                                    "record?partner=`)")


class PartnerRecord(BaseModel):
    """A member's record in a partner region, verified here: against the partner's log
    key (its `Partnership` entry) and this region's own cosignature of the partner's
    checkpoint. Shown while her `RecordLink` here shows it. Her points there stay there."""

    partner: str = Field(description="The partner region's origin, kakawari/<region>")
    partnerName: str = Field(description="The partner's name, e.g. 海士町")
    member: str = Field(description="Her address in the partner region")
    joinedAt: int = Field(description="When she joined the partner region (its `Join` entry)")
    recognised: int = Field(description="Her recognised activities there (recomputed from "
                            "the entries)")
    lifetimePoints: int = Field(description="Her lifetime points there (not points here)")
    level: int = Field(description="Her level there")
    months: list[str] = Field(description="Months (`YYYY-MM`, JST) in which her recognised "
                              "activities there happened")
    size: int = Field(description="Size of the partner's cosigned tree the record is proven in")
    root: str = Field(description="Root hash of that tree, 0x hex")
    verifiedAt: int = Field(description="When this region verified it")


# -- proposals and votes ---------------------------------------------------------------------


class PowerCount(BaseModel):
    voters: int = Field(description="How many members")
    power: int = Field(description="Their voting power together")


class Participation(PowerCount):
    votes: int = Field(description="Vote entries, changes of mind included")


class Quorum(BaseModel):
    power: int = Field(description="Power that must take part")
    reached: bool


class IrvRoundOut(BaseModel):
    counts: list[int | None] = Field(description="Power per choice; null: out of the race")
    exhausted: int = Field(description="Power of ballots with no continuing choice left")
    eliminated: int | None = Field(description="Choice eliminated after this round")
    tie: str | None = Field(description="Tie-break used: earlier-rounds or listed-last")


class ProposalResult(BaseModel):
    """The count (docs/governance.md): as the Decision entry holds it, or provisional."""

    model_config = ConfigDict(extra="forbid")
    method: str
    choices: list[str]
    eligible: PowerCount
    turnout: PowerCount
    quorum: Quorum
    votes: int = Field(description="Vote entries, changes included")
    totals: list[int] = Field(description="Power per choice (first preferences when ranked)")
    winners: list[int] = Field(description="Winning choices; budget: funded, in order funded")
    passed: bool
    rounds: list[IrvRoundOut] | None = Field(default=None, description="ranked: every round")
    budget: int | None = None
    costs: list[int] | None = None
    mes: list[int] | None = Field(default=None, description="budget: what MES alone funds")
    spent: int | None = None
    greedy: list[int] | None = Field(default=None, description="budget: greedy by votes")
    greedySpent: int | None = None


class DecisionHealth(BaseModel):
    turnoutPercent: float = Field(description="Voted power, % of eligible power")
    top10Percent: float = Field(description="% of the voted power held by the top 10% voters")
    nakamoto: int = Field(description="Fewest voters holding more than half the voted power")
    changedLast24h: int = Field(description="Votes in the last 24 hours (before closing) "
                                "that replaced an earlier vote")


class ProposalRules(BaseModel):
    """The governance rules of the policy in force when the proposal was made."""

    policyVersion: int
    voteLevel: int
    power: str = Field(description="member, level or sqrtPoints")
    capPercent: int | None
    quorumPercent: int
    supportPercent: int


class ProposalSummary(BaseModel):
    id: str = Field(description="0x-hex EIP-712 signing digest of the `Proposal`")
    seq: int
    proposer: str
    title: str
    method: str = Field(description="for-against, single, approval, ranked or budget")
    choices: list[str]
    opensAt: int
    closesAt: int
    status: str = Field(description="upcoming, open, closed (decision pending), decided, "
                        "withdrawn or cancelled")
    votes: int
    eligible: PowerCount


class ProposalPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ProposalSummary] = Field(description="Newest first")


class ProposalDetail(ProposalSummary):
    text: str = Field(description="The full text voters see")
    costs: list[int]
    budget: int
    hideTotals: bool
    rules: ProposalRules = Field(description="The governance rules fixed at the proposal")
    reason: str | None = Field(description="Why it was withdrawn or cancelled")
    endedSeq: int | None = Field(description="Seq of its Withdrawal, Cancellation or Decision")
    participation: Participation
    result: ProposalResult | None = Field(description="null while totals are hidden")
    provisional: bool = Field(description="Whether the result is a running count")
    health: DecisionHealth | None = Field(description="Decided, or for admins")
    myBallot: list[int] | None = Field(description="The asking voter's ballot that counts")


class VoteReceipt(BaseModel):
    """A voter's receipt (``kakawari-receipt/1``): the region's first entry, the proposal,
    each vote of the voter on it and its decision (once written), each with its
    inclusion proof in one signed tree. Verify it offline with ``kakawari audit
    verify-receipt``."""

    format: str = Field(description="`kakawari-receipt/1`")
    region: str
    origin: str
    regionName: str | None = Field(description="The region's display name")
    proposal: str = Field(description="The proposal's id")
    voter: str = Field(description="The voter's address")
    title: str | None = Field(description="The proposal's title")
    checkpointKey: str
    checkpoint: str
    size: int
    entries: list[ReceiptEntry]
    anchor: AnchorRecord | None


class DecisionHealthRow(DecisionHealth):
    proposal: str
    title: str
    method: str
    closesAt: int
    passed: bool


Kpis.model_rebuild()
# -- notices (issue 12) ----------------------------------------------------------------------

NoticeKind = Literal["approved", "rejected", "thanked", "confirm", "quest", "signup"]


class Notice(BaseModel):
    seq: int = Field(description="The entry the notice comes from")
    kind: NoticeKind = Field(description="approved (a recognition for you), rejected (with "
                             "the reason), thanked, confirm (you were named on an activity), "
                             "quest (a new quest), signup (someone signed up for a quest "
                             "you organise)")
    time: int | None = Field(description="When it happened (for a quest: when it opens)")
    read: bool = Field(description="Whether you have read it")
    claim: str | None = Field(default=None, description="The activity it is about")
    quest: str | None = Field(default=None, description="The quest it is about")
    title: str | None = Field(default=None, description="Title of the activity or quest")
    by: str | None = Field(default=None, description="Who did it (reviewer, endorser, ...)")
    byName: str | None = Field(default=None, description="Their display name")
    points: int | None = Field(default=None, description="Points recognised, or a quest's bonus")
    amount: int | None = Field(default=None, description="Thanks given")
    note: str | None = Field(default=None, description="The thanks' message")
    reason: str | None = Field(default=None, description="Why it was not approved")
    done: bool | None = Field(default=None, description="confirm: whether you confirmed")


class Notices(BaseModel):
    unread: int = Field(description="How many of the notices are unread")
    readSeq: int = Field(description="Notices up to this entry are read (-1: none)")
    items: list[Notice] = Field(description="Newest first")


class NoticesReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upTo: int | None = Field(default=None, ge=-1, le=2**53 - 1,
                             description="Mark notices up to this entry read (default: all)")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, description="Where to e-mail your notices")
    lang: Literal["ja", "en"] = Field(default="ja", description="Language of the e-mails")


class ContactOut(BaseModel):
    email: str | None = Field(description="The address your notices go to, or null")
    lang: Literal["ja", "en"] | None = Field(description="Language of the e-mails")
    mailing: bool = Field(description="Whether this server sends e-mail at all")
Member.model_rebuild()
