"""Read views of the projections for the API and the CLI (no writes, no rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import tables as t
from .numbers import member_number
from .policy import Policy
from .quest_queries import quest as quest  # quests are read there (issue 14)
from .quest_queries import quest_json as quest_json
from .quest_queries import quests as quests
from .state import current_policy


def _member_json(row: Any) -> dict[str, Any]:
    return {
        "address": row.address, "displayName": row.display_name, "resident": row.resident,
        "joinedSeq": row.joined_seq, "joinedAt": row.joined_at,
        "lifetimePoints": row.points, "level": row.level, "managed": row.managed,
        "number": member_number(row.region, row.number),
    }


def members(conn: Connection, region: str, *, offset: int, limit: int,
            role: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    m = t.members.c
    stmt = select(t.members).where(m.region == region)
    count = select(func.count()).select_from(t.members).where(m.region == region)
    if role is not None:
        r = t.roles.c
        holders = select(r.address).where(r.region == region, r.role == role)
        stmt = stmt.where(m.address.in_(holders))
        count = count.where(m.address.in_(holders))
    rows = conn.execute(stmt.order_by(m.joined_seq).offset(offset).limit(limit)).all()
    return int(conn.execute(count).scalar_one()), [_member_json(r) for r in rows]


def roles_of(conn: Connection, region: str, address: str) -> list[str]:
    r = t.roles.c
    rows = conn.execute(
        select(r.role).where(r.region == region, r.address == address).order_by(r.role)
    ).all()
    return [row[0] for row in rows]


def point_lines(conn: Connection, region: str, address: str, *, offset: int = 0,
                limit: int | None = None) -> list[Any]:
    p = t.points.c
    stmt = select(t.points).where(p.region == region, p.member == address).order_by(p.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(conn.execute(stmt).all())


def current_points(policy: Policy, lines: list[Any], now: int) -> float:
    return sum(policy.decayed(int(r.points), now - int(r.time)) for r in lines)


def member(conn: Connection, region: str, address: str, now: int) -> dict[str, Any] | None:
    """A member's profile, points (current, decayed if the policy says so), level,
    roles, recognitions and badges."""
    m = t.members.c
    row = conn.execute(select(t.members).where(m.region == region, m.address == address)).first()
    if row is None:
        return None
    version, policy = current_policy(conn, region)
    lines = point_lines(conn, region, address)
    out = _member_json(row)
    out["points"] = round(current_points(policy, lines, now), 2)
    out["policyVersion"] = version
    out["nextLevelAt"] = next((v for v in policy.levels if v > row.points), None)
    out["roles"] = roles_of(conn, region, address)
    rc = t.recognitions.c
    out["recognitions"] = [
        {"claim": r.claim, "seq": r.seq, "points": r.points, "time": r.time}
        for r in conn.execute(select(t.recognitions).where(
            rc.region == region, rc.member == address).order_by(rc.seq)).all()
    ]
    spent = conn.execute(select(t.balances.c.redeemed).where(
        t.balances.c.region == region, t.balances.c.member == address)).scalar()
    out["redeemedPoints"] = int(spent or 0)
    out["spendablePoints"] = int(row.points) - int(spent or 0)
    b = t.badges.c
    out["badges"] = [
        {"claim": r.claim, "seq": r.seq, "chainId": r.chain_id, "contract": r.contract,
         "tokenId": r.token_id, "leafHash": r.leaf_hash}
        for r in conn.execute(select(t.badges).where(
            b.region == region, b.member == address).order_by(b.seq)).all()
    ]
    return out


_EXPLAIN = {
    "recognition": "approved contribution (recognition entry {seq})",
    "endorsement": "endorsement entry {seq} of your contribution",
    "revocation": "revocation entry {seq} took back the points of claim {claim}",
    "reinstatement": "reinstatement entry {seq} gave back the points of claim {claim}",
}


def points_explained(conn: Connection, region: str, address: str, now: int, *,
                     offset: int, limit: int) -> dict[str, Any]:
    version, policy = current_policy(conn, region)
    every = point_lines(conn, region, address)
    page = every[offset: offset + limit]
    return {
        "member": address,
        "lifetimePoints": sum(int(r.points) for r in every),
        "points": round(current_points(policy, every, now), 2),
        "decayHalfLifeDays": policy.decayHalfLifeDays,
        "policyVersion": version,
        "total": len(every),
        "lines": [
            {"seq": r.seq, "creditedBySeq": r.via_seq, "kind": r.kind, "claim": r.claim,
             "points": r.points, "time": r.time, "policyVersion": r.policy_version,
             "currentValue": round(policy.decayed(int(r.points), now - int(r.time)), 2),
             "explanation": _EXPLAIN[r.kind].format(seq=r.seq, claim=r.claim)}
            for r in page
        ],
    }


def _claim_json(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id, "seq": row.seq, "contributor": row.contributor, "category": row.category,
        "title": row.title, "minutes": row.minutes, "occurredAt": row.occurred_at,
        "quest": row.quest, "detailsHash": row.details_hash, "status": row.status,
        "approvals": row.approvals, "points": row.points, "endorsementPoints": row.endorsed,
        "decidedSeq": row.decided_seq, "createdAt": row.created_at,
    }
    return out


def expected_points(conn: Connection, region: str, rows: list[dict[str, Any]]) -> None:
    """Fill in ``expectedPoints`` of each pending claim: what it earns per person if it
    is approved under the policy in force now (None for decided claims)."""
    pending = [c for c in rows if c["status"] == "pending"]
    for c in rows:
        c["expectedPoints"] = None
    if not pending:
        return
    _, policy = current_policy(conn, region)
    q = t.quests.c
    wanted = {c["quest"] for c in pending if c["quest"]}
    bonus = {r.id: int(r.points) for r in conn.execute(
        select(q.id, q.points).where(q.region == region, q.id.in_(wanted)))} if wanted else {}
    for c in pending:
        c["expectedPoints"] = policy.claim_points(c["category"], int(c["minutes"]),
                                                  bonus.get(c["quest"] or "", 0))


def claims(conn: Connection, region: str, *, offset: int, limit: int,
           status: str | None = None, member: str | None = None,
           category: str | None = None, quest: str | None = None,
           ) -> tuple[int, list[dict[str, Any]]]:
    c = t.claims.c
    cond = [c.region == region]
    if status is not None:
        cond.append(c.status == status)
    if category is not None:
        cond.append(c.category == category)
    if quest is not None:
        cond.append(c.quest == quest)
    if member is not None:
        p = t.claim_people.c
        cond.append(c.id.in_(select(p.claim).where(p.region == region, p.address == member)))
    total = conn.execute(select(func.count()).select_from(t.claims).where(*cond)).scalar_one()
    rows = conn.execute(
        select(t.claims).where(*cond).order_by(c.seq.desc()).offset(offset).limit(limit)
    ).all()
    items = [_claim_json(r) for r in rows]
    expected_points(conn, region, items)
    return int(total), items


def claim(conn: Connection, region: str, claim_id: str) -> dict[str, Any] | None:
    c = t.claims.c
    row = conn.execute(select(t.claims).where(c.region == region, c.id == claim_id)).first()
    if row is None:
        return None
    out = _claim_json(row)
    expected_points(conn, region, [out])
    p = t.claim_people.c
    out["people"] = [
        {"address": r.address, "contributor": r.contributor, "confirmedSeq": r.confirmed_seq}
        for r in conn.execute(select(t.claim_people).where(
            p.region == region, p.claim == claim_id).order_by(p.contributor.desc(), p.address))
    ]
    rv = t.reviews.c
    out["reviews"] = [
        {"seq": r.seq, "reviewer": r.reviewer, "approve": r.approve, "reason": r.reason,
         "time": r.time}
        for r in conn.execute(select(t.reviews).where(
            rv.region == region, rv.claim == claim_id).order_by(rv.seq))
    ]
    e = t.endorsements.c
    out["endorsements"] = [
        {"seq": r.seq, "endorser": r.endorser, "amount": r.amount, "note": r.note,
         "time": r.time, "credited": r.credited}
        for r in conn.execute(select(t.endorsements).where(
            e.region == region, e.claim == claim_id).order_by(e.seq))
    ]
    er = t.erasures.c
    out["detailsErased"] = conn.execute(select(er.seq).where(
        er.region == region, er.details_hash == row.details_hash)).first() is not None
    return out




def policy(conn: Connection, region: str) -> dict[str, Any]:
    version, current = current_policy(conn, region)
    p = t.policies.c
    seq = conn.execute(select(p.seq).where(p.region == region, p.version == version)).scalar()
    return {"version": version, "seq": seq, "policy": current.to_json(), "default": version == 0}


def is_erased(conn: Connection, region: str, digest: str) -> bool:
    er = t.erasures.c
    stmt = select(er.seq).where(er.region == region, er.details_hash == digest)
    return conn.execute(stmt).first() is not None


def details_readers(conn: Connection, region: str, digest: str, owner: str | None
                    ) -> set[str]:
    """Who may read the details ``digest`` besides verifiers and admins: their
    ``owner`` (who stored them) and the people of the owner's claims that name them —
    not those of someone else's claim naming the same hash."""
    if owner is None:
        return set()
    c, p = t.claims.c, t.claim_people.c
    rows = conn.execute(
        select(p.address).where(p.region == region, p.claim.in_(
            select(c.id).where(c.region == region, c.details_hash == digest,
                               c.contributor == owner)))
    ).all()
    return {owner} | {r[0] for r in rows}



def partners(conn: Connection, region: str) -> list[dict[str, Any]]:
    """The region's partners, as its ``Partnership`` entries name them, in log order."""
    p = t.partners.c
    rows = conn.execute(select(t.partners).where(p.region == region).order_by(p.seq)).all()
    return [{"partner": r.partner, "name": r.name, "url": r.url, "logKey": r.log_key,
             "witnessKey": r.witness_key, "seq": r.seq, "active": bool(r.active),
             "endedSeq": r.ended_seq} for r in rows]
