"""``kakawari receipt`` and ``GET /v1/regions/{region}/claims/{claim}/receipt`` (and a
voter's: ``kakawari receipt --proposal``, ``GET …/proposals/{proposal}/receipt?voter=``).

Finds, in the projections, every entry about one claim — the claim, its
confirmations, reviews, endorsements, recognitions, revocations, reinstatements and
badges — and has :func:`ledger.audit.receipt.build_receipt` prove them in the tree of
the latest anchor (or, before the claim is anchored, of the latest checkpoint).
Everything in a receipt is already public in the log; the receipt only gathers it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.audit.receipt import build_receipt, latest_anchor
from ledger.entry import origin_for
from ledger.store import LogStore

from ..domain import tables as t
from ..domain.errors import DomainError

__all__ = ["claim_receipt", "claim_seqs", "vote_receipt"]


def claim_seqs(conn: Connection, region: str, claim: str) -> list[int]:
    """The log positions of every entry about ``claim`` (DomainError if unknown)."""
    c = t.claims.c
    row = conn.execute(select(c.seq).where(c.region == region, c.id == claim)).first()
    if row is None:
        raise DomainError("unknown-claim", claim=claim, region=region)
    seqs = {int(row[0])}
    for table, column in ((t.claim_people, "confirmed_seq"), (t.reviews, "seq"),
                          (t.endorsements, "seq"), (t.recognitions, "seq"), (t.badges, "seq")):
        col = table.c[column]
        rows = conn.execute(select(col).where(table.c.region == region,
                                              table.c.claim == claim, col.is_not(None)))
        seqs.update(int(r[0]) for r in rows)
    p = t.points.c
    rows = conn.execute(select(p.seq).where(
        p.region == region, p.claim == claim, p.kind.in_(("revocation", "reinstatement"))))
    seqs.update(int(r[0]) for r in rows)
    return sorted(seqs)


def claim_receipt(store: LogStore, conn: Connection, region: str, claim: str,
                  member: str | None = None, region_name: str | None = None) -> dict[str, Any]:
    """The receipt of ``claim`` (for ``member``: their points are stated too)."""
    claim = claim.lower()
    seqs = claim_seqs(conn, region, claim)
    c = t.claims.c
    title = conn.execute(select(c.title).where(c.region == region, c.id == claim)).scalar()
    about: dict[str, Any] = {"regionName": region_name, "claim": claim, "title": title}
    if member is not None:
        member = member.lower()
        r = t.recognitions.c
        points = conn.execute(select(r.points).where(
            r.region == region, r.claim == claim, r.member == member)).scalar()
        about.update(member=member, points=None if points is None else int(points))
    origin = origin_for(region)
    return build_receipt(store, origin, seqs, anchor=latest_anchor(store, origin), about=about)


def vote_receipt(store: LogStore, conn: Connection, region: str, proposal: str, voter: str,
                 region_name: str | None = None) -> dict[str, Any]:
    """A voter's receipt: the proposal, each of ``voter``'s votes on it and, once
    decided, its decision (DomainError if she has not voted on it). ``kakawari audit
    verify-receipt`` checks the decision against her last vote."""
    from ..domain.proposals import vote_seqs

    proposal, voter = proposal.lower(), voter.lower()
    seqs = vote_seqs(conn, region, proposal, voter)
    p = t.proposals.c
    title = conn.execute(select(p.title).where(p.region == region, p.id == proposal)).scalar()
    origin = origin_for(region)
    return build_receipt(store, origin, seqs, anchor=latest_anchor(store, origin), about={
        "regionName": region_name, "proposal": proposal, "voter": voter, "title": title})
