"""Recomputing a region's projections from its entries alone, as an auditor does.

:class:`Replay` feeds entries, in log order, through the service's own recognition
rules (:data:`service.domain.rules.CHECKS`) and projection updates
(:func:`service.domain.apply.apply`) — the very code the live service runs — so the
auditor's points can't differ from the service's by construction: there is one
implementation of the rules. The result ends up in a private SQLite file, where the
spreadsheet views are queried. Strict replays (the verifier)
also require every ``Recognition`` entry to be exactly one the rules give at that
point — the claim just approved, each credited person once, the points the policy in
force gives — and every one the rules give to be there, which catches points
inflated (or withheld) by whoever holds the service key; likewise every
``RecordSummary`` (issue 16) to follow the ``RecordLink`` that asked for it and to hold
exactly the recount of the member's record at that point.

Two things differ from the live path, both documented in ``docs/audit-bundle.md``:
the clock is the entry's own ``time`` (the server time it was appended at, which is
what the live rules compared against), and the freshness window of ``issuedAt`` is
not checked (it is a server setting the log does not record).

Where the projections live while replaying:

- strict replays (the verifier) keep them in memory (:class:`~service.domain.memory.
  MemoryState`, about ten times faster than SQL) and write the tables the views need
  to SQLite once, at the end (:meth:`Replay.materialise`); memory grows with the
  projections (about 1.8 kB per entry of a demo region);
- lenient replays (the exporter, whose memory must stay flat however long the log)
  write them to the file as they go, through :class:`ReplayState`, which runs its reads
  and writes as prepared statements on the SQLite driver instead of SQLAlchemy's
  statement layer. SQLite's page cache is bounded.

The file lives in a temporary directory removed on :meth:`Replay.close`.
``tests/integration/test_audit.py`` checks that both give exactly the live service's
projections.
"""

from __future__ import annotations

import heapq
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Boolean, Table, create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from ledger.entry import Entry
from ledger.errors import VerificationError
from ledger.verify import RegionFacts, check_entry

from ..domain import tables as t
from ..domain.apply import apply, entry_id
from ..domain.errors import DomainError
from ..domain.governance import decision_text
from ..domain.memory import DuplicateRow, MemoryState
from ..domain.rules import CHECKS, Check, Limits, check_common
from ..domain.state import Projections, State
from ..domain.travel import summary_fields

__all__ = ["Replay", "ReplayState"]

#: The freshness window is not in the log: an auditor can't hold entries to it.
_NO_WINDOW = Limits(window=2**62)
_COMMIT_EVERY = 5000


class ReplayState(State):
    """A :class:`State` on the replay's own SQLite connection that runs its reads and
    writes as prepared statements on the driver (same rows, same order, same types as
    :class:`State`; inserts are written at once, so nothing is ever pending)."""

    def __init__(self, conn: Connection, region: str) -> None:
        super().__init__(conn, region)
        self._db = cast(sqlite3.Connection, conn.connection.dbapi_connection)
        self._sql: dict[tuple[Any, ...], str] = {}
        self._shape: dict[str, tuple[list[str], list[int]]] = {}

    def _columns(self, table: Table) -> tuple[list[str], list[int]]:
        shape = self._shape.get(table.name)
        if shape is None:
            cols = list(table.columns)
            shape = self._shape[table.name] = (
                [c.name for c in cols],
                [i for i, c in enumerate(cols) if isinstance(c.type, Boolean)],
            )
        return shape

    def _row(self, table: Table, row: tuple[Any, ...]) -> dict[str, Any]:
        names, bools = self._columns(table)
        out = dict(zip(names, row, strict=True))
        for i in bools:
            value = row[i]
            out[names[i]] = None if value is None else bool(value)
        return out

    def one(self, table: Table, **where: Any) -> dict[str, Any] | None:
        key = ("one", table.name, *where)
        sql = self._sql.get(key)
        if sql is None:
            names, _ = self._columns(table)
            cond = " AND ".join(f"{k} = ?" for k in ("region", *where))
            sql = self._sql[key] = (f"SELECT {', '.join(names)} FROM {table.name} "
                                    f"WHERE {cond} LIMIT 1")
        row = self._db.execute(sql, (self.region, *where.values())).fetchone()
        return None if row is None else self._row(table, row)

    def insert(self, table: Table, **values: Any) -> None:
        key = ("insert", table.name, *values)
        sql = self._sql.get(key)
        if sql is None:
            names = ("region", *values)
            sql = self._sql[key] = (f"INSERT INTO {table.name} ({', '.join(names)}) "
                                    f"VALUES ({', '.join('?' * len(names))})")
        self._db.execute(sql, (self.region, *values.values()))

    def update(self, table: Table, where: dict[str, Any], **values: Any) -> None:
        key = ("update", table.name, tuple(where), *values)
        sql = self._sql.get(key)
        if sql is None:
            sets = ", ".join(f"{k} = ?" for k in values)
            cond = " AND ".join(f"{k} = ?" for k in ("region", *where))
            sql = self._sql[key] = f"UPDATE {table.name} SET {sets} WHERE {cond}"
        self._db.execute(sql, (*values.values(), self.region, *where.values()))

    def people(self, claim_id: str) -> list[dict[str, Any]]:
        names, _ = self._columns(t.claim_people)
        rows = self._db.execute(
            f"SELECT {', '.join(names)} FROM svc_claim_people WHERE region = ? AND claim = ? "
            "ORDER BY contributor DESC, address", (self.region, claim_id)).fetchall()
        return [self._row(t.claim_people, r) for r in rows]

    def members_among(self, addresses: list[str]) -> set[str]:
        marks = ", ".join("?" * len(addresses))
        rows = self._db.execute(
            f"SELECT address FROM svc_members WHERE region = ? AND address IN ({marks})",
            (self.region, *addresses)).fetchall()
        return {r[0] for r in rows}

    def next_member_number(self) -> int:
        return int(self._db.execute(
            "SELECT coalesce(max(number), 0) FROM svc_members WHERE region = ?",
            (self.region,)).fetchone()[0]) + 1

    def count_role(self, role: str) -> int:
        return int(self._db.execute(
            "SELECT count(*) FROM svc_roles WHERE region = ? AND role = ?",
            (self.region, role)).fetchone()[0])

    def endorsed_in_epoch(self, endorser: str, epoch: int) -> int:
        return int(self._db.execute(
            "SELECT coalesce(sum(amount), 0) FROM svc_endorsements "
            "WHERE region = ? AND endorser = ? AND epoch = ?",
            (self.region, endorser, epoch)).fetchone()[0])

    def reviewed_by(self, claim_id: str, reviewer: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM svc_reviews WHERE region = ? AND claim = ? AND reviewer = ?",
            (self.region, claim_id, reviewer)).fetchone() is not None


_EXTRA_SCHEMA = (  # (table, index)
    # the rules look claims up by details hash (erasure); the live schema has no index
    (t.claims, "CREATE INDEX audit_claims_details ON svc_claims (region, details_hash)"),
    (t.quests, "CREATE INDEX audit_quests_details ON svc_quests (region, details_hash)"),
    # crediting a claim's endorsements on approval reads them in log order; without
    # this SQLite walks every endorsement of the region (primary key order) each time
    (t.endorsements,
     "CREATE INDEX audit_endorsements_claim ON svc_endorsements (region, claim, seq)"),
    # the views list claims in log order (without it SQLite sorts them all in memory)
    (t.claims, "CREATE INDEX audit_claims_seq ON svc_claims (region, seq)"),
    # the views sum each member's points lines, and the points of each endorsement
    (t.points, "CREATE INDEX audit_points_member ON svc_points (region, member, id)"),
    (t.points, "CREATE INDEX audit_points_claim ON svc_points (region, claim)"),
    (t.recognitions,
     "CREATE INDEX audit_recognitions_member ON svc_recognitions (region, member)"),
)
_DETAILS_TABLE = (  # private details as the bundle carries them, for the views; in this
    # connection's own temporary database, so that the file itself is only read once
    # the replay has ended (the verifier reads it from a second process)
    "CREATE TEMP TABLE audit_details (hash TEXT PRIMARY KEY, text TEXT NOT NULL, "
    "files INTEGER NOT NULL)")
def _plain_schema(table: Table) -> tuple[str, str]:
    """A strict replay's copy of ``table``: the same columns without constraints (the
    rows come from :class:`MemoryState`, which kept every key unique; inserting into an
    unindexed table and indexing it afterwards is about four times quicker), and an
    index on its primary key, made after the rows are in."""
    columns = ", ".join(c.name for c in table.columns)
    key = ", ".join(c.name for c in table.primary_key.columns)
    return (f"CREATE TABLE {table.name} ({columns})",
            f"CREATE INDEX audit_key_{table.name} ON {table.name} ({key})")


class Replay:
    """A replay of one region's entries into a private SQLite file (see module docs).

    ``strict``: check every entry against the rules and the recognitions they give
    (raising :class:`VerificationError` naming the entry); otherwise only apply them,
    as the exporter does to write its spreadsheet views.
    """

    def __init__(self, region: str, *, strict: bool, directory: Path | None = None) -> None:
        self.region, self.strict = region, strict
        self._tmp = tempfile.TemporaryDirectory(prefix="kakawari-audit-", dir=directory)
        self.engine = create_engine(f"sqlite:///{self.path}",
                                    poolclass=NullPool,
                                    connect_args={"check_same_thread": False})
        if not strict:
            t.metadata.create_all(self.engine, tables=list(t.PROJECTIONS))
        self.conn = self.engine.connect()
        self.db = cast(sqlite3.Connection, self.conn.connection.dbapi_connection)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -8192",
                       "temp_store = FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(_DETAILS_TABLE)
        self._written: set[Table] = set()  # strict: the tables materialise() wrote
        if not strict:
            for _, ddl in _EXTRA_SCHEMA:
                self.db.execute(ddl)
        self.memory = MemoryState(region) if strict else None
        self.state: Projections = (self.memory if self.memory is not None
                                   else ReplayState(self.conn, region))
        self.facts: RegionFacts | None = None
        self.count = 0
        self.due: list[tuple[str, str, int, int]] = []  # claim, member, points, given by seq
        self.summary_due: tuple[str, str] | None = None  # member, partner (a RecordLink's)
        # proposals by closing time (closesAt, seq, id): each must be decided before the
        # first entry at or after its closing time (strict replays)
        self.closing: list[tuple[int, int, str]] = []
        self.last_time: int | None = None
        self.problem: str | None = None  # lenient mode: the first entry that did not apply

    @property
    def directory(self) -> Path:
        """The replay's private temporary directory (removed on :meth:`close`)."""
        return Path(self._tmp.name)

    def close(self) -> None:
        try:
            self.conn.close()
            self.engine.dispose()
        finally:
            self._tmp.cleanup()

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- feeding entries -------------------------------------------------------------

    def add_bytes(self, seq: int, data: bytes) -> None:
        """The exporter's hook: ``(seq, entry bytes)`` as stored."""
        self.add(Entry.from_bytes(data))

    def add(self, entry: Entry) -> None:
        """Apply the next entry (checked first when strict)."""
        if entry.seq == 0:
            self.facts = check_entry(entry, None)
        assert self.facts is not None and entry.seq == self.count
        if self.strict:
            self._before(entry)
            self._apply(entry)
            self._after(entry)
            self.last_time = entry.time
        else:
            try:
                self._apply(entry)
            except Exception as exc:  # a log the rules would refuse: views stay partial
                self.problem = self.problem or f"entry {entry.seq}: {exc}"
        self.count += 1
        if self.memory is None and self.count % _COMMIT_EVERY == 0:
            self.db.commit()  # bounds SQLite's dirty pages; the file is ours alone

    def end(self) -> None:
        """After the last entry: a recognition the rules gave must not be missing, nor
        the decision of a proposal whose voting had closed by the last entry's time, nor
        the record summary a RecordLink asked for."""
        if self.summary_due is not None:
            raise VerificationError(
                f"showed {self.summary_due[0]}'s record to {self.summary_due[1]}, but the "
                "RecordSummary the service then writes is not in the log", self.count - 1)
        if self.due:
            claim, member, points, seq = self.due[0]
            raise VerificationError(
                f"approves claim {claim}, but the recognition of {member} ({points} points) "
                "the rules then give is not in the log", seq)
        if self.strict and self.last_time is not None:
            undecided = self._undecided(self.last_time)
            if undecided is not None:
                closes, seq, proposal = undecided
                raise VerificationError(
                    f"proposal {proposal} closed at {closes}, before the log's last entry "
                    f"(at {self.last_time}), but the log holds no Decision of it", seq)
        self.db.commit()

    def _undecided(self, now: int) -> tuple[int, int, str] | None:
        """The first proposal (by closing time) still open although its voting closed
        at or before ``now``; proposals decided, withdrawn or cancelled are forgotten."""
        while self.closing and self.closing[0][0] <= now:
            closes, seq, proposal = self.closing[0]
            row = self.state.one(t.proposals, id=proposal)
            if row is not None and row["status"] == "open":
                return closes, seq, proposal
            heapq.heappop(self.closing)
        return None

    def materialise(self, tables: Iterable[Table], db: sqlite3.Connection | None = None,
                    ) -> None:
        """Strict replays: write these projections from memory into SQLite, indexed, for
        the views to query (once each). ``db``: into this (empty) database instead of
        the replay's file; from then on :meth:`query` reads it."""
        assert self.memory is not None, "a lenient replay writes its tables as it goes"
        if db is not None:
            self.db, self._written = db, set()
        for table in tables:
            if table in self._written or table is t.nonces:
                continue
            create, key = _plain_schema(table)
            self.db.execute(create)
            self.memory.dump(self.db, [table])
            self.db.execute(key)
            for _, ddl in (x for x in _EXTRA_SCHEMA if x[0] is table):
                self.db.execute(ddl)
            self._written.add(table)
        self.db.commit()

    def _apply(self, entry: Entry) -> None:
        assert self.facts is not None
        try:
            apply(self.state, self.facts, entry)
        except (AssertionError, DomainError, DuplicateRow, KeyError, sqlite3.Error) as exc:
            raise VerificationError(f"the recognition rules can't apply this entry: {exc}",
                                    entry.seq) from None

    def _before(self, entry: Entry) -> None:
        seq, kind, m = entry.seq, entry.type, entry.message
        if self.summary_due is not None and kind != "RecordSummary":
            raise VerificationError(
                f"entry {seq - 1} showed {self.summary_due[0]}'s record to "
                f"{self.summary_due[1]}, so the service had to write its RecordSummary "
                "before this entry; it did not", seq)
        if kind != "Decision" and self.closing:
            undecided = self._undecided(entry.time)
            if undecided is not None:
                closes, _, proposal = undecided
                raise VerificationError(
                    f"comes at {entry.time}, after proposal {proposal} closed at {closes}, "
                    "but no Decision of it precedes it (the service decides a closed "
                    "proposal first thing in its next append)", seq)
        if self.due and kind != "Recognition":
            claim, member, points, given = self.due[0]
            raise VerificationError(
                f"entry {given} approved claim {claim}, so the service had to record the "
                f"recognition of {member} ({points} points) before this entry; it did not", seq)
        if kind == "Recognition":
            self._recognition(entry)
        elif kind == "Decision":
            self._decision(entry)
        elif kind == "RecordSummary":
            self._record_summary(entry)
        elif kind == "Badge":
            if self.state.one(t.recognitions, claim=m["claim"], member=m["member"]) is None:
                raise VerificationError(f"a badge for a recognition of {m['member']} that the "
                                        "log does not hold", seq)
        elif kind in CHECKS:
            assert self.facts is not None
            check = Check(self.state, self.facts, entry.time, _NO_WINDOW)
            try:
                check_common(check, kind, m, entry.signer, self.region)
                CHECKS[kind](check, m)
            except DomainError as exc:
                raise VerificationError(
                    f"breaks the recognition rule '{exc.code}': {exc.text()[1]}", seq) from None

    def _decision(self, entry: Entry) -> None:
        """A decision must decide an open proposal after it closed, with exactly the
        result its votes in the log give."""
        m, seq = entry.message, entry.seq
        row = self.state.one(t.proposals, id=m["proposal"])
        if row is None:
            raise VerificationError(f"decides proposal {m['proposal']}, which the log does "
                                    "not hold", seq)
        if row["status"] != "open":
            raise VerificationError(f"decides proposal {m['proposal']}, which was already "
                                    f"{row['status']}", seq)
        if entry.time < row["closes_at"]:
            raise VerificationError(f"decides proposal {m['proposal']} at {entry.time}, before "
                                    f"its voting closed at {row['closes_at']}", seq)
        want = decision_text(self.state, row)
        if m["result"] != want:
            raise VerificationError(
                f"the decision of proposal {m['proposal']} differs from the recount of the "
                f"votes in the log: the entry says {m['result'][:400]}, the votes give "
                f"{want[:400]}", seq)

    def _record_summary(self, entry: Entry) -> None:
        """A record summary must follow the member's RecordLink that shows, at once, and
        hold exactly what the projections give then."""
        m = entry.message
        due, self.summary_due = self.summary_due, None
        if due != (m["member"], m["partner"]):
            raise VerificationError(f"summarises {m['member']}'s record for {m['partner']}, "
                                    "which no RecordLink just before asked for", entry.seq)
        want = summary_fields(self.state, m["member"], m["partner"])
        got = {k: m[k] for k in want}
        if got != want:
            diff = sorted(k for k in want if got[k] != want[k])
            raise VerificationError(
                f"the record summary of {m['member']} differs from the recount of the log "
                f"in {', '.join(diff)}: the entry says "
                f"{', '.join(f'{k} {got[k]!r:.80}' for k in diff)}, the log gives "
                f"{', '.join(f'{k} {want[k]!r:.80}' for k in diff)}", entry.seq)

    def _recognition(self, entry: Entry) -> None:
        m = entry.message
        for i, (claim, member, points, _) in enumerate(self.due):
            if (claim, member) == (m["claim"], m["member"]):
                if m["points"] != points:
                    raise VerificationError(
                        f"gives {member} {m['points']} points for claim {claim}; the policy "
                        f"in force gives {points}", entry.seq)
                del self.due[i]
                return
        raise VerificationError(
            f"recognises {m['member']} for claim {m['claim']}, which the rules do not give "
            "here (the claim was not just approved, the person is not credited for it, or "
            "was recognised already)", entry.seq)

    def _after(self, entry: Entry) -> None:
        """The recognitions and record summaries the service must write next (as
        Domain._consequences), and the decisions it will owe."""
        m = entry.message
        if entry.type == "RecordLink" and m["shown"]:
            self.summary_due = (m["member"], m["partner"])
        elif entry.type == "Proposal":
            assert self.facts is not None
            heapq.heappush(self.closing, (int(m["closesAt"]), entry.seq,
                                          entry_id(self.facts, entry)))
        elif entry.type == "Review" and m["approve"]:
            claim = self.state.claim(m["claim"])
            if claim is not None and claim["status"] == "approved" and \
                    claim["decided_seq"] == entry.seq:
                for person in self.state.people(m["claim"]):
                    if person["confirmed_seq"] is not None:
                        self._due(claim, person["address"], entry.seq)
        elif entry.type == "Confirmation":
            claim = self.state.claim(m["claim"])
            if claim is not None and claim["status"] == "approved":
                self._due(claim, m["coContributor"], entry.seq)

    def _due(self, claim: Mapping[str, Any], member: str, seq: int) -> None:
        self.due.append((claim["id"], member, int(claim["points"] or 0), seq))

    # -- reading the result -----------------------------------------------------------

    @property
    def path(self) -> Path:
        """The replay's SQLite file."""
        return self.directory / "replay.db"

    def query(self, sql: str, *params: Any) -> sqlite3.Cursor:
        return self.db.execute(sql, params)
