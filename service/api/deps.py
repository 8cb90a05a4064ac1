"""What the routes share: the opened services, the caller's session, page parameters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ledger.entry import origin_for
from ledger.errors import EntryError

from ..accounts import Accounts
from ..auth import Auth, Session
from ..config import Settings
from ..domain import Domain
from ..ratelimit import RateLimits
from ..regions import Regions
from .problems import Problem

MAX_PAGE = 1000


@dataclass
class Services:
    settings: Settings
    regions: Regions
    domain: Domain
    auth: Auth
    accounts: Accounts
    limits: RateLimits
    known: set[str] = field(default_factory=set)
    chain: tuple[Any, str] | None = None
    """A chain client allowed to mint badges, and the badge contract's address."""
    mailer: Any = None
    """The :class:`~service.mail.Mailer` when SMTP is configured (started by the app)."""

    @property
    def engine(self) -> Engine:
        engine: Engine = self.regions.store.engine  # type: ignore[attr-defined]
        return engine


async def get_services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(get_services)]


def get_conn(svc: ServicesDep) -> Iterator[Connection]:
    with svc.engine.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_conn)]


def known_region(region: str, svc: Services) -> str:
    """``region`` if it exists (problem 404 otherwise). Regions are never removed, so
    one that was found once is remembered."""
    if region in svc.known:
        return region
    try:
        origin = origin_for(region)
    except EntryError:
        origin = None
    if origin is None or origin not in svc.regions.store.logs():
        raise Problem(404, "no-region", "No such region", f"There is no region {region!r:.40}.")
    svc.known.add(region)
    return region


async def region_param(region: str, svc: ServicesDep) -> str:
    # async: a known region is answered from memory without a thread-pool hop; the
    # first lookup of a region reads the database once, briefly, on the event loop.
    return known_region(region, svc)


RegionDep = Annotated[str, Depends(region_param)]

bearer = HTTPBearer(auto_error=False, description="Token from /v1/auth/siwe or a managed "
                     "account's sign-in")


def current_session(
    svc: ServicesDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Session:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Problem(401, "unauthenticated", "Please sign in",
                      "This needs a signed-in member: send 'Authorization: Bearer <token>'.",
                      headers={"WWW-Authenticate": "Bearer"})
    session = svc.auth.session(creds.credentials)
    if session is None:
        raise Problem(401, "unauthenticated", "Please sign in again",
                      "The sign-in has expired or is unknown.",
                      headers={"WWW-Authenticate": "Bearer"})
    return session


SessionDep = Annotated[Session, Depends(current_session)]


def client_address(request: Request) -> str:
    """The address the request came from (behind a reverse proxy, run uvicorn with
    ``--proxy-headers --forwarded-allow-ips`` so that this is the person's, not the
    proxy's)."""
    return request.client.host if request.client is not None else "unknown"


ClientDep = Annotated[str, Depends(client_address)]

Offset = Annotated[int, Query(ge=0, le=2**53 - 1, description="Items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]


def page(total: int, offset: int, limit: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": total, "offset": offset, "limit": limit, "items": items}
