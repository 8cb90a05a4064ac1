"""The recognition domain: signed messages in, rules checked, entries and projections out.

:meth:`Domain.submit` is the one write path. Inside the region's append transaction
it checks each message's signature and rules against the current projections, appends
it, updates the projections (:func:`.apply.apply`) and appends what the service writes
in consequence (a ``Recognition`` per person when a claim is approved or a
co-contributor confirms an approved claim) — all in one commit with the new signed
checkpoint, or nothing. :meth:`Domain.rebuild` recomputes every projection of a region
from its entries alone through the same :func:`.apply.apply`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from ledger import eip712
from ledger.entry import Entry, origin_for
from ledger.errors import ChainError, SignatureError, StoreUnavailableError, TypedDataError
from ledger.messages import MESSAGE_TYPES
from ledger.verify import RegionFacts

from ..keyring import KeyringError
from ..regions import RegionTx, Signed
from . import tables as t
from .apply import apply, entry_id, perk_id
from .details import DetailsStore
from .errors import DomainError
from .governance import decision_text
from .rules import CHECKS, ZERO32, Check, Limits, check_common
from .state import Known, State
from .travel import summary_fields

_ID_TYPES = frozenset({"Claim", "Quest", "Proposal", "QuestPost", "Perk", "Redemption"})


@dataclass(frozen=True)
class Receipt:
    """One appended entry: its place in the log, and the id of a claim or quest."""

    seq: int
    type: str
    leaf_hash: bytes
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "type": self.type,
                               "leafHash": "0x" + self.leaf_hash.hex()}
        if self.id is not None:
            out["id"] = self.id
        return out


@dataclass
class _Pending:
    """A submission waiting for the region's writer."""

    items: Sequence[Signed]
    done: bool = False
    result: list[Receipt] | None = None
    error: BaseException | None = None
    erased: list[str] = field(default_factory=list)


class _Regroup(Exception):
    """A grouped submission failed after appending; the group is redone one by one."""


@dataclass
class _Batch:
    tx: RegionTx
    state: State
    check: Check
    receipts: list[Receipt] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)


def normalize(type_: str, raw: Any) -> dict[str, Any]:
    """The canonical form of a message a client sent; DomainError ``bad-message``."""
    mtype = MESSAGE_TYPES.get(type_)
    if mtype is None:
        raise DomainError("bad-message", reason=f"Unknown message type {type_!r}.")
    try:
        return eip712.normalize_message(mtype, raw)
    except TypedDataError as exc:
        raise DomainError("bad-message", reason=str(exc)) from None


class Domain:
    """The recognition rules over a :class:`~service.regions.Regions`."""

    def __init__(self, regions: Any, limits: Limits | None = None,
                 details: DetailsStore | None = None) -> None:
        self.regions = regions
        self.limits = limits or Limits()
        self.details = details
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._queues: dict[str, list[_Pending]] = {}
        self._writing: set[str] = set()  # regions whose queue a submitter is writing
        self._turn = threading.Condition(self._locks_guard)  # a writer finished
        self._known: dict[str, Known] = {}

    # -- writing -------------------------------------------------------------------------

    def signed(self, type_: str, raw: Any, signature: Any) -> Signed:
        """A client's message and signature, normalised (DomainError ``bad-message``)."""
        try:
            signature = eip712.normalize_signature(signature)
        except SignatureError:
            raise DomainError("bad-message", reason='The signature must be "0x" + 130 hex digits.'
                              ) from None
        return Signed(type_, normalize(type_, raw), signature)

    def submit(self, region: str, items: Sequence[Signed]) -> list[Receipt]:
        """Check and append ``items`` in order, atomically; returns every entry appended
        (the service's own recognitions included). Raises :class:`DomainError` (and
        appends nothing) when a rule refuses any item.

        Single-item submissions that arrive while another is being written are *group
        committed*: the next writer takes every waiting submission and appends them in
        one transaction (one checkpoint, one commit), each checked against the state
        left by those before it, each refused or accepted on its own. Submitters wait
        for the writer without contending for the region's lock: when it is done, those
        it wrote return and one of the others writes everything queued meanwhile."""
        if len(items) != 1:
            with self._serial(region):
                return self._alone_or_known(region, items)
        pending = _Pending(items)
        with self._turn:
            self._queues.setdefault(region, []).append(pending)
            while region in self._writing and not pending.done:
                self._turn.wait()
            if not pending.done:
                self._writing.add(region)
        if not pending.done:  # this submitter writes the queue, its own item included
            group: list[_Pending] = []
            try:
                with self._serial(region):
                    with self._turn:
                        group, self._queues[region] = self._queues[region], []
                    self._group(region, group)
            except BaseException as exc:
                for p in group:
                    if not p.done:
                        p.error, p.done = exc, True
                raise
            finally:
                with self._turn:
                    self._writing.discard(region)
                    self._turn.notify_all()
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def _alone_or_known(self, region: str, items: Sequence[Signed]) -> list[Receipt]:
        """:meth:`_alone`; when the database failed meanwhile, what became of the items
        (:meth:`_settle`)."""
        try:
            return self._alone(region, items)
        except StoreUnavailableError as exc:
            return self._settle(region, items, exc)

    def _settle(self, region: str, items: Sequence[Signed], exc: StoreUnavailableError
                ) -> list[Receipt]:
        """After the database failed while ``items`` were being written (maybe during the
        commit): their entries if the log holds them, else ``exc`` (nothing recorded);
        DomainError ``outcome-unknown`` when even that can't be found out."""
        if exc.reason == "busy":  # the lock was never had: nothing was written
            raise DomainError("busy") from exc
        try:
            found = [self.existing(region, item) for item in items]
        except Exception:
            raise DomainError("outcome-unknown") from exc
        if found and all(r is not None for r in found):
            return [r for r in found if r is not None]
        if any(r is not None for r in found):  # appended together or not at all
            raise DomainError("outcome-unknown") from exc
        raise exc

    def existing(self, region: str, item: Signed, conn: Connection | None = None
                 ) -> Receipt | None:
        """The receipt of the entry that holds exactly ``item`` (message and signature),
        found by its signer's nonce; None when the log has no such entry."""
        mtype = MESSAGE_TYPES.get(item.type)
        if mtype is None or "nonce" not in item.message:
            return None
        n = t.nonces.c
        stmt = select(n.seq).where(n.region == region,
                                   n.signer == item.message[mtype.signer_field],
                                   n.nonce == item.message["nonce"])
        if conn is None:
            with self.regions.store.engine.connect() as own:
                row = own.execute(stmt).first()
        else:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        origin = origin_for(region)
        seq = int(row[0])
        rows = self.regions.store.entries(origin, seq, 1)
        if not rows:
            return None
        entry = Entry.from_bytes(rows[0][1])
        if (entry.type, entry.message, entry.signature) != (item.type, item.message,
                                                            item.signature):
            return None
        facts = self.regions.facts(region)
        ident = entry_id(facts, entry) if entry.type in _ID_TYPES else None
        return Receipt(seq, entry.type, self.regions.store.leaf_hash(origin, seq), ident)

    def _alone(self, region: str, items: Sequence[Signed]) -> list[Receipt]:
        facts = self.regions.facts(region)
        with self.regions.transaction(region) as tx:
            state = self._caught_up(tx, region, facts)
            batch = _Batch(tx, state, Check(state, facts, tx.now, self.limits))
            self._decide_due(region, facts, batch)
            decided = len(batch.receipts)
            for item in items:
                self._one(region, facts, batch, item)
            state.set_head(tx.size)
        self.known(region).learn(state)
        self._erase(region, batch.erased)
        return batch.receipts[decided:] + batch.receipts[:decided]

    def _erase(self, region: str, digests: list[str]) -> None:
        if self.details is not None:
            for digest in digests:
                self.details.erase(region, digest)

    def _group(self, region: str, group: list[_Pending]) -> None:
        """Append the submissions of ``group`` in one transaction; a refused one is
        refused alone. Anything unexpected: each is retried in a transaction of its own."""
        facts = self.regions.facts(region)
        try:
            with self.regions.transaction(region) as tx:
                state = self._caught_up(tx, region, facts)
                check = Check(state, facts, tx.now, self.limits, grouped=True)
                self._decide_due(region, facts, _Batch(tx, state, check))
                for p in group:
                    batch = _Batch(tx, state, check)
                    size = tx.size
                    try:
                        for item in p.items:
                            self._one(region, facts, batch, item)
                    except DomainError as exc:
                        if tx.size != size:  # refused after appending: can't undo alone
                            raise _Regroup from exc
                        p.error = exc
                        continue
                    p.result, p.erased = batch.receipts, batch.erased
                state.set_head(tx.size)
            self.known(region).learn(state)
        except Exception as failed:
            for p in group:
                p.error, p.result, p.erased = None, None, []
                try:
                    if isinstance(failed, StoreUnavailableError):  # don't wait twice
                        p.result = self._settle(region, p.items, failed)
                    else:
                        p.result = self._alone_or_known(region, p.items)
                except Exception as exc:
                    p.error = exc
                p.done = True
            return
        for p in group:
            self._erase(region, p.erased)
            p.done = True

    def _serial(self, region: str) -> threading.Lock:
        """One writer per region in this process: threads queue here instead of in the
        database's lock wait (SQLite's busy handler sleeps in growing steps). Other
        processes are serialised by the store's own append lock."""
        with self._locks_guard:
            lock = self._locks.get(region)
            if lock is None:
                lock = self._locks[region] = threading.Lock()
        return lock

    def _one(self, region: str, facts: RegionFacts, batch: _Batch, item: Signed) -> None:
        mtype = MESSAGE_TYPES.get(item.type)
        rule = CHECKS.get(item.type)
        if mtype is None or rule is None:
            raise DomainError("not-allowed", reason="Only the service writes this kind of entry."
                              if mtype else f"Unknown message type {item.type!r}.")
        try:
            eip712.check_canonical(mtype, item.message)
        except TypedDataError as exc:
            raise DomainError("bad-message", reason=str(exc)) from None
        signer = item.message[mtype.signer_field]
        if item.message["region"] != region:
            raise DomainError("wrong-region", named=item.message["region"], region=region)
        try:
            check_common(batch.check, item.type, item.message, signer, region)
            rule(batch.check, item.message)
        except DomainError:
            # the same signed message sent again (a retry after a lost answer) breaks a
            # rule now (its nonce is used, the person joined): answer with its entry
            known = self.existing(region, item, batch.state.conn)
            if known is None:
                raise
            batch.receipts.append(known)
            return
        if item.type == "Claim" and item.message["detailsHash"] != ZERO32:
            self._own_details(batch.state, region, item.message)
        try:  # the append recovers the signer (once) before writing anything
            entry = self._append(facts, batch, item)
        except SignatureError:
            raise DomainError("bad-signature", signer=signer) from None
        if item.type == "Erasure":
            batch.erased.append(item.message["detailsHash"])
        self._consequences(region, facts, batch, entry)

    def _own_details(self, state: State, region: str, m: dict[str, Any]) -> None:
        """A claim may only name private details its contributor stored (not a rule of
        the log: who stored what is kept off it)."""
        if self.details is None or self.details.engine is None:
            return
        if self.details.owner(state.conn, region, m["detailsHash"]) != m["contributor"]:
            raise DomainError("details-not-yours", details_hash=m["detailsHash"],
                              who=m["contributor"])

    def _append(self, facts: RegionFacts, batch: _Batch, item: Signed) -> Entry:
        seq, leaf = batch.tx.append(item)
        entry = batch.tx.entries[-1]
        apply(batch.state, facts, entry)
        ident = entry_id(facts, entry) if item.type in _ID_TYPES else None
        if item.type == "Perk":
            ident = perk_id(facts, entry)
        batch.receipts.append(Receipt(seq, item.type, leaf, ident))
        return entry

    def _consequences(self, region: str, facts: RegionFacts, batch: _Batch, entry: Entry) -> None:
        """The service's own entries that follow from ``entry``."""
        m = entry.message
        if entry.type == "Review" and m["approve"]:
            claim = batch.state.claim(m["claim"])
            if claim is not None and claim["status"] == "approved" and \
                    claim["decided_seq"] == entry.seq:
                for person in batch.state.people(m["claim"]):
                    if person["confirmed_seq"] is not None:
                        self._recognise(region, facts, batch, claim, person["address"])
        elif entry.type == "Confirmation":
            claim = batch.state.claim(m["claim"])
            if claim is not None and claim["status"] == "approved":
                self._recognise(region, facts, batch, claim, m["coContributor"])
        elif entry.type == "RecordLink" and m["shown"]:
            fields = summary_fields(batch.state, m["member"], m["partner"])
            try:
                item = self.regions.service_signed(region, "RecordSummary",
                                                   {**fields, "issuedAt": batch.tx.now})
            except KeyringError:
                raise DomainError("no-service-key") from None
            self._append(facts, batch, item)

    def _recognise(self, region: str, facts: RegionFacts, batch: _Batch,
                   claim: Mapping[str, Any], member: str) -> None:
        try:
            item = self.regions.service_signed(region, "Recognition", {
                "claim": claim["id"], "member": member, "points": int(claim["points"] or 0),
                "issuedAt": batch.tx.now})
        except KeyringError:
            raise DomainError("no-service-key") from None
        self._append(facts, batch, item)

    def service_append(self, region: str, type_: str, fields: dict[str, Any],
                       then: Sequence[Signed] = (),
                       before: Callable[[State], None] | None = None,
                       after: Callable[[Connection], None] | None = None) -> list[Receipt]:
        """Append a service-written entry (Custody, Badge), then ``then`` under the rules,
        in one transaction; ``before(state)`` may refuse first, ``after(conn)`` writes
        rows that must commit with the entries."""
        facts = self.regions.facts(region)
        with self._serial(region), self.regions.transaction(region) as tx:
            state = self._caught_up(tx, region, facts)
            if before is not None:
                before(state)
            batch = _Batch(tx, state, Check(state, facts, tx.now, self.limits))
            self._decide_due(region, facts, batch)
            decided = len(batch.receipts)
            try:
                item = self.regions.service_signed(region, type_, {**fields, "issuedAt": tx.now})
            except KeyringError:
                raise DomainError("no-service-key") from None
            self._append(facts, batch, item)
            for other in then:
                self._one(region, facts, batch, other)
            if after is not None:
                after(state.conn)
            state.set_head(tx.size)
        # the entry asked for first (callers read receipts[0]), decisions written before it last
        return batch.receipts[decided:] + batch.receipts[:decided]

    def mint_badge(self, region: str, claim_id: str, member: str, chain: Any,
                   contract: str) -> list[Receipt]:
        """Mint the soulbound badge of ``member``'s recognition for ``claim_id`` with
        ``chain`` (a :class:`ledger.chain.ChainClient` allowed to mint on ``contract``)
        and record it as a ``Badge`` entry. The badge holds the recognition entry's leaf
        hash; the contract refuses a second badge for it, and so do the rules here."""
        facts = self.regions.facts(region)
        with self._serial(region), self.regions.transaction(region) as tx:
            state = self._caught_up(tx, region, facts)
            claim = state.claim(claim_id)
            if claim is None:
                raise DomainError("unknown-claim", claim=claim_id, region=region)
            if claim["status"] != "approved":
                raise DomainError("not-approved", claim=claim_id, status=claim["status"])
            recognition = state.one(t.recognitions, claim=claim_id, member=member)
            if recognition is None:
                raise DomainError("not-allowed", reason=f"{member} has no recognition for "
                                  f"claim {claim_id}.")
            if state.one(t.badges, claim=claim_id, member=member) is not None:
                raise DomainError("badge-exists", who=member, claim=claim_id)
            leaf = self.regions.store.leaf_hash(origin_for(region), int(recognition["seq"]))
            try:
                token = chain.mint_badge(member, region, leaf)
            except ChainError as exc:
                raise DomainError("chain-refused", reason=str(exc)) from None
            try:
                item = self.regions.service_signed(region, "Badge", {
                    "claim": claim_id, "member": member, "chainId": chain.chain_id,
                    "contract": contract, "tokenId": token, "leafHash": "0x" + leaf.hex(),
                    "issuedAt": tx.now})
            except KeyringError:
                raise DomainError("no-service-key") from None
            batch = _Batch(tx, state, Check(state, facts, tx.now, self.limits))
            self._decide_due(region, facts, batch)
            decided = len(batch.receipts)
            self._append(facts, batch, item)
            state.set_head(tx.size)
        return batch.receipts[decided:] + batch.receipts[:decided]

    def _decide_due(self, region: str, facts: RegionFacts, batch: _Batch) -> None:
        """Write the ``Decision`` of every proposal whose voting has closed: first thing
        in every append transaction, so no entry after the closing time comes before
        the decision it follows (``docs/governance.md``)."""
        for proposal in batch.state.due_proposals(batch.tx.now):
            row = batch.state.one(t.proposals, id=proposal)
            assert row is not None
            try:
                item = self.regions.service_signed(region, "Decision", {
                    "proposal": proposal, "result": decision_text(batch.state, row),
                    "issuedAt": batch.tx.now})
            except KeyringError:
                raise DomainError("no-service-key") from None
            self._append(facts, batch, item)

    def decide_due(self, region: str) -> list[Receipt]:
        """Write the decisions that are due (also done before every append). Looks
        first without the append lock, so that readers do not queue behind writers when
        nothing is due."""
        p = t.proposals.c
        with self.regions.store.engine.connect() as conn:
            due = conn.execute(select(p.id).where(
                p.region == region, p.status == "open", p.closes_at <= self.regions.clock())
                .limit(1)).first()
        if due is None:
            return []
        facts = self.regions.facts(region)
        with self._serial(region), self.regions.transaction(region) as tx:
            state = self._caught_up(tx, region, facts)
            batch = _Batch(tx, state, Check(state, facts, tx.now, self.limits))
            self._decide_due(region, facts, batch)
            state.set_head(tx.size)
        return batch.receipts

    def known(self, region: str) -> Known:
        """What the domain remembers of ``region`` across transactions."""
        with self._locks_guard:
            return self._known.setdefault(region, Known())

    def _caught_up(self, tx: RegionTx, region: str, facts: RegionFacts) -> State:
        """The projections, after applying entries appended without the domain (the
        region's first entry, anchors written by other parts of the service)."""
        state = State(_connection(tx), region, self.known(region))
        head = state.head()
        if head < tx.size:
            for _, data in self.regions.store.iter_entries(origin_for(region), head, tx.size):
                apply(state, facts, Entry.from_bytes(data))
            state.set_head(tx.size)
        return state

    # -- rebuilding ----------------------------------------------------------------------

    def rebuild(self, region: str, progress: Callable[[int], None] | None = None) -> int:
        """Recompute every projection of ``region`` from its entries; returns how many
        entries were applied. Holds the region's append lock meanwhile."""
        facts = self.regions.facts(region)
        origin = origin_for(region)
        with self.regions.transaction(region) as tx:
            conn = _connection(tx)
            for table in t.PROJECTIONS:
                conn.execute(delete(table).where(table.c.region == region))
            state = State(conn, region)
            count = 0
            for _, data in self.regions.store.iter_entries(origin, 0, tx.size):
                apply(state, facts, Entry.from_bytes(data))
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count)
            state.set_head(tx.size)
        return count

    def catch_up(self, region: str) -> None:
        """Apply entries appended without the domain (e.g. right after ``init``)."""
        facts = self.regions.facts(region)
        with self.regions.transaction(region) as tx:
            self._caught_up(tx, region, facts)


def _connection(tx: RegionTx) -> Connection:
    conn = tx.connection
    if not isinstance(conn, Connection):
        raise TypeError("the recognition domain needs a SQL store (SqlStore)")
    return conn


def snapshot(conn: Connection, region: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row of ``region``, sorted: equal snapshots, equal projections."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in t.PROJECTIONS:
        rows = conn.execute(select(table).where(table.c.region == region)).all()
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
