"""Audit routes: the export bundle (auditors only, streamed) and a claim's receipt.

``GET /v1/regions/{region}/export`` streams the bundle ``kakawari export`` writes (a
ZIP, ``docs/audit-bundle.md``) as it is made: the response starts at once and the
server's memory does not grow with the log. Only a signed-in member holding the
region's ``auditor`` role may download it — it carries the private details.

``GET /v1/regions/{region}/claims/{claim}/receipt`` gives anyone the receipt of a
claim: its entries with inclusion proofs, the signed checkpoint and the anchor. It
holds nothing that is not already public in the log.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from ..audit.export import export_region
from ..audit.receipts import claim_receipt
from ..domain import DomainError, queries
from ..witness import cosignature_lines
from .deps import ConnDep, RegionDep, ServicesDep, SessionDep
from .schemas import Receipt

router = APIRouter(prefix="/v1", tags=["audit"])

ClaimPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def require_auditor(region: str, session: Any, conn: Any) -> str:
    """The session's address if it holds ``auditor`` in ``region`` (DomainError 403)."""
    if session.managed and session.region != region:
        raise DomainError("not-allowed", reason="This sign-in is for another region.")
    if "auditor" not in queries.roles_of(conn, region, session.address):
        raise DomainError("not-allowed", reason="Only the region's auditors can download "
                          "the export bundle. Ask a region admin for the auditor role.")
    return str(session.address)


@router.get(
    "/regions/{region}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string",
                                                                "format": "binary"}}},
                     "description": "The audit bundle (docs/audit-bundle.md), streamed"}},
)
def export_bundle(region: RegionDep, svc: ServicesDep, session: SessionDep,
                  conn: ConnDep, details: bool = True) -> StreamingResponse:
    """The region's audit bundle: every entry, the signed checkpoint, anchor records,
    private details (unless ``details=false``) and CSV views, streamed as a ZIP. For
    the region's auditors; verify it with ``kakawari audit verify``."""
    require_auditor(region, session, conn)
    store = svc.regions.store
    size = store.log_info(f"kakawari/{region}").size
    chunks = export_region(store, region, now=svc.regions.clock(),
                           details=svc.domain.details if details else None,
                           cosignatures=lambda n: cosignature_lines(svc.engine, region, n))
    name = f"kakawari-{region}-{size}.zip"
    return StreamingResponse(chunks, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })


@router.get("/regions/{region}/claims/{claim}/receipt", response_model=Receipt,
            response_model_exclude_unset=True)
def get_receipt(region: RegionDep, claim: ClaimPath, svc: ServicesDep, conn: ConnDep,
                member: Annotated[str | None, Query(pattern=_ADDRESS.pattern)] = None,
                ) -> dict[str, Any]:
    """A receipt of the claim (``docs/audit-bundle.md``, "Receipts"): verify it offline
    with ``kakawari audit verify-receipt``; the anchor contract's ``verifyInclusion``
    accepts its proofs. With ``member``, it states that member's points."""
    return claim_receipt(svc.regions.store, conn, region, claim, member,
                         svc.regions.facts(region).name)
