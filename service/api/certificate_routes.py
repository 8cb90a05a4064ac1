"""The QR code of a printable certificate (issue 12): a link to the web app's receipt
check of one member's recognised activity, drawn as SVG by ``segno``.

The certificate itself is a page of the web app (``#/certificate``); the QR it prints
opens ``#/check``, which fetches the claim's receipt and checks it in the browser.
"""

from __future__ import annotations

import io
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ..domain import DomainError, queries
from .deps import ConnDep, RegionDep

router = APIRouter(prefix="/v1", tags=["audit"])

ClaimPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def check_link(base: str, region: str, claim: str, member: str) -> str:
    """The web app's address that checks ``member``'s receipt of ``claim``."""
    return (f"{base.rstrip('/')}/#/check?region={quote(region)}&claim={claim}"
            f"&member={member}")


@router.get("/regions/{region}/claims/{claim}/qr.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}},
                             "description": "A QR code (SVG) of the receipt check link"}})
def receipt_qr(region: RegionDep, claim: ClaimPath, request: Request, conn: ConnDep,
               member: Annotated[str, Query(pattern=_ADDRESS.pattern)]) -> Response:
    """A QR code that opens the check of ``member``'s receipt of ``claim`` on this
    server's web app (for the printable certificate)."""
    import segno

    claim, member = claim.lower(), member.lower()
    if queries.claim(conn, region, claim) is None:
        raise DomainError("unknown-claim", claim=claim, region=region)
    link = check_link(str(request.base_url), region, claim, member)
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                     svgns=True, title=None, svgclass="qr")
    return Response(out.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
