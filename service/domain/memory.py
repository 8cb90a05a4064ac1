"""One region's projections held in memory, for recomputing them from a whole log.

:class:`MemoryState` is the second implementation of :class:`~.state.Projections`:
the same recognition rules (:mod:`.rules`) and projection updates (:mod:`.apply`) run
on it unchanged, but every row lives in a dictionary keyed by its primary key, with the
few secondary lookups the rules make kept as indexes beside it. An auditor replaying
100,000 entries does no SQL at all while replaying (about ten times faster than
through SQLite) and writes the result to a database once at the end
(:meth:`MemoryState.dump`), where the spreadsheet views are queried as usual.

Rows are what a database read would return: every column of the table, ``region``
included, missing nullable columns as ``None``. Reads return copies, as a database
read returns a snapshot: a row read before an update keeps the values it had (the
reinstatement rule depends on that). The nonces, a
row per entry only ever asked whether it is there, are kept as a dictionary
``(signer, nonce) -> seq``.
``tests/integration/test_audit.py`` checks that a replay on it gives exactly the rows
the live service wrote through SQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Table

from . import tables as t
from .state import Projections

__all__ = ["DuplicateRow", "MemoryState"]


class DuplicateRow(ValueError):
    """An insert whose primary key is taken (a database would refuse it the same way)."""


# Columns the in-memory indexes are built from: they must not change after the insert (the
# rules never change them; an update that tried would leave an index stale).
_INDEXED_COLUMNS: dict[Table, frozenset[str]] = {
    t.claim_people: frozenset({"claim", "contributor", "address"}),
    t.endorsements: frozenset({"endorser", "epoch", "amount", "claim", "seq"}),
    t.reviews: frozenset({"claim", "reviewer"}),
    t.points: frozenset({"claim", "member", "points", "kind", "seq", "id"}),
    t.roles: frozenset({"role"}),
    t.claims: frozenset({"contributor", "details_hash"}),
}


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving a row's values of ``names`` as a tuple."""
    if len(names) > 1:
        return itemgetter(*names)
    name = names[0] if names else None

    def values_of(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row[name],) if name is not None else ()
    return values_of


class _Shape:
    """A table's columns: its primary key (``region`` aside) and what a row holds."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.key = tuple(c.name for c in table.primary_key.columns if c.name != "region")
        self.key_names = frozenset(self.key)
        self.key_of: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            _getter(self.key))
        self.columns = tuple(c.name for c in table.columns)
        self.required = frozenset(c.name for c in table.columns
                                  if not c.nullable and c.name != "region")
        self.required_of = _getter(tuple(sorted(self.required)))
        self.names = frozenset(self.columns) - {"region"}
        self.settable = frozenset(self.columns) - {"region", *self.key} - \
            _INDEXED_COLUMNS.get(table, frozenset())


_SHAPES = {table: _Shape(table) for table in t.PROJECTIONS}
_NONCE_COLUMNS = {"signer", "nonce", "seq"}


class MemoryState(Projections):
    """The projections of ``region`` in memory (see the module docs)."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.rows: dict[Table, dict[tuple[Any, ...], dict[str, Any]]] = {
            table: {} for table in _SHAPES}
        # the secondary lookups of the rules, kept up to date by insert/update/delete
        self._people: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._endorsed: dict[tuple[str, int], int] = defaultdict(int)
        self._uncredited: dict[str, list[int]] = defaultdict(list)
        self._reviewed: set[tuple[str, str]] = set()
        self._lines: dict[str, list[tuple[str, int, str, int]]] = defaultdict(list)
        self._role_count: dict[str, int] = defaultdict(int)
        self._details: set[tuple[str, str]] = set()
        self._ballots: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self._claimant: dict[str, str] = {}  # details hash -> contributor of its first claim
        self._recognised: dict[str, set[str]] = defaultdict(set)  # member -> claims
        self._next_line = 0
        # one row per entry, and only ever asked whether it is there: kept as key -> seq
        self._nonces: dict[tuple[str, int], int] = {}
        self._blank = {table: dict.fromkeys(shape.columns) | {"region": region}
                       for table, shape in _SHAPES.items()}
        self._indexes: dict[Table, Callable[[dict[str, Any]], None]] = {
            t.claim_people: self._index_person, t.endorsements: self._index_endorsement,
            t.reviews: self._index_review, t.points: self._index_line,
            t.roles: self._index_role, t.claims: self._index_claim,
            t.ballots: self._index_ballot, t.recognitions: self._index_recognition,
        }

    # -- rows by primary key -------------------------------------------------------------

    def _key(self, table: Table, where: dict[str, Any]) -> tuple[Any, ...]:
        shape = _SHAPES[table]
        if where.keys() != shape.key_names:
            raise TypeError(f"{table.name} rows are looked up by {shape.key}, not "
                            f"{tuple(where)}")
        return shape.key_of(where)

    def one(self, table: Table, **where: Any) -> Mapping[str, Any] | None:
        shape = _SHAPES[table]
        if where.keys() != shape.key_names:
            self._key(table, where)  # raises
        if table is t.nonces:
            return self._nonce_row(shape.key_of(where))
        row = self.rows[table].get(shape.key_of(where))
        return dict(row) if row is not None else None  # a snapshot, as a database read

    def nonce_used(self, signer: str, nonce: int) -> bool:
        return (signer, nonce) in self._nonces

    def _nonce_row(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        seq = self._nonces.get(key)
        if seq is None:
            return None
        return {"region": self.region, "signer": key[0], "nonce": key[1], "seq": seq}

    def insert(self, table: Table, **values: Any) -> None:
        if table is t.nonces and values.keys() == _NONCE_COLUMNS:
            key = (values["signer"], values["nonce"])
            if key in self._nonces:
                raise DuplicateRow(f"{table.name} already holds {key}")
            self._nonces[key] = values["seq"]
            return
        shape = _SHAPES[table]
        row = self._blank[table].copy()
        row.update(values)
        if len(row) != len(shape.columns) or None in shape.required_of(row):
            raise TypeError(f"{table.name}: no value for "
                            f"{sorted(c for c in shape.required if row.get(c) is None)} "
                            f"or no column {sorted(set(values) - shape.names)}")
        key = shape.key_of(row)
        rows = self.rows[table]
        if key in rows:
            raise DuplicateRow(f"{table.name} already holds {key}")
        rows[key] = row
        index = self._indexes.get(table)
        if index is not None:
            index(row)

    def _index_person(self, row: dict[str, Any]) -> None:
        people = self._people[row["claim"]]
        people.append(row)
        if len(people) > 1 and _person_order(people[-2]) > _person_order(row):
            people.sort(key=_person_order)

    def _index_endorsement(self, row: dict[str, Any]) -> None:
        self._endorsed[row["endorser"], row["epoch"]] += row["amount"]
        if not row["credited"]:
            self._uncredited[row["claim"]].append(row["seq"])

    def _index_review(self, row: dict[str, Any]) -> None:
        self._reviewed.add((row["claim"], row["reviewer"]))

    def _index_line(self, row: dict[str, Any]) -> None:
        if row["claim"] is not None:
            self._lines[row["claim"]].append(
                (row["member"], row["points"], row["kind"], row["seq"]))
        self._next_line = max(self._next_line, row["id"] + 1)

    def _index_role(self, row: dict[str, Any]) -> None:
        self._role_count[row["role"]] += 1

    def _index_claim(self, row: dict[str, Any]) -> None:
        self._details.add((row["contributor"], row["details_hash"]))
        self._claimant.setdefault(row["details_hash"], row["contributor"])

    def _index_recognition(self, row: dict[str, Any]) -> None:
        self._recognised[row["member"]].add(row["claim"])

    def _index_ballot(self, row: dict[str, Any]) -> None:
        self._ballots[row["proposal"]].append((row["proposal"], row["voter"]))

    def update(self, table: Table, where: dict[str, Any], **values: Any) -> None:
        if table is t.nonces:
            raise TypeError("nonces never change")
        row = self.rows[table].get(self._key(table, where))
        if row is None:
            return  # as an UPDATE matching no row
        shape = _SHAPES[table]
        if not values.keys() <= shape.settable:
            raise TypeError(f"{table.name}: {sorted(values)} can't be changed here (the key "
                            "and the columns indexed in memory never change)")
        if table is t.endorsements and "credited" in values:
            if not values["credited"] and row["credited"]:
                raise TypeError("an endorsement once credited stays credited")
            if values["credited"] and not row["credited"]:
                self._uncredited[row["claim"]].remove(row["seq"])
        row.update(values)

    def delete(self, table: Table, **where: Any) -> None:
        if table is not t.roles:
            raise TypeError(f"{table.name} rows are never deleted")
        row = self.rows[table].pop(self._key(table, where), None)
        if row is not None:
            self._role_count[row["role"]] -= 1

    # -- other reads -----------------------------------------------------------------------

    def members_among(self, addresses: list[str]) -> set[str]:
        members = self.rows[t.members]
        return {a for a in addresses if (a,) in members}

    def count_role(self, role: str) -> int:
        return self._role_count[role]

    def next_member_number(self) -> int:
        return len(self.rows[t.members]) + 1

    def people(self, claim_id: str) -> list[Mapping[str, Any]]:
        return [dict(row) for row in self._people.get(claim_id, ())]

    def endorsed_in_epoch(self, endorser: str, epoch: int) -> int:
        return self._endorsed.get((endorser, epoch), 0)

    def reviewed_by(self, claim_id: str, reviewer: str) -> bool:
        return (claim_id, reviewer) in self._reviewed

    def uncredited_endorsements(self, claim_id: str) -> list[int]:
        return list(self._uncredited.get(claim_id, ()))

    def claim_lines(self, claim_id: str) -> list[tuple[str, int, str, int]]:
        return list(self._lines.get(claim_id, ()))

    def record_claims(self, member: str) -> list[tuple[str, int, str]]:
        claims = self.rows[t.claims]
        ids = sorted(self._recognised.get(member, ()))
        return [(i, int(claims[(i,)]["occurred_at"]), str(claims[(i,)]["status"]))
                for i in ids]

    def member_points(self) -> list[tuple[str, int, int]]:
        return [(r["address"], r["points"], r["level"]) for r in self.rows[t.members].values()]

    def contributed_details(self, contributor: str, details_hash: str) -> bool:
        return (contributor, details_hash) in self._details

    def proposal_ballots(self, proposal: str) -> list[tuple[str, int, list[int]]]:
        ballots, powers = self.rows[t.ballots], self.rows[t.electorate]
        out = []
        for key in self._ballots.get(proposal, ()):
            row = ballots[key]
            power = powers[(proposal, row["voter"])]["power"]
            out.append((row["voter"], int(power), json.loads(row["ballot"])))
        return sorted(out)

    def details_claimant(self, details_hash: str) -> str | None:
        return self._claimant.get(details_hash)

    def _new_line_id(self) -> int:
        return self._next_line

    # -- the result ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row, as :func:`service.domain.snapshot` gives a database's."""
        out = {table.name: sorted((tuple(row[c] for c in _SHAPES[table].columns)
                                   for row in self.rows[table].values()), key=repr)
               for table in t.PROJECTIONS}
        nonces = (self._nonce_row(key) for key in self._nonces)
        out[t.nonces.name] = sorted((tuple(row[c] for c in _SHAPES[t.nonces].columns)
                                     for row in nonces if row is not None), key=repr)
        return out

    def dump(self, db: sqlite3.Connection, tables: Iterable[Table]) -> None:
        """Insert every row of ``tables`` (not the nonces) into ``db``'s tables of those
        names (created, and empty), in the order the rows were inserted; no commit."""
        for table in tables:
            if table is t.nonces:
                raise TypeError("the nonces are kept only to check that none is reused")
            rows = self.rows[table]
            if not rows:
                continue
            columns = _SHAPES[table].columns
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            db.executemany(sql, map(itemgetter(*columns), rows.values()))


def _person_order(row: dict[str, Any]) -> tuple[bool, str]:
    return not row["contributor"], row["address"]
