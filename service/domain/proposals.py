"""Read views of proposals: lists, one proposal with its count, the health of decisions.

Before closing the count shown is provisional (the same :func:`.governance.count` the
decision will use), or hidden when the proposal asked for it (``hideTotals``: only how
many have voted). After the ``Decision`` entry, its result as written.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import governance
from . import tables as t
from .errors import DomainError

DAY = 86400


def _status(row: Any, now: int) -> str:
    if row["status"] != "open":
        return str(row["status"])
    if now < row["opens_at"]:
        return "upcoming"
    return "open" if now < row["closes_at"] else "closed"


def _summary(row: Any, now: int) -> dict[str, Any]:
    return {
        "id": row["id"], "seq": int(row["seq"]), "proposer": row["proposer"],
        "title": row["title"], "method": row["method"],
        "choices": governance.labels(row["method"], json.loads(row["choices"])),
        "opensAt": int(row["opens_at"]), "closesAt": int(row["closes_at"]),
        "status": _status(row, now), "votes": int(row["votes"]),
        "eligible": {"voters": int(row["eligible_voters"]), "power": int(row["eligible_power"])},
    }


def list_proposals(conn: Connection, region: str, now: int, *, status: str | None = None,
                   offset: int = 0, limit: int = 100) -> tuple[int, list[dict[str, Any]]]:
    """Proposals newest first; ``status`` one of open (upcoming and open), closed
    (closed, decided, withdrawn, cancelled)."""
    p = t.proposals.c
    cond = [p.region == region]
    if status == "open":
        cond += [p.status == "open", p.closes_at > now]
    elif status == "closed":
        cond.append((p.status != "open") | (p.closes_at <= now))
    total = int(conn.execute(select(func.count()).select_from(t.proposals).where(*cond))
                .scalar_one())
    rows = conn.execute(select(t.proposals).where(*cond).order_by(p.seq.desc())
                        .offset(offset).limit(limit)).mappings().all()
    return total, [_summary(r, now) for r in rows]


def _row(conn: Connection, region: str, proposal: str) -> Any:
    p = t.proposals.c
    row = conn.execute(select(t.proposals).where(p.region == region, p.id == proposal)
                       ).mappings().first()
    if row is None:
        raise DomainError("unknown-proposal", proposal=proposal, region=region)
    return row


def ballots(conn: Connection, region: str, proposal: str) -> list[tuple[str, int, list[int]]]:
    b, e = t.ballots.c, t.electorate.c
    rows = conn.execute(
        select(b.voter, e.power, b.ballot).join(
            t.electorate, (e.region == b.region) & (e.proposal == b.proposal) &
            (e.address == b.voter))
        .where(b.region == region, b.proposal == proposal).order_by(b.voter)).all()
    return [(r[0], int(r[1]), json.loads(r[2])) for r in rows]


def _health(conn: Connection, region: str, row: Any, cast: list[tuple[str, int, list[int]]],
            now: int) -> dict[str, Any]:
    v = t.votes.c
    until = min(now, int(row["closes_at"]))
    changed = conn.execute(select(func.count()).select_from(t.votes).where(
        v.region == region, v.proposal == row["id"], v.change, v.time > until - DAY,
        v.time <= until)).scalar_one()
    out = governance.health([power for _, power, _ in cast], int(row["eligible_power"]))
    out["changedLast24h"] = int(changed)
    return out


def proposal_detail(conn: Connection, region: str, proposal: str, now: int, *,
                    admin: bool = False, voter: str | None = None) -> dict[str, Any]:
    """One proposal: its text and rules, participation, the result (decided) or the
    provisional count (unless hidden), the health (decided, or for admins), and
    ``voter``'s ballot that counts."""
    row = _row(conn, region, proposal.lower())
    cast = ballots(conn, region, row["id"])
    out = _summary(row, now)
    out.update(
        text=row["text"], costs=json.loads(row["costs"]), budget=int(row["budget"]),
        hideTotals=bool(row["hide_totals"]), rules=json.loads(row["rules"]),
        reason=row["reason"], endedSeq=row["ended_seq"],
        participation={"voters": len(cast), "power": sum(p for _, p, _ in cast),
                       "votes": int(row["votes"])},
    )
    decided = row["status"] == "decided"
    if decided:
        out["result"], out["provisional"] = json.loads(row["result"]), False
    elif row["hide_totals"] and out["status"] in ("upcoming", "open"):
        out["result"], out["provisional"] = None, True
    else:
        out["result"], out["provisional"] = governance.count(row, cast), True
    out["health"] = _health(conn, region, row, cast, now) if decided or admin else None
    mine = None
    if voter is not None:
        found = next((b for v, _, b in cast if v == voter.lower()), None)
        mine = found
    out["myBallot"] = mine
    return out


def vote_seqs(conn: Connection, region: str, proposal: str, voter: str) -> list[int]:
    """The log positions of the proposal and of every vote ``voter`` cast on it."""
    row = _row(conn, region, proposal.lower())
    v = t.votes.c
    seqs = [int(r[0]) for r in conn.execute(select(v.seq).where(
        v.region == region, v.proposal == row["id"], v.voter == voter.lower())
        .order_by(v.seq)).all()]
    if not seqs:
        raise DomainError("not-allowed", reason=f"{voter} has not voted on {proposal}.")
    extra = [int(row["ended_seq"])] if row["status"] == "decided" else []
    return [int(row["seq"]), *seqs, *extra]


def decision_health(conn: Connection, region: str, now: int) -> list[dict[str, Any]]:
    """The health of every decided proposal, oldest first (for the KPI export)."""
    p = t.proposals.c
    rows = conn.execute(select(t.proposals).where(p.region == region, p.status == "decided")
                        .order_by(p.seq)).mappings().all()
    out = []
    for row in rows:
        result = json.loads(row["result"])
        health = _health(conn, region, row, ballots(conn, region, row["id"]), now)
        out.append({"proposal": row["id"], "title": row["title"], "method": row["method"],
                    "closesAt": int(row["closes_at"]), "passed": bool(result["passed"]),
                    **health})
    return out
