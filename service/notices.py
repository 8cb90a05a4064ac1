"""A member's notices: what happened to her in the region, read off the projections.

Every notice is an entry of the log seen from one member's side — her activity was
approved (a ``Recognition`` for her) or rejected (with the reviewer's reason), someone
thanked her, someone named her on a shared activity to confirm, a quest was posted
after she joined. Notices are not stored: they are queried from the projections, so
they are the same on every server that replays the log. Only what is *hers* lives in
service tables, off the log: up to which entry she has read them
(``svc_notice_reads``) and, if she gave one, the e-mail address her notices go to
(``svc_contacts``, see :mod:`service.mail`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from .domain import tables as t

NoticeKind = Literal["approved", "rejected", "thanked", "confirm", "quest", "signup"]
KINDS: tuple[NoticeKind, ...] = ("approved", "rejected", "thanked", "confirm", "quest",
                                 "signup")

#: At most this many notices of each kind are read per request (newest first).
PER_KIND = 100

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _names(conn: Connection, region: str) -> dict[str, str]:
    m = t.members.c
    return {a: n for a, n in conn.execute(
        select(m.address, m.display_name).where(m.region == region))}


def notices(conn: Connection, region: str, member: str, *, after: int = -1,
            limit: int = 50) -> list[dict[str, Any]]:
    """``member``'s notices from entries after seq ``after``, newest first (at most
    ``limit``). Each has ``seq`` (the entry it comes from), ``kind``, ``time`` and what
    the kind needs: the activity (``claim``, ``title``), who (``by``, ``byName``),
    ``points``, ``amount``, ``note``, ``reason``, ``quest``, ``done``."""
    names = _names(conn, region)
    c, p, rv = t.claims.c, t.claim_people.c, t.reviews.c
    out: list[dict[str, Any]] = []

    def add(seq: int, kind: NoticeKind, time: int | None, **rest: Any) -> None:
        by = rest.get("by")
        out.append({"seq": int(seq), "kind": kind, "time": time, **rest,
                    **({"byName": names.get(by, "")} if by else {})})

    rc = t.recognitions.c
    for rec in conn.execute(
        select(rc.seq, rc.claim, rc.points, rc.time, c.title)
        .join(t.claims, and_(c.region == rc.region, c.id == rc.claim))
        .where(rc.region == region, rc.member == member, rc.seq > after)
        .order_by(rc.seq.desc()).limit(PER_KIND)
    ):
        add(rec.seq, "approved", rec.time, claim=rec.claim, title=rec.title, points=int(rec.points))
    mine = select(p.claim).where(p.region == region, p.address == member)
    for rej in conn.execute(
        select(rv.seq, rv.claim, rv.reviewer, rv.reason, rv.time, c.title)
        .join(t.claims, and_(c.region == rv.region, c.id == rv.claim, c.decided_seq == rv.seq))
        .where(rv.region == region, ~rv.approve, rv.claim.in_(mine), rv.seq > after)
        .order_by(rv.seq.desc()).limit(PER_KIND)
    ):
        add(rej.seq, "rejected", rej.time, claim=rej.claim, title=rej.title, by=rej.reviewer,
            reason=rej.reason)
    e = t.endorsements.c
    for thx in conn.execute(
        select(e.seq, e.claim, e.endorser, e.amount, e.note, e.time, c.title)
        .join(t.claims, and_(c.region == e.region, c.id == e.claim))
        .where(e.region == region, e.recipient == member, e.seq > after)
        .order_by(e.seq.desc()).limit(PER_KIND)
    ):
        add(thx.seq, "thanked", thx.time, claim=thx.claim, title=thx.title, by=thx.endorser,
            amount=int(thx.amount), note=thx.note)
    for co in conn.execute(
        select(c.seq, c.id, c.title, c.contributor, c.created_at, p.confirmed_seq)
        .join(t.claim_people, and_(p.region == c.region, p.claim == c.id))
        .where(c.region == region, p.address == member, ~p.contributor, c.seq > after)
        .order_by(c.seq.desc()).limit(PER_KIND)
    ):
        add(co.seq, "confirm", co.created_at, claim=co.id, title=co.title, by=co.contributor,
            done=co.confirmed_seq is not None)
    m, q = t.members.c, t.quests.c
    joined = conn.execute(select(m.joined_seq).where(
        m.region == region, m.address == member)).scalar()
    if joined is not None:
        for r in conn.execute(
            select(q.seq, q.id, q.title, q.points, q.opens_at, q.admin)
            .where(q.region == region, q.seq > max(after, int(joined)), q.admin != member,
                   q.status == "open")  # not a resident's proposal not published yet
            .order_by(q.seq.desc()).limit(PER_KIND)
        ):
            add(r.seq, "quest", r.opens_at, quest=r.id, title=r.title, points=int(r.points),
                by=r.admin)
    # someone signed up for a quest this member organises (its author or contact)
    s = t.signups.c
    for su in conn.execute(
        select(s.seq, s.member, s.time, q.id, q.title)
        .join(t.quests, and_(q.region == s.region, q.id == s.quest))
        .where(s.region == region, s.joined, s.seq > after, s.member != member,
               (q.admin == member) | (q.contact == member))
        .order_by(s.seq.desc()).limit(PER_KIND)
    ):
        add(su.seq, "signup", su.time, quest=su.id, title=su.title, by=su.member)
    out.sort(key=lambda n: -n["seq"])
    return out[:limit]


def read_seq(conn: Connection, region: str, member: str) -> int:
    """The entry up to which ``member`` has read her notices (-1: none read)."""
    r = t.notice_reads.c
    found = conn.execute(select(r.read_seq).where(
        r.region == region, r.member == member)).scalar()
    return -1 if found is None else int(found)


def mark_read(conn: Connection, region: str, member: str, up_to: int) -> int:
    """Mark ``member``'s notices up to entry ``up_to`` read (never moves back)."""
    r = t.notice_reads.c
    current = conn.execute(select(r.read_seq).where(
        r.region == region, r.member == member)).scalar()
    if current is None:
        conn.execute(insert(t.notice_reads).values(region=region, member=member,
                                                   read_seq=up_to))
        return up_to
    if up_to > current:
        conn.execute(update(t.notice_reads).where(r.region == region, r.member == member)
                     .values(read_seq=up_to))
        return up_to
    return int(current)


def contact(conn: Connection, region: str, member: str) -> dict[str, Any] | None:
    """The e-mail address ``member`` gave for her notices, or None."""
    ct = t.contacts.c
    row = conn.execute(select(ct.email, ct.lang).where(
        ct.region == region, ct.member == member)).first()
    return None if row is None else {"email": row.email, "lang": row.lang}


def set_contact(conn: Connection, region: str, member: str, email: str | None, lang: str,
                *, log_size: int, now: int) -> None:
    """Keep (or, with ``email`` None, forget) ``member``'s e-mail address. Notices are
    mailed from the next entry on: nothing from before she gave it."""
    ct = t.contacts.c
    where = (ct.region == region, ct.member == member)
    if email is None:
        conn.execute(t.contacts.delete().where(*where))
        return
    if conn.execute(select(ct.member).where(*where)).first() is None:
        conn.execute(insert(t.contacts).values(region=region, member=member, email=email,
                                               lang=lang, mailed_seq=log_size - 1,
                                               updated_at=now))
    else:
        conn.execute(update(t.contacts).where(*where).values(email=email, lang=lang,
                                                             updated_at=now))
