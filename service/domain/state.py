"""Reading and writing one region's projections inside an append transaction.

:class:`Projections` is everything the recognition rules read and the projection
updates write, and nothing more. :class:`State` implements it on the transaction's
connection; :class:`~.memory.MemoryState` in memory (the auditor's recomputation).

:class:`State` wraps the transaction's connection: the rules read through it, and the
projection updates (:mod:`.apply`) write through it, so both see every entry appended
earlier in the same transaction and everything commits with the entries.

:class:`Known` is what the domain remembers of a region across transactions, only
facts that never change once committed (a policy version's rules; that an address is a
member — nobody leaves), so a transaction reads them from the database once, not
every time.
"""

from __future__ import annotations

import functools
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from ledger.store.sql import pipelined

from . import tables as t
from .policy import DEFAULT_POLICY, Policy, parse_policy


@dataclass
class Known:
    """Committed facts of one region that never change: the rules of each policy
    version and the addresses known to be members. Learned only from what was read
    before a transaction wrote anything, or after it committed (:meth:`learn`), never
    from rows a transaction that may still roll back wrote itself."""

    policies: dict[int, Policy] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def learn(self, state: State) -> None:
        """Remember what ``state``'s transaction found; call it after the commit."""
        with self._lock:
            self.members |= state.seen_members
            if state.fresh_policy is not None:
                self.policies.setdefault(*state.fresh_policy)


class Projections(ABC):
    """The projections of one region as the recognition rules (:mod:`.rules`) read them
    and the projection updates (:mod:`.apply`) write them: everything they need goes
    through these methods. :class:`State` keeps them in the database, inside an append
    transaction; :class:`~.memory.MemoryState` in memory, for an auditor's recomputation
    of a whole log. ``one``, ``update`` and ``delete`` take a table's whole primary key
    (``region`` aside)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._policy: tuple[int, Policy] | None = None

    # -- policy ----------------------------------------------------------------------

    @property
    def policy_version(self) -> int:
        return self._current_policy()[0]

    @property
    def policy(self) -> Policy:
        return self._current_policy()[1]

    def _current_policy(self) -> tuple[int, Policy]:
        if self._policy is None:
            self._policy = self._read_policy()
        return self._policy

    def _read_policy(self) -> tuple[int, Policy]:
        """The latest published policy ``(version, policy)``; version 0 is the default."""
        return 0, DEFAULT_POLICY

    def set_policy(self, version: int, policy: Policy) -> None:
        self._policy = (version, policy)

    # -- rows by primary key -------------------------------------------------------------

    @abstractmethod
    def one(self, table: Table, **where: Any) -> Mapping[str, Any] | None:
        """The row with this primary key, or None (to read: change rows with
        :meth:`update`)."""

    @abstractmethod
    def insert(self, table: Table, **values: Any) -> None:
        """Insert a row."""

    @abstractmethod
    def update(self, table: Table, where: dict[str, Any], **values: Any) -> None:
        """Set ``values`` in the row whose primary key is ``where``."""

    @abstractmethod
    def delete(self, table: Table, **where: Any) -> None:
        """Delete the row with this primary key."""

    def member(self, address: str) -> Mapping[str, Any] | None:
        return self.one(t.members, address=address)

    def is_member(self, address: str) -> bool:
        return self.member(address) is not None

    def has_role(self, address: str, role: str) -> bool:
        return self.one(t.roles, address=address, role=role) is not None

    def claim(self, claim_id: str) -> Mapping[str, Any] | None:
        return self.one(t.claims, id=claim_id)

    def nonce_used(self, signer: str, nonce: int) -> bool:
        return self.one(t.nonces, signer=signer, nonce=nonce) is not None

    # -- other reads -----------------------------------------------------------------------

    @abstractmethod
    def members_among(self, addresses: list[str]) -> set[str]:
        """Which of ``addresses`` are members."""

    @abstractmethod
    def count_role(self, role: str) -> int:
        """How many hold ``role``."""

    @abstractmethod
    def next_member_number(self) -> int:
        """The number the next member to join gets: one more than the highest (members
        are numbered 1, 2, … in the order of their ``Join`` entries; nobody leaves)."""

    @abstractmethod
    def people(self, claim_id: str) -> Sequence[Mapping[str, Any]]:
        """The claim's people: its contributor first, then co-contributors by address."""

    @abstractmethod
    def endorsed_in_epoch(self, endorser: str, epoch: int) -> int:
        """The endorsement amount ``endorser`` gave in ``epoch``."""

    @abstractmethod
    def reviewed_by(self, claim_id: str, reviewer: str) -> bool:
        """Whether ``reviewer`` has reviewed the claim."""

    @abstractmethod
    def uncredited_endorsements(self, claim_id: str) -> list[int]:
        """The seqs of the claim's endorsements not credited yet, in log order."""

    @abstractmethod
    def claim_lines(self, claim_id: str) -> list[tuple[str, int, str, int]]:
        """The claim's points lines as ``(member, points, kind, seq)``, oldest first."""

    @abstractmethod
    def member_points(self) -> list[tuple[str, int, int]]:
        """Every member's ``(address, lifetime points, level)``."""

    @abstractmethod
    def contributed_details(self, contributor: str, details_hash: str) -> bool:
        """Whether ``contributor`` made a claim with these private details."""

    @abstractmethod
    def proposal_ballots(self, proposal: str) -> list[tuple[str, int, list[int]]]:
        """Each voter's ballot that counts on ``proposal``: ``(voter, power, choices)``,
        by voter."""

    @abstractmethod
    def details_claimant(self, details_hash: str) -> str | None:
        """The contributor of the first claim that names these private details."""

    @abstractmethod
    def record_claims(self, member: str) -> list[tuple[str, int, str]]:
        """The claims with a recognition of ``member``: ``(claim, occurredAt, status)``,
        by claim id."""

    # -- points ---------------------------------------------------------------------------

    @abstractmethod
    def _new_line_id(self) -> int:
        """The id of the next points line (one more than the last)."""

    def add_line(self, member: str, *, seq: int, via_seq: int, kind: str, claim: str | None,
                 points: int, time: int) -> None:
        """A points line for ``member``, and their lifetime points and level."""
        if points == 0:
            return
        self.insert(t.points, id=self._new_line_id(), member=member, seq=seq,
                    via_seq=via_seq, kind=kind, claim=claim, points=points, time=time,
                    policy_version=self.policy_version)
        row = self.member(member)
        if row is not None:
            total = int(row["points"]) + points
            self.update(t.members, {"address": member}, points=total,
                        level=self.policy.level(total))


class State(Projections):
    """The projections of ``region`` as seen by ``conn``'s transaction; with ``known``,
    the region's committed facts remembered across transactions."""

    def __init__(self, conn: Connection, region: str, known: Known | None = None) -> None:
        super().__init__(region)
        self._conn = conn
        self._known = known
        self._next_line: int | None = None
        self._head_row: bool | None = None  # whether the heads row exists, once read
        self.seen_members: set[str] = set()
        """Addresses found to be members in this transaction (for :meth:`Known.learn`)."""
        self.fresh_policy: tuple[int, Policy] | None = None
        """A policy version read from the database in this transaction."""
        # Inserts wait here and go to the database as one executemany per table just
        # before anything reads or updates that table (or anyone takes ``conn``): a
        # group of claims costs a few statements, not a few per claim.
        self._pending: dict[Table, list[dict[str, Any]]] = {}

    @property
    def conn(self) -> Connection:
        """The transaction's connection, with every pending insert written."""
        self.flush()
        return self._conn

    def flush(self, *tables: Table) -> None:
        """Write the pending inserts (of ``tables``; all when none are named)."""
        for table in tables or tuple(self._pending):
            rows = self._pending.pop(table, None)
            if rows:
                self._conn.execute(_insert(table), rows)

    def _read_policy(self) -> tuple[int, Policy]:
        policy = current_policy(self.conn, self.region)
        if self._known is not None and policy[0] not in self._known.policies:
            self.fresh_policy = policy
        return policy

    # -- reads -------------------------------------------------------------------------

    def one(self, table: Table, **where: Any) -> dict[str, Any] | None:
        self.flush(table)
        stmt = _select(table, tuple(where))
        row = self._conn.execute(stmt, {"w_region": self.region, **_w(where)}).mappings().first()
        return dict(row) if row is not None else None

    def is_member(self, address: str) -> bool:
        """Whether ``address`` is a member (a read unless it is known already)."""
        if self._known is not None and address in self._known.members:
            return True
        found = self.member(address) is not None
        if found:
            self.seen_members.add(address)
        return found

    def members_among(self, addresses: list[str]) -> set[str]:
        """Which of ``addresses`` are members (one read, none if all are known)."""
        known = self._known.members if self._known is not None else set()
        ask = [a for a in addresses if a not in known]
        found = {a for a in addresses if a in known}
        if ask:
            m = t.members.c
            self.flush(t.members)
            rows = self._conn.execute(
                select(m.address).where(m.region == self.region, m.address.in_(ask))
            ).all()
            self.seen_members.update(r[0] for r in rows)
            found.update(r[0] for r in rows)
        return found

    def count_role(self, role: str) -> int:
        r = t.roles.c
        stmt = select(func.count()).where(r.region == self.region, r.role == role)
        return int(self.conn.execute(stmt).scalar_one())

    def next_member_number(self) -> int:
        m = t.members.c
        stmt = select(func.coalesce(func.max(m.number), 0)).where(m.region == self.region)
        return int(self.conn.execute(stmt).scalar_one()) + 1

    def people(self, claim_id: str) -> list[dict[str, Any]]:
        p = t.claim_people.c
        stmt = (
            select(t.claim_people)
            .where(p.region == self.region, p.claim == claim_id)
            .order_by(p.contributor.desc(), p.address)
        )
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def endorsed_in_epoch(self, endorser: str, epoch: int) -> int:
        e = t.endorsements.c
        stmt = select(func.coalesce(func.sum(e.amount), 0)).where(
            e.region == self.region, e.endorser == endorser, e.epoch == epoch
        )
        return int(self.conn.execute(stmt).scalar_one())

    def reviewed_by(self, claim_id: str, reviewer: str) -> bool:
        r = t.reviews.c
        stmt = select(r.seq).where(
            r.region == self.region, r.claim == claim_id, r.reviewer == reviewer
        )
        return self.conn.execute(stmt).first() is not None

    def uncredited_endorsements(self, claim_id: str) -> list[int]:
        e = t.endorsements.c
        rows = self.conn.execute(
            select(e.seq).where(e.region == self.region, e.claim == claim_id, ~e.credited)
            .order_by(e.seq)
        ).all()
        return [int(r[0]) for r in rows]

    def claim_lines(self, claim_id: str) -> list[tuple[str, int, str, int]]:
        p = t.points.c
        rows = self.conn.execute(
            select(p.member, p.points, p.kind, p.seq)
            .where(p.region == self.region, p.claim == claim_id).order_by(p.id)
        ).all()
        return [(r[0], int(r[1]), r[2], int(r[3])) for r in rows]

    def member_points(self) -> list[tuple[str, int, int]]:
        m = t.members.c
        rows = self.conn.execute(
            select(m.address, m.points, m.level).where(m.region == self.region)
        ).all()
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    def record_claims(self, member: str) -> list[tuple[str, int, str]]:
        self.flush(t.recognitions)
        self.flush(t.claims)
        c, r = t.claims.c, t.recognitions.c
        rows = self.conn.execute(
            select(c.id, c.occurred_at, c.status).distinct()
            .join(t.recognitions, (r.region == c.region) & (r.claim == c.id))
            .where(c.region == self.region, r.member == member).order_by(c.id)).all()
        return [(str(a), int(b), str(s)) for a, b, s in rows]

    def details_claimant(self, details_hash: str) -> str | None:
        c = t.claims.c
        row = self.conn.execute(
            select(c.contributor).where(c.region == self.region, c.details_hash == details_hash)
            .order_by(c.seq).limit(1)
        ).first()
        return None if row is None else str(row[0])

    def contributed_details(self, contributor: str, details_hash: str) -> bool:
        c = t.claims.c
        return self.conn.execute(
            select(c.id).where(c.region == self.region, c.details_hash == details_hash,
                               c.contributor == contributor).limit(1)
        ).first() is not None

    def proposal_ballots(self, proposal: str) -> list[tuple[str, int, list[int]]]:
        b, e = t.ballots.c, t.electorate.c
        rows = self.conn.execute(
            select(b.voter, e.power, b.ballot).join(
                t.electorate, (e.region == b.region) & (e.proposal == b.proposal) &
                (e.address == b.voter))
            .where(b.region == self.region, b.proposal == proposal).order_by(b.voter)
        ).all()
        return [(r[0], int(r[1]), json.loads(r[2])) for r in rows]

    def due_proposals(self, now: int) -> list[str]:
        """Open proposals whose voting closed at or before ``now``, by closing time."""
        p = t.proposals.c
        rows = self.conn.execute(
            select(p.id).where(p.region == self.region, p.status == "open",
                               p.closes_at <= now).order_by(p.closes_at, p.seq)
        ).all()
        return [r[0] for r in rows]

    def head(self) -> int:
        """How many of the log's entries the projections reflect. With ``known``, the
        same read also finds the policy in force (its rules known, or read once)."""
        if self._known is None:
            row = self.one(t.heads)
            self._head_row = row is not None
            return int(row["size"]) if row is not None else 0
        size, version = self.conn.execute(_head_and_policy(), {"region": self.region}).one()
        self._head_row = size is not None
        if version is None:
            self._policy = (0, DEFAULT_POLICY)
        elif (policy := self._known.policies.get(int(version))) is not None:
            self._policy = (int(version), policy)
        return int(size) if size is not None else 0

    # -- writes ------------------------------------------------------------------------

    def set_head(self, size: int) -> None:
        """Record that the projections reflect ``size`` entries, and write everything
        pending (in one round trip on PostgreSQL): call it last in every transaction."""
        exists = self._head_row if self._head_row is not None else \
            self.one(t.heads) is not None
        with pipelined(self._conn):
            if exists:
                self.update(t.heads, {}, size=size)
            else:
                self.insert(t.heads, size=size)
            self.flush()
        self._head_row = True

    def insert(self, table: Table, **values: Any) -> None:
        """Insert a row (written before the table is next read; see :meth:`flush`)."""
        rows = self._pending.setdefault(table, [])
        if rows and rows[0].keys() != {"region", *values}:
            self.flush(table)  # executemany needs one shape
            rows = self._pending.setdefault(table, [])
        rows.append({"region": self.region, **values})

    def update(self, table: Table, where: dict[str, Any], **values: Any) -> None:
        self.flush(table)
        stmt = _update(table, tuple(where), tuple(values))
        params = {"w_region": self.region, **_w(where)}
        params.update({f"v_{k}": v for k, v in values.items()})
        self._conn.execute(stmt, params)

    def delete(self, table: Table, **where: Any) -> None:
        self.flush(table)
        cond = [table.c.region == self.region]
        cond += [table.c[k] == v for k, v in where.items()]
        self._conn.execute(delete(table).where(*cond))

    def _new_line_id(self) -> int:
        if self._next_line is None:
            p = t.points.c
            top = self.conn.execute(
                select(func.max(p.id)).where(p.region == self.region)
            ).scalar_one()
            self._next_line = 0 if top is None else int(top) + 1
        self._next_line += 1
        return self._next_line - 1


# Statements are built once per shape and reused with bound parameters: building a
# SQLAlchemy statement costs more than running it on SQLite.


def _w(where: dict[str, Any]) -> dict[str, Any]:
    return {f"w_{k}": v for k, v in where.items()}


@functools.cache
def _select(table: Table, names: tuple[str, ...]) -> Any:
    cond = [table.c.region == bindparam("w_region")]
    cond += [table.c[n] == bindparam(f"w_{n}") for n in names]
    return select(table).where(*cond)


@functools.cache
def _head_and_policy() -> Any:
    h, p = t.heads.c, t.policies.c
    region: Any = bindparam("region")
    return select(
        select(h.size).where(h.region == region).scalar_subquery(),
        select(func.max(p.version)).where(p.region == region).scalar_subquery(),
    )


@functools.cache
def _insert(table: Table) -> Any:
    return insert(table)


@functools.cache
def _update(table: Table, names: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    cond = [table.c.region == bindparam("w_region")]
    cond += [table.c[n] == bindparam(f"w_{n}") for n in names]
    return update(table).where(*cond).values({c: bindparam(f"v_{c}") for c in columns})


def current_policy(conn: Connection, region: str) -> tuple[int, Policy]:
    """The latest published policy of ``region``: ``(version, policy)``; version 0 is
    :data:`DEFAULT_POLICY`."""
    p = t.policies.c
    row = conn.execute(
        select(p.version, p.policy).where(p.region == region).order_by(p.version.desc()).limit(1)
    ).first()
    if row is None:
        return 0, DEFAULT_POLICY
    return int(row[0]), parse_policy(row[1])
