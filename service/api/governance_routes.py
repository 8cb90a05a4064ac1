"""Proposals and votes over HTTP: signed POSTs (as every other signed route) and reads.

Reading a proposal first writes the decisions that are due (a proposal whose voting
closed gets its ``Decision`` entry at the first append or read after closing).
"""

# No `from __future__ import annotations`: the generated body models must resolve at def time.

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ledger.messages import MESSAGE_TYPES

from ..audit.receipts import vote_receipt as build_vote_receipt
from ..domain import proposals as views
from ..domain import queries
from .deps import ConnDep, Limit, Offset, RegionDep, ServicesDep, page
from .routes import HashPath, _submit
from .schemas import SIGNED, ProposalDetail, ProposalPage, Submitted, VoteReceipt

router = APIRouter(prefix="/v1", tags=["proposals"])


def _signed(path: str, type_: str, summary: str, with_id: bool) -> None:
    body_model = SIGNED[type_]
    handler: Any
    if with_id:
        def with_proposal(region: RegionDep, proposal: HashPath,
                          body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                          ) -> dict[str, Any]:
            return _submit(svc, region, type_, body, {"proposal": proposal})
        handler = with_proposal
    else:
        def plain(region: RegionDep, body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                  ) -> dict[str, Any]:
            return _submit(svc, region, type_, body)
        handler = plain
    handler.__name__ = f"post_{type_.lower()}"
    router.add_api_route(path, handler, methods=["POST"], status_code=201,
                         response_model=Submitted, summary=summary,
                         description=f"Append a signed `{MESSAGE_TYPES[type_].encode_type()}`.")


_signed("/regions/{region}/proposals", "Proposal", "Make a proposal", False)
_signed("/regions/{region}/proposals/{proposal}/votes", "Vote",
        "Vote (again: the last vote counts)", True)
_signed("/regions/{region}/proposals/{proposal}/withdrawals", "Withdrawal",
        "Withdraw your proposal (before any vote)", True)
_signed("/regions/{region}/proposals/{proposal}/cancellations", "Cancellation",
        "Cancel a proposal (admin, with a reason)", True)


@router.post("/regions/{region}/proposals/decide", status_code=201, response_model=Submitted)
def decide(region: RegionDep, svc: ServicesDep) -> dict[str, Any]:
    """Write the ``Decision`` of every proposal whose voting has closed (also done
    before every append and read)."""
    receipts = svc.domain.decide_due(region)
    return {"id": None, "entries": [r.to_json() for r in receipts]}


@router.get("/regions/{region}/proposals", response_model=ProposalPage)
def list_proposals(region: RegionDep, svc: ServicesDep, conn: ConnDep, offset: Offset = 0,
                   limit: Limit = 100,
                   status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
                   ) -> dict[str, Any]:
    """Proposals, newest first: ``open`` (upcoming or open for votes) or ``closed``."""
    svc.domain.decide_due(region)
    total, items = views.list_proposals(conn, region, int(time.time()), status=status,
                                        offset=offset, limit=limit)
    return page(total, offset, limit, items)


@router.get("/regions/{region}/proposals/{proposal}", response_model=ProposalDetail,
            response_model_exclude_unset=True)
def get_proposal(region: RegionDep, proposal: HashPath, svc: ServicesDep, conn: ConnDep,
                 voter: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
                 admin: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$",
                                                    description="An admin's address: "
                                                    "show the health before closing")] = None,
                 ) -> dict[str, Any]:
    """A proposal: its full text, rules, participation, the result with instant-runoff
    rounds (provisional before closing, unless hidden) and, for ``voter``, their
    ballot that counts."""
    svc.domain.decide_due(region)
    is_admin = admin is not None and "admin" in queries.roles_of(conn, region, admin.lower())
    return views.proposal_detail(conn, region, proposal, int(time.time()), admin=is_admin,
                                 voter=voter)


@router.get("/regions/{region}/proposals/{proposal}/receipt", response_model=VoteReceipt)
def vote_receipt(region: RegionDep, proposal: HashPath, svc: ServicesDep, conn: ConnDep,
                 voter: Annotated[str, Query(pattern=r"^0x[0-9a-fA-F]{40}$")],
                 ) -> dict[str, Any]:
    """A voter's receipt: the proposal, each of their votes and the decision, proven in
    the log's tree (as a claim's receipt). Check it offline with ``kakawari audit
    verify-receipt``: her votes are in the log and the decision counts her last one."""
    svc.domain.decide_due(region)
    return build_vote_receipt(svc.regions.store, conn, region, proposal, voter,
                              svc.regions.facts(region).name)
