"""Sign-in: SIWE (EIP-4361) for wallets, invitation code and passphrase for members
whose key the service holds. Both return a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from .. import siwe
from ..domain import DomainError
from .deps import ClientDep, RegionDep, Services, ServicesDep, SessionDep, bearer
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
def auth_nonce(svc: ServicesDep, client: ClientDep) -> dict[str, Any]:
    """A single-use nonce for the SIWE message (valid 10 minutes); at most 60 a minute
    from one client address (then 429)."""
    svc.limits.hit(("nonce-client", client))
    nonce, expires = svc.auth.new_nonce()
    return {"nonce": nonce, "expiresAt": expires}


@router.post("/auth/siwe", response_model=TokenOut)
def auth_siwe(body: SiweIn, request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Sign in with Ethereum: an EIP-4361 message for this service's public origin
    (setting ``public_origins``; unset: a local address) and the chain id of one of its
    regions, with a nonce from ``/v1/auth/nonce``, signed with ``personal_sign``.
    Returns a bearer token."""
    chain_ids = {svc.settings.chain_id}
    for origin in svc.regions.store.logs():
        try:
            chain_ids.add(svc.regions.facts(origin.removeprefix("kakawari/")).chain_id)
        except Exception:  # a refused log: its region signs nobody in
            continue
    try:
        message = siwe.verify(body.message, body.signature,
                              origins=svc.settings.public_origins or None,
                              chain_ids=chain_ids, now=svc.regions.clock())
    except siwe.SiweError as exc:
        raise Problem(401, "siwe-refused", "Sign-in refused", str(exc)) from None
    if not svc.auth.consume_nonce(message.nonce):
        raise Problem(401, "siwe-refused", "Sign-in refused",
                      "The nonce is unknown, used or expired; ask for a new one.")
    token, expires = svc.auth.new_session(message.address)
    return {"token": token, "address": message.address, "expiresAt": expires}


@router.post("/auth/signout", status_code=204, response_model=None)
def sign_out(svc: ServicesDep, session: SessionDep,
             creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """Sign out: the bearer token is revoked at once (on every worker)."""
    if creds is not None:
        svc.auth.end(creds.credentials)


@router.post("/auth/signout-everywhere", status_code=204, response_model=None)
def sign_out_everywhere(svc: ServicesDep, session: SessionDep) -> None:
    """Sign out everywhere: every token of this member, on every device, is revoked
    (after a lost phone, or a passphrase that may be known to someone else)."""
    svc.auth.end_all(session.address)


@router.get("/auth/me", response_model=MeOut)
def auth_me(session: SessionDep) -> dict[str, Any]:
    """Who the bearer token signs in."""
    return {"address": session.address, "region": session.region, "managed": session.managed,
            "expiresAt": session.expires_at}


@router.post("/regions/{region}/accounts", response_model=RedeemOut, status_code=201,
             tags=["accounts"])
def redeem(region: RegionDep, body: RedeemIn, svc: ServicesDep, client: ClientDep
           ) -> dict[str, Any]:
    """Redeem an invitation code: the service creates and holds a key for the person,
    they join with the display name, and are signed in. Ten wrong codes from one client
    address in 15 minutes lock it out for 15 minutes (429)."""
    key = ("redeem-client", client)
    svc.limits.check(key)
    try:
        address, receipts = svc.accounts.redeem(region, body.code, body.displayName,
                                                body.passphrase)
    except DomainError as exc:
        if exc.code == "bad-invitation":
            svc.limits.fail(key)
        raise
    token, expires = svc.auth.new_session(address, region=region, managed=True)
    return {"address": address, "number": svc.accounts.number_of(region, address),
            "token": token, "expiresAt": expires, "entries": [r.to_json() for r in receipts]}


@router.post("/regions/{region}/accounts/login", response_model=TokenOut, tags=["accounts"])
def login(region: RegionDep, body: LoginIn, svc: ServicesDep, client: ClientDep
          ) -> dict[str, Any]:
    """Sign in a member whose key the service holds, with their member number (or
    address) and passphrase. Five wrong passphrases for one account, or twenty from one
    client address, in 15 minutes lock them out for 15 minutes (429, ``Retry-After``)."""
    who = body.member if body.member is not None else body.address
    if who is None:
        raise DomainError("bad-login")
    address = checked_passphrase(svc, region, who, body.passphrase, client)
    token, expires = svc.auth.new_session(address, region=region, managed=True)
    return {"token": token, "address": address, "expiresAt": expires, "region": region,
            "managed": True}


@router.post("/regions/{region}/accounts/export", tags=["accounts"], response_model=Keystore)
def export(region: RegionDep, body: ExportIn, svc: ServicesDep, session: SessionDep,
           client: ClientDep) -> dict[str, Any]:
    """Hand the held key over as an Ethereum keystore v3 JSON encrypted with the
    passphrase (import it into a wallet); the service then no longer holds it."""
    if not session.managed or session.region != region:
        raise DomainError("not-managed", who=session.address)
    checked_passphrase(svc, region, session.address, body.passphrase, client)
    return svc.accounts.export(region, session.address, body.passphrase)


def checked_passphrase(svc: Services, region: str, who: str, passphrase: str,
                       client: str) -> str:
    """:meth:`Accounts.login` under the rate limits of sign-in, per account (whichever
    way ``who`` names it) and per client address; the account's address. DomainError
    ``rate-limited`` while locked, ``bad-login``."""
    account = svc.accounts.resolve(region, who) or who.strip().lower()[:80]
    keys = (("login-account", f"{region}:{account}"), ("login-client", client))
    svc.limits.check(*keys)
    try:
        address = svc.accounts.login(region, who, passphrase)
    except DomainError as exc:
        if exc.code == "bad-login":
            svc.limits.fail(*keys)
        raise
    svc.limits.clear(keys[0])
    return address
