"""Quests people can join, check-in and perks (issue 14): the signed POSTs of the new
types, and reads of sign-ups, check-in codes, perks, redemptions and balances.

Points are never transferred between members and never exchanged for money: there is
no route (and no entry type) for either.
"""

# No `from __future__ import annotations`: the generated body models must resolve at def time.

import io
import time
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from ledger.messages import MESSAGE_TYPES

from .. import checkin
from ..auth import Session
from ..domain import DomainError, quest_queries
from ..domain.rules import Check, is_organiser
from ..domain.state import State
from .deps import (
    ConnDep,
    Limit,
    Offset,
    RegionDep,
    Services,
    ServicesDep,
    SessionDep,
    bearer,
    page,
)
from .quest_schemas import (
    Balance,
    CheckInCode,
    CheckInIn,
    Perk,
    Perks,
    RedemptionPage,
    SignUps,
)
from .routes import _submit
from .schemas import SIGNED, Submitted

router = APIRouter(prefix="/v1", tags=["quests"])


def optional_session(
    svc: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Session | None:
    """The caller's session when they sent a valid one, else None."""
    if creds is None or creds.scheme.lower() != "bearer":
        return None
    return svc.auth.session(creds.credentials)


OptionalSession = Annotated[Session | None, Depends(optional_session)]

HashPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]
Address = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]


def _signed_route(path: str, type_: str, summary: str, param: str | None = None) -> None:
    """A POST of a signed ``type_``; ``param`` names the path parameter (a 32-byte id)
    that must equal the message's field of the same name."""
    body_model = SIGNED[type_]

    if param is None:
        def handler(region: RegionDep, body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                    ) -> dict[str, Any]:
            return _submit(svc, region, type_, body)
    else:
        def handler(region: RegionDep,  # type: ignore[misc]
                    ident: Annotated[str, Path(alias=param, pattern=r"^0x[0-9a-fA-F]{64}$")],
                    body: body_model, svc: ServicesDep  # type: ignore[valid-type]
                    ) -> dict[str, Any]:
            return _submit(svc, region, type_, body, {param: ident})

    handler.__name__ = f"post_{type_.lower()}"
    router.add_api_route(
        path, handler, methods=["POST"], status_code=201, response_model=Submitted,
        summary=summary, description=f"Append a signed `{MESSAGE_TYPES[type_].encode_type()}`.")


_signed_route("/regions/{region}/quest-posts", "QuestPost",
              "Post a quest (admin) or propose one (a member at the policy's level)")
_signed_route("/regions/{region}/quests/{quest}/decisions", "QuestDecision",
              "Publish or decline a proposed quest (admin or verifier)", "quest")
_signed_route("/regions/{region}/quests/{quest}/edits", "QuestEdit", "Edit a quest (admin)",
              "quest")
_signed_route("/regions/{region}/quests/{quest}/closure", "QuestClosure",
              "Close a quest (admin)", "quest")
_signed_route("/regions/{region}/quests/{quest}/signups", "SignUp",
              "Sign up for a quest, or cancel", "quest")
_signed_route("/regions/{region}/quests/{quest}/checkin-windows", "CheckInWindow",
              "Open a quest's check-in (its organiser)", "quest")
_signed_route("/regions/{region}/perks", "Perk", "List or change a perk (admin)")
_signed_route("/regions/{region}/perks/{perk}/redemptions", "Redemption",
              "Redeem a perk with spendable points", "perk")
_signed_route("/regions/{region}/redemptions/{redemption}/status", "RedemptionStatus",
              "Mark a redemption handed over (admin) or cancel it", "redemption")


def _quest(conn: Any, region: str, quest_id: str) -> dict[str, Any]:
    out = quest_queries.quest(conn, region, quest_id.lower())
    if out is None:
        raise DomainError("unknown-quest", quest=quest_id.lower(), region=region)
    return out


@router.get("/regions/{region}/quests/{quest}/signups", response_model=SignUps)
def get_signups(region: RegionDep, quest: HashPath, conn: ConnDep) -> dict[str, Any]:
    """Who signed up for a quest (as the log shows anyone), for its organiser's list."""
    q = _quest(conn, region, quest)
    return {"quest": q["id"], "capacity": q["capacity"], "full": q["full"],
            "items": quest_queries.signups(conn, region, q["id"])}


def app_url(request: Request, route: str) -> str:
    """A link into the web app (its hash route), on the address the request came to."""
    return f"{str(request.base_url).rstrip('/')}/#/{route}"


def _svg(url: str, scale: int = 4) -> bytes:
    """A standalone SVG document (with its namespace, so an <img> shows it)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False,
                                    title="Kakawari")
    return out.getvalue()


@router.get("/regions/{region}/quests/{quest}/qr.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {"schema": {
                "type": "string", "format": "binary"}}}}})
def quest_qr(region: RegionDep, quest: HashPath, conn: ConnDep, request: Request) -> Response:
    """A QR code of the quest's shareable link, for posters and flyers."""
    q = _quest(conn, region, quest)
    url = app_url(request, f"quest?id={q['id']}&region={region}")
    return Response(_svg(url, 8), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


def _window(svc: Services, conn: Any, region: str, quest_id: str, now: int
            ) -> tuple[dict[str, Any], bytes]:
    q = _quest(conn, region, quest_id)
    window = q["checkIn"]
    if window is None or not window["opensAt"] <= now <= window["closesAt"]:
        raise DomainError("checkin-closed", quest=q["id"])
    return window, checkin.window_key(svc.regions.service_key(region))


@router.get("/regions/{region}/quests/{quest}/checkin-code", response_model=CheckInCode)
def checkin_code(region: RegionDep, quest: HashPath, svc: ServicesDep, session: SessionDep,
                 conn: ConnDep, request: Request) -> dict[str, Any]:
    """The check-in code to show now (the quest's organiser): it changes every
    ``step`` seconds, so poll again by ``expiresAt``."""
    now = int(time.time())
    q = _quest(conn, region, quest)
    state = State(conn, region)
    facts = svc.regions.facts(region)
    if not is_organiser(Check(state, facts, now, svc.domain.limits), q, session.address):
        raise DomainError("not-organiser", who=session.address, quest=q["id"])
    window, key = _window(svc, conn, region, q["id"], now)
    code = checkin.code_at(key, q["id"], window["seq"], now)
    url = app_url(request, f"checkin?quest={q['id']}&code={code}&region={region}")
    data_uri = segno.make(url, error="m").svg_data_uri(scale=6, border=2)
    return {"quest": q["id"], "window": window["seq"], "code": code, "url": url,
            "qr": data_uri, "step": checkin.STEP, "expiresAt": checkin.expires_at(now),
            "closesAt": window["closesAt"]}


@router.post("/regions/{region}/quests/{quest}/checkins", status_code=201,
             response_model=Submitted)
def post_checkin(region: RegionDep, quest: HashPath, body: CheckInIn, svc: ServicesDep,
                 conn: ConnDep, session: OptionalSession) -> dict[str, Any]:
    """Check in with the code scanned from the organiser's screen: records the activity
    (a `Claim` answering the quest) if the code is current. Signed by a wallet
    (``message``, ``signature``) or, for a managed member, by the service (``fields``)."""
    now = int(time.time())
    quest_id = quest.lower()
    window, key = _window(svc, conn, region, quest_id, now)
    if not checkin.is_valid(key, quest_id, window["seq"], now, body.code):
        raise DomainError("checkin-expired", step=checkin.STEP)
    if body.fields is not None:
        if session is None or not session.managed or session.region != region:
            raise DomainError("not-managed", who=session.address if session else "you")
        fields = {**body.fields, "quest": quest_id}
        signed = svc.accounts.sign_for(region, session.address, "Claim", fields)
    elif body.message is not None and body.signature is not None:
        signed = svc.domain.signed("Claim", body.message, body.signature)
        if signed.message["quest"] != quest_id:
            raise DomainError("bad-message", reason=f"The claim answers quest "
                              f"{signed.message['quest']}, not {quest_id}.")
    else:
        raise DomainError("bad-message", reason="Send the signed claim (message and "
                          "signature) or, signed in with a managed account, its fields.")
    receipts = svc.domain.submit(region, [signed])
    return {"id": receipts[0].id, "entries": [r.to_json() for r in receipts]}


@router.get("/regions/{region}/perks", response_model=Perks, tags=["perks"])
def list_perks(region: RegionDep, conn: ConnDep,
               valid: Annotated[bool, Query(description="Only those redeemable now")] = False
               ) -> dict[str, Any]:
    """Perks (特典) members can redeem with spendable points, newest first."""
    return {"items": quest_queries.perks(conn, region,
                                         valid_at=int(time.time()) if valid else None)}


@router.get("/regions/{region}/perks/{perk}", response_model=Perk, tags=["perks"])
def get_perk(region: RegionDep, perk: HashPath, conn: ConnDep) -> dict[str, Any]:
    """A perk, its stock and how many are left."""
    out = quest_queries.perk(conn, region, perk.lower())
    if out is None:
        raise DomainError("unknown-perk", perk=perk.lower(), region=region)
    return out


@router.get("/regions/{region}/redemptions", response_model=RedemptionPage, tags=["perks"])
def list_redemptions(
    region: RegionDep, conn: ConnDep, offset: Offset = 0, limit: Limit = 100,
    member: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    status: Annotated[str | None, Query(pattern="^(requested|handed-over|cancelled)$")] = None,
) -> dict[str, Any]:
    """Redemptions, newest first (the office's list: ``status=requested``)."""
    total, items = quest_queries.redemptions(conn, region, member=member.lower() if member
                                             else None, status=status, offset=offset,
                                             limit=limit)
    return page(total, offset, limit, items)


@router.get("/regions/{region}/members/{address}/balance", response_model=Balance,
            tags=["perks"])
def get_balance(region: RegionDep, address: Address, conn: ConnDep) -> dict[str, Any]:
    """Spendable points = lifetime points − points redeemed. Redeeming never lowers
    lifetime points or the level; points are never transferred or cashed out."""
    who = address.lower()
    if not quest_queries.member_exists(conn, region, who):
        raise DomainError("not-member", who=who, region=region)
    return quest_queries.balance(conn, region, who)
