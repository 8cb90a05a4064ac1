"""The recognition routes: signed POSTs that append entries, and reads of projections.

Every signed POST takes ``{"message": {...}, "signature": "0x..."}`` (the message as a
wallet's ``eth_signTypedData_v4`` signed it, see ``GET /v1/typed-data``) and returns the
entries it appended. Refusals are problem+json with the rule's code.
"""

# No `from __future__ import annotations`: the generated body models must resolve at def time.

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from ledger import eip712
from ledger.messages import MESSAGE_TYPES

from ..domain import DomainError, queries
from ..domain.details import check_files
from ..domain.kpis import (
    MAX_MONTHS,
    add_months,
    fiscal_year,
    month_of,
    months_between,
    region_kpis,
    to_csv,
)
from ..domain.proposals import decision_health
from ..domain.rules import CHECKS
from ..domain.tables import roles as roles_table
from ..travel import accept_record, fetch_record, partner_records, record_receipt
from .deps import (
    ConnDep,
    Limit,
    Offset,
    RegionDep,
    Services,
    ServicesDep,
    SessionDep,
    page,
)
from .problems import Problem
from .schemas import (
    SIGNED,
    BadgeIn,
    Claim,
    ClaimPage,
    DetailsIn,
    DetailsOut,
    Kpis,
    ManagedIn,
    Member,
    MemberPage,
    Partner,
    PartnerRecord,
    Ping,
    PointsExplained,
    PolicyInfo,
    QuestDetail,
    QuestPage,
    RecordReceipt,
    RecordReceiptIn,
    RegionInfo,
    Submitted,
    TypedData,
)

router = APIRouter(prefix="/v1", tags=["recognition"])

AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]
HashPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]


def _submit(svc: Services, region: str, type_: str, body: Any,
            expect: dict[str, str] | None = None) -> dict[str, Any]:
    signed = svc.domain.signed(type_, body.message.model_dump(), body.signature)
    for name, value in (expect or {}).items():
        if signed.message[name] != value.lower():
            raise DomainError("bad-message", reason=f"The message's {name} is "
                              f"{signed.message[name]}, but it was sent to {value.lower()}.")
    receipts = svc.domain.submit(region, [signed])
    _after(svc, region, signed)
    return {"id": receipts[0].id, "entries": [r.to_json() for r in receipts]}


def _after(svc: Services, region: str, signed: Any) -> None:
    """What follows an entry outside the log: a ``Recovery`` ends the member's sign-ins
    (her passphrase no longer works)."""
    if signed.type == "Recovery":
        svc.auth.end_all(signed.message["member"])


def _signed_route(path: str, type_: str, summary: str, expect: str | None = None) -> None:
    body_model = SIGNED[type_]

    if expect is None:
        def handler(region: RegionDep, body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                    ) -> dict[str, Any]:
            return _submit(svc, region, type_, body)
    else:
        def handler(region: RegionDep, claim: HashPath,  # type: ignore[misc]
                    body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                    ) -> dict[str, Any]:
            return _submit(svc, region, type_, body, {expect: claim})

    handler.__name__ = f"post_{type_.lower()}"
    router.add_api_route(
        path, handler, methods=["POST"], status_code=201,
        response_model=Submitted, summary=summary,
        description=f"Append a signed `{MESSAGE_TYPES[type_].encode_type()}`.")


_signed_route("/regions/{region}/members", "Join", "Join a region")
_signed_route("/regions/{region}/profile", "Profile", "Update your profile")
_signed_route("/regions/{region}/reading", "Reading",
              "Set the reading (furigana) of your name, or remove it")
_signed_route("/regions/{region}/roles", "Role", "Grant or withdraw a role (admin)")
_signed_route("/regions/{region}/claims", "Claim", "Claim a contribution")
_signed_route("/regions/{region}/claims/{claim}/confirmations", "Confirmation",
              "Confirm your part in a claim (co-contributor)", expect="claim")
_signed_route("/regions/{region}/claims/{claim}/reviews", "Review",
              "Approve or reject a claim (verifier)", expect="claim")
_signed_route("/regions/{region}/claims/{claim}/endorsements", "Endorsement",
              "Endorse someone's contribution", expect="claim")
_signed_route("/regions/{region}/quests", "Quest", "Post a quest (admin)")
_signed_route("/regions/{region}/policy", "Policy", "Publish a new points policy (admin)")
_signed_route("/regions/{region}/revocations", "Revocation", "Revoke a claim (admin)")
_signed_route("/regions/{region}/reinstatements", "Reinstatement",
              "Reinstate a revoked claim (admin)")
_signed_route("/regions/{region}/erasures", "Erasure",
              "Erase private details (their contributor or an admin)")
_signed_route("/regions/{region}/partners", "Partnership", "Name a partner region (admin)")
_signed_route("/regions/{region}/partners/end", "PartnershipEnd",
              "End a partnership (admin)")
_signed_route("/regions/{region}/record-links", "RecordLink",
              "Consent that your record travels between partner regions, or withdraw it")
_signed_route("/regions/{region}/invitations", "Invitation",
              "Invite a person without a wallet (admin)")
_signed_route("/regions/{region}/invitation-revocations", "InvitationRevocation",
              "Withdraw an unused invitation (admin)")
_signed_route("/regions/{region}/recoveries", "Recovery",
              "Issue a recovery code for a managed member (admin); her passphrase stops working")


@router.get("/ping", tags=["log"], response_model=Ping)
def ping() -> dict[str, bool]:
    """Liveness of this worker, without touching the database (see ``/v1/health``)."""
    return {"ok": True}


@router.get("/typed-data", tags=["signing"], response_model=TypedData)
def typed_data(svc: ServicesDep, region: Annotated[str | None, Query(max_length=40)] = None
               ) -> dict[str, Any]:
    """The EIP-712 domain (of ``region``, else of new regions) and every message type,
    ready for ``eth_signTypedData_v4``/ethers ``signTypedData(domain, types, message)``."""
    chain_id = svc.settings.chain_id
    if region is not None:
        from .deps import known_region

        chain_id = svc.regions.facts(known_region(region, svc)).chain_id
    domain = eip712.Domain(chain_id)
    return {
        "domain": domain.as_json(),
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in eip712.DOMAIN_TYPE],
            **{name: [{"name": n, "type": t} for n, t in m.fields]
               for name, m in MESSAGE_TYPES.items()},
        },
        "signers": {name: m.signer_field for name, m in MESSAGE_TYPES.items()},
        "submittable": sorted(CHECKS),
    }


@router.get("/regions/{region}", tags=["regions"], response_model=RegionInfo)
def region_info(region: RegionDep, svc: ServicesDep, conn: ConnDep) -> dict[str, Any]:
    """A region: its first entry's facts, log size and current points policy."""
    facts = svc.regions.facts(region)
    info = svc.regions.store.log_info(f"kakawari/{region}")
    r = roles_table.c
    from sqlalchemy import select

    admins = [row[0] for row in conn.execute(
        select(r.address).where(r.region == region, r.role == "admin").order_by(r.address))]
    return {"region": region, "name": facts.name, "chainId": facts.chain_id,
            "service": facts.service, "admins": admins or [facts.admin], "size": info.size,
            "policy": queries.policy(conn, region)}


@router.get("/regions/{region}/members", response_model=MemberPage, tags=["members"])
def list_members(region: RegionDep, conn: ConnDep, offset: Offset = 0, limit: Limit = 100,
                 role: Annotated[str | None, Query(pattern="^(admin|verifier|auditor)$")] = None,
                 ) -> dict[str, Any]:
    """Members in the order they joined; ``role`` filters by a role."""
    total, items = queries.members(conn, region, offset=offset, limit=limit, role=role)
    return page(total, offset, limit, items)


@router.get("/regions/{region}/members/{address}", tags=["members"], response_model=Member)
def get_member(region: RegionDep, address: AddressPath, conn: ConnDep) -> dict[str, Any]:
    """A member: points (decayed when the policy says so), lifetime points, level,
    roles, recognitions and badges."""
    out = queries.member(conn, region, address.lower(), int(time.time()))
    if out is None:
        raise DomainError("not-member", who=address.lower(), region=region)
    out["partnerRecords"] = partner_records(conn, region, address.lower())
    return out


OriginQuery = Annotated[str, Query(pattern=r"^kakawari/[a-z0-9][a-z0-9-]{0,31}$",
                                   description="The partner region's log origin")]
PartnerRegionPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]


@router.get("/regions/{region}/members/{address}/record", tags=["partners"],
            response_model=RecordReceipt)
def get_record(region: RegionDep, address: AddressPath, partner: OriginQuery, conn: ConnDep,
               svc: ServicesDep) -> dict[str, Any]:
    """The member's record receipt for the partner region ``partner`` (issue 16): her
    recognitions and level here, proven in a checkpoint the partner's witness cosigned.
    Given only once she has signed a `RecordLink` here letting that partner show it."""
    return record_receipt(svc.regions.store, conn, region, address, partner,
                          svc.regions.facts(region).name)


@router.put("/regions/{region}/members/{address}/partner-records/{partner_region}",
            tags=["partners"], response_model=PartnerRecord)
def put_partner_record(region: RegionDep, address: AddressPath,
                       partner_region: PartnerRegionPath,
                       body: RecordReceiptIn, svc: ServicesDep) -> dict[str, Any]:
    """Show the member's record in the partner region ``partner_region`` on her profile
    here: the record receipt is verified against the partner's log key and this
    region's own cosignature of the partner's checkpoint, and its figures recomputed
    from its entries. Needs her `RecordLink` here naming her address there; an altered
    receipt is refused (422 `bad-receipt`). Her points there never become points here."""
    return accept_record(svc.regions, svc.engine, region, address,
                         f"kakawari/{partner_region}", body.receipt, svc.regions.clock())


@router.post("/regions/{region}/members/{address}/partner-records/{partner_region}/fetch",
             tags=["partners"], response_model=PartnerRecord)
def fetch_partner_record(region: RegionDep, address: AddressPath,
                         partner_region: PartnerRegionPath,
                         svc: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """As ``PUT``, but this server asks the partner region for her record receipt itself
    (at the API beside the log URL its `Partnership` entry names), so a browser needs
    no cross-origin request. For the signed-in member herself."""
    if session.address != address.lower() or session.region not in (None, region):
        raise DomainError("not-allowed", reason="Only the member herself can ask for her "
                          "record in a partner region.")
    return fetch_record(svc.regions, svc.engine, region, address, f"kakawari/{partner_region}",
                        svc.regions.clock())


@router.get("/regions/{region}/members/{address}/points", tags=["members"],
            response_model=PointsExplained)
def get_points(region: RegionDep, address: AddressPath, conn: ConnDep, offset: Offset = 0,
               limit: Limit = 100) -> dict[str, Any]:
    """Every point of a member, line by line, each naming the entry it came from."""
    who = address.lower()
    if queries.member(conn, region, who, 0) is None:
        raise DomainError("not-member", who=who, region=region)
    return queries.points_explained(conn, region, who, int(time.time()), offset=offset,
                                    limit=limit)


@router.get("/regions/{region}/claims", response_model=ClaimPage, tags=["claims"])
def list_claims(
    region: RegionDep, conn: ConnDep, offset: Offset = 0, limit: Limit = 100,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected|revoked)$")] = None,
    member: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    quest: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
) -> dict[str, Any]:
    """Claims, newest first; filter by status, a member involved, category or quest."""
    total, items = queries.claims(
        conn, region, offset=offset, limit=limit, status=status,
        member=member.lower() if member else None, category=category,
        quest=quest.lower() if quest else None)
    return page(total, offset, limit, items)


@router.get("/regions/{region}/claims/{claim}", tags=["claims"], response_model=Claim)
def get_claim(region: RegionDep, claim: HashPath, conn: ConnDep) -> dict[str, Any]:
    """A claim with its people (and who confirmed), reviews and endorsements."""
    out = queries.claim(conn, region, claim.lower())
    if out is None:
        raise DomainError("unknown-claim", claim=claim.lower(), region=region)
    return out


@router.get("/regions/{region}/quests", response_model=QuestPage, tags=["quests"])
def list_quests(
    region: RegionDep, conn: ConnDep, offset: Offset = 0, limit: Limit = 100,
    open_now: Annotated[bool, Query(alias="open")] = False,
    status: Annotated[str | None, Query(pattern="^(proposed|open|declined|closed)$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="A word in the title, "
                                   "description, place or tags")] = None,
    tag: Annotated[str | None, Query(max_length=32)] = None,
    place: Annotated[str | None, Query(max_length=100)] = None,
    starts_from: Annotated[int | None, Query(alias="from", ge=0, le=2**53 - 1,
                                             description="Not over before this time")] = None,
    until: Annotated[int | None, Query(ge=0, le=2**53 - 1,
                                       description="Starting by this time")] = None,
    member: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                        description="Quests this member signed up for")] = None,
) -> dict[str, Any]:
    """Quests, newest first; ``open=true`` lists only those open now (published, not
    closed, in their period). Filters: status, a word, a tag, a place, a date range, a
    member's sign-ups."""
    total, items = queries.quests(
        conn, region, offset=offset, limit=limit,
        open_at=int(time.time()) if open_now else None, status=status, text=q, tag=tag,
        place=place, starts_from=starts_from, starts_until=until,
        signed_up=member.lower() if member else None)
    return page(total, offset, limit, items)


@router.get("/regions/{region}/quests/{quest}", tags=["quests"], response_model=QuestDetail)
def get_quest(region: RegionDep, quest: HashPath, conn: ConnDep) -> dict[str, Any]:
    """A quest and how many claims answered it."""
    out = queries.quest(conn, region, quest.lower())
    if out is None:
        raise DomainError("unknown-quest", quest=quest.lower(), region=region)
    return out


@router.get("/regions/{region}/policy", tags=["policy"], response_model=PolicyInfo)
def get_policy(region: RegionDep, conn: ConnDep) -> dict[str, Any]:
    """The points policy in force (version 0 is the default, until one is published)."""
    return queries.policy(conn, region)


MONTH_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN)]


def _kpi_period(now: int, months: int, until: str | None, first: str | None,
                last: str | None, fiscal: int | None) -> tuple[str, str]:
    """The months a KPI request asks for: a fiscal year (年度, April–March), else
    ``from``–``to``, else ``months`` months ending with ``until`` (default: this month)."""
    if fiscal is not None:
        return fiscal_year(fiscal)
    if first is not None or last is not None:
        last = last or month_of(now)
        first = first or add_months(last, -(months - 1))
        span = months_between(first, last)
        if not 1 <= span <= MAX_MONTHS:
            raise DomainError("out-of-range", field="from",
                              expected=f"a month before 'to', at most {MAX_MONTHS} months",
                              got=first)
        return first, last
    last = until or month_of(now)
    return add_months(last, -(months - 1)), last


def _kpi_data(svc: Services, region: str, conn: Any, months: int, until: str | None,
              first: str | None, last: str | None, fiscal: int | None) -> dict[str, Any]:
    now = svc.regions.clock()
    start, end = _kpi_period(now, months, until, first, last, fiscal)
    return region_kpis(conn, region, first=start, last=end, current=month_of(now))


FiscalQuery = Annotated[int | None, Query(alias="fiscalYear", ge=1990, le=2199,
                                          description="A fiscal year (年度): April of this "
                                          "year to March of the next")]
FromQuery = Annotated[str | None, Query(alias="from", pattern=MONTH_PATTERN,
                                        description="First month (`YYYY-MM`) of a range")]
ToQuery = Annotated[str | None, Query(alias="to", pattern=MONTH_PATTERN,
                                      description="Last month (`YYYY-MM`) of a range "
                                      "(default: this month)")]
MonthsQuery = Annotated[int, Query(ge=1, le=MAX_MONTHS)]


@router.get("/regions/{region}/kpis", tags=["kpis"], response_model=Kpis)
def kpis(region: RegionDep, conn: ConnDep, svc: ServicesDep, months: MonthsQuery = 12,
         until: MonthQuery = None, first: FromQuery = None, last: ToQuery = None,
         fiscal: FiscalQuery = None) -> dict[str, Any]:
    """Relationship KPIs per month and over the whole period: active and continuing
    contributors, new vs returning, residents vs members from elsewhere, minutes by
    category. The period is ``fiscalYear`` (年度, April–March), else ``from``–``to``,
    else the ``months`` months ending with ``until`` (default: this month)."""
    out = _kpi_data(svc, region, conn, months, until, first, last, fiscal)
    out["decisions"] = decision_health(conn, region, int(time.time()))
    return out


@router.get(
    "/regions/{region}/kpis.csv", tags=["kpis"], response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "The KPI table: a header, one row per month, then the "
                     "whole period; then, after a blank line, the health of every decision "
                     "(when any); UTF-8 with a byte order mark (for Excel), CRLF lines"}},
)
def kpis_csv(region: RegionDep, conn: ConnDep, svc: ServicesDep, months: MonthsQuery = 12,
             until: MonthQuery = None, first: FromQuery = None, last: ToQuery = None,
             fiscal: FiscalQuery = None,
             lang: Annotated[Literal["ja", "en"], Query(description="Language of the "
                                                        "header and labels")] = "ja",
             ) -> Response:
    """The KPI table of ``GET …/kpis`` (same period parameters) as a CSV download."""
    data = _kpi_data(svc, region, conn, months, until, first, last, fiscal)
    data["decisions"] = decision_health(conn, region, int(time.time()))
    name = f"kakawari-{region}-kpis-{data['from']}_{data['to']}.csv"
    return Response(to_csv(data, lang).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- private details ---------------------------------------------------------------------


def _details(svc: Services) -> Any:
    if svc.domain.details is None:
        raise Problem(404, "no-details", "No private details here",
                      "This server keeps no private details.")
    return svc.domain.details


@router.put("/regions/{region}/details/{digest}", status_code=204, tags=["details"],
            response_model=None)
def put_details(region: RegionDep, digest: HashPath, body: DetailsIn, svc: ServicesDep,
                session: SessionDep, conn: ConnDep) -> None:
    """Store private details under their salted hash, before claiming with them. Kept
    off the log; they belong to whoever stores them, and are readable by them, the
    people of their claim, verifiers and admins. Members only, within a quota; files
    must be photos."""
    digest = digest.lower()
    if session.managed and session.region != region:
        raise DomainError("not-allowed", reason="This sign-in is for another region.")
    if queries.is_erased(conn, region, digest):
        raise DomainError("details-erased", details_hash=digest)
    if queries.member(conn, region, session.address, 0) is None:
        raise DomainError("not-member", who=session.address, region=region)
    details = body.details.model_dump()
    check_files(details["files"])
    store = _details(svc)
    conn.rollback()  # end this read before the write transaction (SQLite: one writer)
    store.store(region, digest, bytes.fromhex(body.salt[2:]), details,
                owner=session.address, now=svc.regions.clock())


@router.get("/regions/{region}/details/{digest}", tags=["details"], response_model=DetailsOut,
            response_model_exclude_unset=True)
def get_details(region: RegionDep, digest: HashPath, svc: ServicesDep, session: SessionDep,
                conn: ConnDep) -> dict[str, Any]:
    """Private details, for whoever stored them, the people of their claim, verifiers
    and admins."""
    digest = digest.lower()
    if session.managed and session.region != region:
        raise DomainError("not-allowed", reason="This sign-in is for another region.")
    if queries.is_erased(conn, region, digest):
        raise DomainError("details-erased", details_hash=digest)
    store = _details(svc)
    owner = store.owner(conn, region, digest) if store.engine is not None else None
    allowed = queries.details_readers(conn, region, digest, owner)
    roles = set(queries.roles_of(conn, region, session.address))
    if session.address not in allowed and not roles & {"verifier", "admin"}:
        raise DomainError("not-allowed", reason="Only whoever stored them, the people of "
                          "their claim, verifiers and admins can read private details.")
    found = store.get(region, digest)
    if found is None:
        raise DomainError("unknown-details", details_hash=digest)
    return {"detailsHash": digest, "salt": "0x" + found["salt"], "details": found["details"]}


# -- managed (walletless) members -----------------------------------------------------------


@router.post("/regions/{region}/managed/{type}", status_code=201, response_model=Submitted,
             tags=["accounts"])
def managed_action(region: RegionDep, type_: Annotated[str, Path(alias="type",
                   pattern="^[A-Z][A-Za-z]{1,31}$")], body: ManagedIn, svc: ServicesDep,
                   session: SessionDep) -> dict[str, Any]:
    """For a member whose key the service holds: sign ``type_`` with it (after filling in
    region, signer, nonce and issuedAt) and submit it, under the same rules."""
    if not session.managed or session.region != region:
        raise DomainError("not-managed", who=session.address)
    if type_ not in CHECKS or type_ == "Join":
        raise DomainError("bad-message", reason=f"{type_} can't be signed this way; use one of "
                          f"{', '.join(sorted(set(CHECKS) - {'Join'}))}.")
    signed = svc.accounts.sign_for(region, session.address, type_, body.fields)
    receipts = svc.domain.submit(region, [signed])
    _after(svc, region, signed)
    return {"id": receipts[0].id, "entries": [r.to_json() for r in receipts]}


# -- badges ---------------------------------------------------------------------------------


@router.post("/regions/{region}/claims/{claim}/badges", status_code=201,
             response_model=Submitted, tags=["claims"])
def mint_badge(region: RegionDep, claim: HashPath, body: BadgeIn, svc: ServicesDep,
               session: SessionDep, conn: ConnDep) -> dict[str, Any]:
    """Mint the soulbound badge of a recognition (the member, or an admin, asks): the
    badge holds the recognition entry's leaf hash, and a ``Badge`` entry records it.
    Needs a chain configured on the server."""
    member = body.member.lower()
    if session.address != member and "admin" not in queries.roles_of(conn, region,
                                                                       session.address):
        raise DomainError("not-allowed", reason="Only the member, or an admin, can ask "
                          "for their badge.")
    if svc.chain is None:
        raise DomainError("no-chain")
    client, contract = svc.chain
    receipts = svc.domain.mint_badge(region, claim.lower(), member, client, contract)
    return {"id": None, "entries": [r.to_json() for r in receipts]}


@router.get("/regions/{region}/partners", tags=["partners"], response_model=list[Partner])
def list_partners(region: RegionDep, conn: ConnDep) -> list[dict[str, Any]]:
    """The region's partner regions (``Partnership`` entries), ended ones included."""
    return queries.partners(conn, region)
