"""Read views of quests, sign-ups, check-in windows, perks and redemptions (issue 14)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from . import tables as t


def quest_json(r: Any) -> dict[str, Any]:
    tags = [x.strip() for x in (r.tags or "").split(",") if x.strip()]
    return {"id": r.id, "seq": r.seq, "admin": r.admin, "author": r.admin, "title": r.title,
            "category": r.category, "points": r.points, "opensAt": r.opens_at,
            "closesAt": r.closes_at, "detailsHash": r.details_hash, "claims": r.claims,
            "status": r.status, "description": r.description, "place": r.place,
            "geo": r.geo or None, "online": r.online, "capacity": r.capacity,
            "contact": r.contact, "tags": tags, "signups": r.signups,
            "full": bool(r.capacity) and r.signups >= r.capacity,
            "decidedSeq": r.decided_seq, "reason": r.reason, "editedSeq": r.edited_seq}


def quests(conn: Connection, region: str, *, offset: int, limit: int,
           open_at: int | None = None, status: str | None = None, text: str | None = None,
           tag: str | None = None, place: str | None = None, starts_from: int | None = None,
           starts_until: int | None = None, signed_up: str | None = None,
           ) -> tuple[int, list[dict[str, Any]]]:
    """Quests, newest first, filtered: open at a time, by status, a word in the title,
    description or place, a tag, a place, a start between two times, a member's sign-ups."""
    q = t.quests.c
    cond: list[Any] = [q.region == region]
    if open_at is not None:
        cond += [q.opens_at <= open_at, q.closes_at >= open_at, q.status == "open"]
    if status is not None:
        cond.append(q.status == status)
    if text:
        like = f"%{text}%"
        cond.append(or_(q.title.like(like), q.description.like(like), q.place.like(like),
                        q.tags.like(like)))
    if tag:
        padded = func.replace("," + q.tags + ",", ", ", ",")
        cond.append(padded.like(f"%,{tag.strip()},%"))
    if place:
        cond.append(q.place.like(f"%{place}%"))
    if starts_from is not None:
        cond.append(q.closes_at >= starts_from)
    if starts_until is not None:
        cond.append(q.opens_at <= starts_until)
    if signed_up is not None:
        s = t.signups.c
        cond.append(q.id.in_(select(s.quest).where(s.region == region, s.member == signed_up,
                                                    s.joined)))
    total = conn.execute(select(func.count()).select_from(t.quests).where(*cond)).scalar_one()
    rows = conn.execute(
        select(t.quests).where(*cond).order_by(q.seq.desc()).offset(offset).limit(limit)
    ).all()
    return int(total), [quest_json(r) for r in rows]


def quest(conn: Connection, region: str, quest_id: str) -> dict[str, Any] | None:
    q = t.quests.c
    row = conn.execute(select(t.quests).where(q.region == region, q.id == quest_id)).first()
    if row is None:
        return None
    out = quest_json(row)
    c = t.checkins.c
    window = conn.execute(select(t.checkins).where(c.region == region,
                                                   c.quest == quest_id)).first()
    out["checkIn"] = None if window is None else {
        "seq": window.seq, "organiser": window.organiser, "opensAt": window.opens_at,
        "closesAt": window.closes_at}
    return out


def signups(conn: Connection, region: str, quest_id: str) -> list[dict[str, Any]]:
    """Who signed up (and has not cancelled), in the order they signed up, with their
    names and whether they recorded an activity for the quest."""
    s, m, c, p = t.signups.c, t.members.c, t.claims.c, t.claim_people.c
    answered = select(p.address).where(
        p.region == region, p.claim.in_(select(c.id).where(c.region == region,
                                                           c.quest == quest_id)))
    rows = conn.execute(
        select(s.member, s.seq, s.time, m.display_name, m.managed,
               s.member.in_(answered).label("recorded"))
        .join(t.members, (m.region == s.region) & (m.address == s.member))
        .where(s.region == region, s.quest == quest_id, s.joined).order_by(s.seq)
    ).all()
    return [{"member": r.member, "displayName": r.display_name, "managed": r.managed,
             "seq": r.seq, "time": r.time, "recorded": bool(r.recorded)} for r in rows]


def perk_json(r: Any) -> dict[str, Any]:
    return {"id": r.id, "seq": r.seq, "updatedSeq": r.updated_seq, "admin": r.admin,
            "title": r.title, "description": r.description, "cost": r.cost,
            "stock": r.stock, "redeemed": r.redeemed, "left": max(r.stock - r.redeemed, 0),
            "validUntil": r.valid_until, "place": r.place}


def perks(conn: Connection, region: str, *, valid_at: int | None = None) -> list[dict[str, Any]]:
    k = t.perks.c
    cond: list[Any] = [k.region == region]
    if valid_at is not None:
        cond.append(k.valid_until >= valid_at)
    rows = conn.execute(select(t.perks).where(*cond).order_by(k.seq.desc())).all()
    return [perk_json(r) for r in rows]


def perk(conn: Connection, region: str, perk_id: str) -> dict[str, Any] | None:
    k = t.perks.c
    row = conn.execute(select(t.perks).where(k.region == region, k.id == perk_id)).first()
    return perk_json(row) if row is not None else None


def redemptions(conn: Connection, region: str, *, member: str | None = None,
                status: str | None = None, offset: int = 0, limit: int = 100,
                ) -> tuple[int, list[dict[str, Any]]]:
    r, k, m = t.redemptions.c, t.perks.c, t.members.c
    cond: list[Any] = [r.region == region]
    if member is not None:
        cond.append(r.member == member)
    if status is not None:
        cond.append(r.status == status)
    total = conn.execute(select(func.count()).select_from(t.redemptions).where(*cond)
                         ).scalar_one()
    rows = conn.execute(
        select(t.redemptions, k.title.label("perk_title"), k.place.label("perk_place"),
               m.display_name)
        .join(t.perks, (k.region == r.region) & (k.id == r.perk))
        .join(t.members, (m.region == r.region) & (m.address == r.member))
        .where(*cond).order_by(r.seq.desc()).offset(offset).limit(limit)
    ).all()
    return int(total), [
        {"id": x.id, "seq": x.seq, "member": x.member, "displayName": x.display_name,
         "perk": x.perk, "perkTitle": x.perk_title, "place": x.perk_place, "cost": x.cost,
         "status": x.status, "statusSeq": x.status_seq, "reason": x.reason, "time": x.time}
        for x in rows]


def balance(conn: Connection, region: str, member: str) -> dict[str, int]:
    """Lifetime points, points redeemed (not cancelled) and what is left to spend."""
    m, b = t.members.c, t.balances.c
    lifetime = conn.execute(select(m.points).where(m.region == region, m.address == member)
                            ).scalar()
    spent = conn.execute(select(b.redeemed).where(b.region == region, b.member == member)
                         ).scalar()
    lifetime, spent = int(lifetime or 0), int(spent or 0)
    return {"lifetimePoints": lifetime, "redeemedPoints": spent,
            "spendablePoints": lifetime - spent}


def member_exists(conn: Connection, region: str, member: str) -> bool:
    m = t.members.c
    return conn.execute(select(m.address).where(m.region == region, m.address == member)
                        ).first() is not None
