"""Read routes the web app needs beyond the recognition API: a member's endorsement
budget, the region's connections graph and the admin's list of invitations. Reads of
projections only; nothing here writes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import func, select

from ..domain import DomainError, queries
from ..domain import tables as t
from ..domain.state import current_policy
from .deps import ConnDep, Limit, Offset, RegionDep, ServicesDep, SessionDep, page
from .schemas import Anchored, Budget, Connections, InvitationPage, NotAnchored

router = APIRouter(prefix="/v1", tags=["web"])

AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]


@router.get("/regions/{region}/members/{address}/budget", response_model=Budget)
def endorsement_budget(region: RegionDep, address: AddressPath, conn: ConnDep) -> dict[str, Any]:
    """How much of their endorsement budget a member has left in the current epoch."""
    who = address.lower()
    m = t.members.c
    if conn.execute(select(m.address).where(m.region == region, m.address == who)).first() is None:
        raise DomainError("not-member", who=who, region=region)
    _, policy = current_policy(conn, region)
    now = int(time.time())
    epoch = policy.epoch(now)
    e = t.endorsements.c
    used = int(conn.execute(select(func.coalesce(func.sum(e.amount), 0)).where(
        e.region == region, e.endorser == who, e.epoch == epoch)).scalar_one())
    return {"member": who, "budget": policy.endorsementBudget, "used": used,
            "left": max(policy.endorsementBudget - used, 0), "epoch": epoch,
            "epochEnd": policy.epoch_end(now)}


@router.get("/regions/{region}/connections", response_model=Connections)
def connections(region: RegionDep, conn: ConnDep) -> dict[str, Any]:
    """Who contributed with whom (people named on the same claim, not rejected or
    revoked) and who endorsed whom, as a graph: ``nodes`` (members with how many
    claims they are on and endorsements they gave and got) and ``edges``
    (``kind`` ``together`` — undirected, ``count`` claims — or ``endorsed`` —
    ``from`` → ``to``, ``count`` endorsements, ``amount`` units)."""
    c, p, e, m = t.claims.c, t.claim_people.c, t.endorsements.c, t.members.c
    people: dict[str, list[str]] = defaultdict(list)
    for claim, address in conn.execute(
        select(p.claim, p.address).join(t.claims, (c.region == p.region) & (c.id == p.claim))
        .where(p.region == region, c.status.in_(("pending", "approved")))
        .order_by(p.claim, p.address)
    ):
        people[claim].append(address)
    together: dict[tuple[str, str], int] = defaultdict(int)
    claims_of: dict[str, int] = defaultdict(int)
    for group in people.values():
        for i, a in enumerate(group):
            claims_of[a] += 1
            for b in group[i + 1:]:
                together[(a, b) if a < b else (b, a)] += 1
    endorsed: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    gave: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    for src, dst, amount in conn.execute(
        select(e.endorser, e.recipient, e.amount).where(e.region == region)
    ):
        pair = endorsed[(src, dst)]
        pair[0] += 1
        pair[1] += int(amount)
        gave[src] += int(amount)
        got[dst] += int(amount)
    involved = set(claims_of) | set(gave) | set(got)
    nodes = [
        {"address": a, "displayName": name, "resident": resident, "claims": claims_of.get(a, 0),
         "endorsementsGiven": gave.get(a, 0), "endorsementsReceived": got.get(a, 0)}
        for a, name, resident in conn.execute(
            select(m.address, m.display_name, m.resident).where(m.region == region)
            .order_by(m.joined_seq))
        if a in involved
    ]
    edges = [{"kind": "together", "from": a, "to": b, "count": n}
             for (a, b), n in sorted(together.items())]
    edges += [{"kind": "endorsed", "from": a, "to": b, "count": n, "amount": amt}
              for (a, b), (n, amt) in sorted(endorsed.items())]
    return {"region": region, "nodes": nodes, "edges": edges}


@router.get("/regions/{region}/invitations", response_model=InvitationPage)
def list_invitations(region: RegionDep, conn: ConnDep, session: SessionDep, offset: Offset = 0,
                     limit: Limit = 100) -> dict[str, Any]:
    """Invitations of the region, newest first, with who redeemed each (admins only).
    Only the SHA-256 of each code is known to the service."""
    if "admin" not in queries.roles_of(conn, region, session.address):
        raise DomainError("not-admin", who=session.address, region=region)
    i = t.invitations.c
    total = conn.execute(select(func.count()).select_from(t.invitations)
                         .where(i.region == region)).scalar_one()
    rows = conn.execute(select(t.invitations).where(i.region == region)
                        .order_by(i.seq.desc()).offset(offset).limit(limit)).all()
    lab = t.invitation_labels.c
    labels = dict(conn.execute(select(lab.code_hash, lab.label).where(
        lab.region == region, lab.code_hash.in_([r.code_hash for r in rows]))).all())
    items = [{"codeHash": r.code_hash, "seq": r.seq, "admin": r.admin,
              "expiresAt": r.expires_at, "member": r.member, "revokedSeq": r.revoked_seq,
              "label": labels.get(r.code_hash)} for r in rows]
    return page(int(total), offset, limit, items)


@router.get("/regions/{region}/anchors/latest", response_model=Anchored | NotAnchored)
def latest_anchor(region: RegionDep, svc: ServicesDep) -> dict[str, Any]:
    """The region's latest ``Anchor`` entry (its checkpoint written on chain), how many
    entries the log has grown since, or ``anchor: null`` when none is found among the
    last entries."""
    from ..scheduler import latest_anchor_entry

    origin = f"kakawari/{region}"
    store = svc.regions.store
    size = store.log_info(origin).size
    found = latest_anchor_entry(store, origin)
    if found is None:
        return {"region": region, "logSize": size, "anchor": None}
    seq, entry = found[0].seq, found[1]
    m = entry.message
    return {"region": region, "logSize": size, "behind": size - int(m["size"]),
            "anchor": {"seq": seq, "time": entry.time, "chainId": m["chainId"],
                       "contract": m["contract"], "txHash": m["txHash"],
                       "blockNumber": m["blockNumber"], "size": m["size"], "root": m["root"]}}
