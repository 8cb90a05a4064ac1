"""A signed-in member's notices and where they are e-mailed (:mod:`service.notices`).

``GET …/notices`` lists them with an unread count, ``POST …/notices/read`` marks them
read; ``GET``/``PUT``/``DELETE …/contact`` keep the member's e-mail address for them.
Nothing here writes to the log: read marks and addresses are service tables.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from .. import notices as n
from ..domain import DomainError, queries
from .deps import ConnDep, RegionDep, ServicesDep, SessionDep
from .schemas import ContactIn, ContactOut, Notices, NoticesReadIn

router = APIRouter(prefix="/v1", tags=["notices"])


def _member(region: str, session: Any, conn: Any) -> str:
    """The session's address if it is a member of ``region`` (DomainError otherwise)."""
    if session.managed and session.region != region:
        raise DomainError("not-allowed", reason="This sign-in is for another region.")
    if queries.member(conn, region, session.address, 0) is None:
        raise DomainError("not-member", who=session.address, region=region)
    return str(session.address)


def _listing(conn: Any, region: str, member: str, limit: int) -> dict[str, Any]:
    read = n.read_seq(conn, region, member)
    items = n.notices(conn, region, member, limit=limit)
    for item in items:
        item["read"] = item["seq"] <= read
    return {"unread": sum(1 for i in items if not i["read"]), "readSeq": read, "items": items}


@router.get("/regions/{region}/notices", response_model=Notices,
            response_model_exclude_unset=True)
def list_notices(region: RegionDep, session: SessionDep, conn: ConnDep,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Your notices, newest first: approved, rejected (with the reason), thanked, asked
    to confirm a shared activity, new quests; and how many are unread."""
    return _listing(conn, region, _member(region, session, conn), limit)


@router.post("/regions/{region}/notices/read", response_model=Notices,
             response_model_exclude_unset=True)
def read_notices(region: RegionDep, body: NoticesReadIn, session: SessionDep,
                 svc: ServicesDep) -> dict[str, Any]:
    """Mark your notices read up to entry ``upTo`` (default: all of them)."""
    with svc.engine.begin() as conn:
        member = _member(region, session, conn)
        up_to = body.upTo
        if up_to is None:
            up_to = svc.regions.store.log_info(f"kakawari/{region}").size - 1
        n.mark_read(conn, region, member, up_to)
        return _listing(conn, region, member, 50)


def _contact_out(svc: Any, found: dict[str, Any] | None) -> dict[str, Any]:
    return {"email": found and found["email"], "lang": found and found["lang"],
            "mailing": svc.settings.smtp_host is not None}


@router.get("/regions/{region}/contact", response_model=ContactOut)
def get_contact(region: RegionDep, session: SessionDep, svc: ServicesDep,
                conn: ConnDep) -> dict[str, Any]:
    """The e-mail address your notices go to (kept off the log), if you gave one."""
    return _contact_out(svc, n.contact(conn, region, _member(region, session, conn)))


@router.put("/regions/{region}/contact", response_model=ContactOut)
def put_contact(region: RegionDep, body: ContactIn, session: SessionDep,
                svc: ServicesDep) -> dict[str, Any]:
    """Have your notices e-mailed to ``email`` from now on. The address is kept in the
    service's own tables, never in the log, and is removed with ``DELETE``."""
    email = body.email.strip()
    if not n.EMAIL.match(email):
        raise DomainError("bad-email", field="email")
    with svc.engine.begin() as conn:
        member = _member(region, session, conn)
        size = svc.regions.store.log_info(f"kakawari/{region}").size
        n.set_contact(conn, region, member, email, body.lang, log_size=size,
                      now=svc.regions.clock())
        return _contact_out(svc, n.contact(conn, region, member))


@router.delete("/regions/{region}/contact", response_model=ContactOut)
def delete_contact(region: RegionDep, session: SessionDep, svc: ServicesDep) -> dict[str, Any]:
    """Forget your e-mail address: no more notices by e-mail."""
    with svc.engine.begin() as conn:
        member = _member(region, session, conn)
        n.set_contact(conn, region, member, None, "ja", log_size=0, now=0)
    return _contact_out(svc, None)
