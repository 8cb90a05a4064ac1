"""Sign-in: SIWE (EIP-4361) for wallets, invitation code and passphrase for members
whose key the service holds. Both return a bearer token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .. import siwe
from ..domain import DomainError
from .deps import RegionDep, ServicesDep, SessionDep
from .problems import Problem
from .schemas import (
    ExportIn,
    Keystore,
    LoginIn,
    MeOut,
    NonceOut,
    RedeemIn,
    RedeemOut,
    SiweIn,
    TokenOut,
)

router = APIRouter(prefix="/v1", tags=["auth"])


@router.get("/auth/nonce", response_model=NonceOut)
def auth_nonce(svc: ServicesDep) -> dict[str, Any]:
    """A single-use nonce for the SIWE message (valid 10 minutes)."""
    nonce, expires = svc.auth.new_nonce()
    return {"nonce": nonce, "expiresAt": expires}


@router.post("/auth/siwe", response_model=TokenOut)
def auth_siwe(body: SiweIn, request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Sign in with Ethereum: an EIP-4361 message for this host with a nonce from
    ``/v1/auth/nonce``, signed with ``personal_sign``. Returns a bearer token."""
    host = request.headers.get("host", "")
    domains = {host, *svc.settings.siwe_domains} - {""}
    try:
        message = siwe.verify(body.message, body.signature, domains=domains,
                              now=svc.regions.clock())
    except siwe.SiweError as exc:
        raise Problem(401, "siwe-refused", "Sign-in refused", str(exc)) from None
    if not svc.auth.consume_nonce(message.nonce):
        raise Problem(401, "siwe-refused", "Sign-in refused",
                      "The nonce is unknown, used or expired; ask for a new one.")
    token, expires = svc.auth.new_session(message.address)
    return {"token": token, "address": message.address, "expiresAt": expires}


@router.get("/auth/me", response_model=MeOut)
def auth_me(session: SessionDep) -> dict[str, Any]:
    """Who the bearer token signs in."""
    return {"address": session.address, "region": session.region, "managed": session.managed,
            "expiresAt": session.expires_at}


@router.post("/regions/{region}/accounts", response_model=RedeemOut, status_code=201,
             tags=["accounts"])
def redeem(region: RegionDep, body: RedeemIn, svc: ServicesDep) -> dict[str, Any]:
    """Redeem an invitation code: the service creates and holds a key for the person,
    they join with the display name, and are signed in."""
    address, receipts = svc.accounts.redeem(region, body.code, body.displayName,
                                            body.passphrase)
    token, expires = svc.auth.new_session(address, region=region, managed=True)
    return {"address": address, "number": svc.accounts.number_of(region, address),
            "token": token, "expiresAt": expires, "entries": [r.to_json() for r in receipts]}


@router.post("/regions/{region}/accounts/login", response_model=TokenOut, tags=["accounts"])
def login(region: RegionDep, body: LoginIn, svc: ServicesDep) -> dict[str, Any]:
    """Sign in a member whose key the service holds, with their member number (or
    address) and passphrase."""
    who = body.member if body.member is not None else body.address
    if who is None:
        raise DomainError("bad-login")
    address = svc.accounts.login(region, who, body.passphrase)
    token, expires = svc.auth.new_session(address, region=region, managed=True)
    return {"token": token, "address": address, "expiresAt": expires, "region": region,
            "managed": True}


@router.post("/regions/{region}/accounts/export", tags=["accounts"], response_model=Keystore)
def export(region: RegionDep, body: ExportIn, svc: ServicesDep, session: SessionDep
           ) -> dict[str, Any]:
    """Hand the held key over as an Ethereum keystore v3 JSON encrypted with the
    passphrase (import it into a wallet); the service then no longer holds it."""
    if not session.managed or session.region != region:
        raise DomainError("not-managed", who=session.address)
    return svc.accounts.export(region, session.address, body.passphrase)
