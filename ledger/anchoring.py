"""Anchoring a log's signed checkpoints on chain, and checking the anchors recorded.

:func:`anchor_log` anchors the latest signed checkpoint of one log with the anchor
contract and has the caller record the anchor in the log itself as an ``Anchor``
entry. It is written over interfaces only — a :class:`~ledger.store.LogStore`, a
:class:`~ledger.chain.ChainClient` and a ``record`` callback that appends the entry —
so the same flow runs on the in-memory store and fake chain of the unit tests and on
SQL and a real node in the service.

One run:

1. reads the chain's latest ``(size, root)`` for ``log_id_for(origin)``;
2. if the chain has a root, checks that the log's own root at that size is the same.
   If not, the log on chain and the log here have forked: it refuses
   (:class:`ForkError`) and sends nothing;
3. if the chain's latest anchor has no ``Anchor`` entry in the log — a previous run
   crashed, or its database write failed, after the transaction was mined — it finds
   the transaction in the contract's events and records it now, instead of anchoring
   the same checkpoint twice;
4. an ``Anchor`` entry of this contract that records a larger tree than the chain's
   latest anchor has lost its transaction (a reorg, or a development node restarted
   from a snapshot): the outcome names it in ``lost`` and the run anchors again;
5. if every entry after the anchored size is itself an ``Anchor`` entry, there is
   nothing new: the log is already anchored (an ``Anchor`` entry always follows the
   tree it records, so without this rule every run would have one more entry to
   anchor);
6. otherwise it builds the RFC 9162 consistency proof from the anchored size to the
   latest signed checkpoint (checked locally first: a proof the contract would refuse
   is never sent), registers the log if nobody has (the sender becomes its owner and
   anchorer), sends ``anchor`` and records the mined transaction.

A chain that can't be reached, or a transaction that fails, raises
:class:`~ledger.errors.ChainError` after the client's bounded retries, and nothing is
recorded. Recording is the caller's single append transaction, so there is never half
an entry; if it fails after the transaction was mined, the next run records it (step 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from . import merkle
from .chain import AnchorReceipt, ChainClient, ChainRevertError, log_id_for
from .checkpoint import open_checkpoint
from .entry import Entry
from .errors import LedgerError, ProofError
from .note import parse_vkey
from .store import LogStore, StoredCheckpoint

__all__ = [
    "ANCHOR_TYPE",
    "AnchorCheck",
    "AnchorOutcome",
    "AnchorRecord",
    "AnchoringError",
    "ChainStatus",
    "ForkError",
    "RecordAnchor",
    "RecordedAnchor",
    "anchor_log",
    "chain_status",
    "check_anchors",
    "reanchored",
    "recorded_anchors",
]

ANCHOR_TYPE = "Anchor"
# In a canonical entry the top-level "type" member is written exactly so; a string value
# containing it would have its quotes escaped. A cheap filter before parsing an entry.
_ANCHOR_MARK = b'"type":"Anchor"'


class AnchoringError(LedgerError):
    """Anchoring can't go on: what the operator has to do is in the message."""


class ForkError(AnchoringError):
    """The chain's anchored root is not the root of this log at that size: the log here
    and the log anchored on chain have diverged. Nothing is sent or recorded."""


@dataclass(frozen=True)
class AnchorRecord:
    """What an ``Anchor`` entry records: an anchored tree and the transaction."""

    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int
    size: int
    root: bytes

    @classmethod
    def from_receipt(cls, receipt: AnchorReceipt) -> AnchorRecord:
        return cls(
            receipt.chain_id,
            str(to_checksum_address(receipt.contract)),
            receipt.tx_hash,
            receipt.block_number,
            receipt.size,
            receipt.root,
        )

    @classmethod
    def from_message(cls, m: dict[str, Any]) -> AnchorRecord:
        """From the message of an ``Anchor`` entry (its JSON form)."""
        return cls(
            int(m["chainId"]),
            str(to_checksum_address(m["contract"])),
            bytes.fromhex(m["txHash"][2:]),
            int(m["blockNumber"]),
            int(m["size"]),
            bytes.fromhex(m["root"][2:]),
        )

    def fields(self) -> dict[str, Any]:
        """The ``Anchor`` message fields (without region, service, nonce, issuedAt)."""
        return {
            "chainId": self.chain_id,
            "contract": self.contract.lower(),
            "txHash": "0x" + self.tx_hash.hex(),
            "blockNumber": self.block_number,
            "size": self.size,
            "root": "0x" + self.root.hex(),
        }

    def same_anchor(self, chain_id: int, contract: str, size: int, root: bytes) -> bool:
        """Whether this records (size, root) anchored with ``contract`` on ``chain_id``."""
        return (self.chain_id, self.contract.lower(), self.size, self.root) == (
            chain_id,
            contract.lower(),
            size,
            root,
        )


RecordAnchor = Callable[[AnchorRecord], int]
"""Appends the ``Anchor`` entry of a record to the log (one atomic append, signed by the
region's service key) and returns its sequence number."""


@dataclass(frozen=True)
class RecordedAnchor:
    """An ``Anchor`` entry of the log: where it is and what it records."""

    seq: int
    record: AnchorRecord


@dataclass(frozen=True)
class AnchorOutcome:
    """What a run of :func:`anchor_log` did.

    ``status`` is ``"anchored"`` (this run sent a transaction and recorded it),
    ``"recovered"`` (it only recorded an anchor an earlier run had left unrecorded) or
    ``"already-anchored"`` (the chain has the log's latest entries and they are
    recorded). ``anchor`` is the latest anchor of the log now and ``seq`` its entry;
    ``recovered`` an earlier anchor this run recorded; ``gas_used`` the gas of the
    anchor transaction this run sent; ``registered`` whether it registered the log;
    ``lost`` the recorded anchors of this contract whose transaction the chain no
    longer has (step 4 of the module docs).
    """

    origin: str
    log_id: bytes
    status: str
    anchor: AnchorRecord
    seq: int
    gas_used: int | None = None
    registered: bool = False
    recovered: RecordedAnchor | None = None
    lost: tuple[RecordedAnchor, ...] = ()


def anchor_log(
    store: LogStore, chain: ChainClient, origin: str, record: RecordAnchor
) -> AnchorOutcome:
    """Anchor the latest signed checkpoint of ``origin``'s log; see the module docs.

    Raises :class:`ForkError` when the chain's root differs from the log's,
    :class:`AnchoringError` when the sender may not anchor the log or recording fails,
    and :class:`~ledger.errors.ChainError` when the chain can't be reached or refuses.
    """
    log_id = log_id_for(origin)
    contract = _contract(chain)
    chain_id = chain.chain_id
    size, root = chain.latest(log_id)
    recovered: RecordedAnchor | None = None
    lost = _lost(store, origin, chain_id, contract, size)
    if size:
        _check_not_forked(store, origin, chain_id, size, root)

        def matches(r: AnchorRecord) -> bool:
            return r.same_anchor(chain_id, contract, size, root)

        found, fresh = _survey(store, origin, size, matches)
        if found is None:
            event = chain.anchor_event(log_id, size)
            if event is None:
                raise AnchoringError(
                    f"chain {chain_id} reports size {size} as the latest anchor of {origin} "
                    f"in {contract}, but no Anchored event for it was found; the node may "
                    "not serve old event logs (use an archive node) or the contract differs"
                )
            rec = AnchorRecord.from_receipt(event)
            found = recovered = RecordedAnchor(_record(record, rec, "an earlier anchor"), rec)
        if not fresh:
            return AnchorOutcome(
                origin,
                log_id,
                "recovered" if recovered else "already-anchored",
                found.record,
                found.seq,
                recovered=recovered,
                lost=lost,
            )
    cp = _latest_checkpoint(store, origin)
    proof: list[bytes] = []
    if size:
        proof = store.consistency_proof(origin, size, cp.size)
        try:
            merkle.verify_consistency(size, cp.size, root, cp.root, proof)
        except ProofError as exc:  # the store contradicts itself: never send this
            raise AnchoringError(
                f"the consistency proof of {origin} from {size} to {cp.size} entries does "
                f"not verify: {exc}; run `kakawari verify`"
            ) from exc
    registered = _ensure_anchorer(chain, origin, log_id)
    try:
        receipt = chain.anchor(log_id, cp.size, cp.root, proof)
    except ChainRevertError as exc:
        now = chain.latest(log_id)
        if now != (size, root):  # refused because the chain moved under this run
            raise AnchoringError(
                f"{origin} was anchored at size {now[0]} by another run while this one "
                f"prepared size {cp.size} (the contract refused it: {exc.error}); run "
                "again to check that anchor and record it"
            ) from exc
        raise
    rec = AnchorRecord.from_receipt(receipt)
    seq = _record(record, rec, "the anchor")
    return AnchorOutcome(
        origin,
        log_id,
        "anchored",
        rec,
        seq,
        gas_used=receipt.gas_used,
        registered=registered,
        recovered=recovered,
        lost=lost,
    )


def _contract(chain: ChainClient) -> str:
    address = chain.anchor_address
    if address is None:
        raise AnchoringError("no anchor contract: deploy one first (`kakawari chain deploy`)")
    return address


def _check_not_forked(store: LogStore, origin: str, chain_id: int, size: int, root: bytes) -> None:
    ours = store.log_info(origin).size
    if size > ours:
        raise ForkError(
            f"chain {chain_id} has {size} entries of {origin} anchored, but this log has only "
            f"{ours}: it is not the log that was anchored (a restored backup? another "
            "service writing the same region?). Nothing was sent."
        )
    mine = store.root(origin, size)
    if mine != root:
        raise ForkError(
            f"the root anchored on chain {chain_id} for {origin} at size {size} is "
            f"0x{root.hex()}, but this log's root at that size is 0x{mine.hex()}: the two "
            "logs have forked. Nothing was sent."
        )


def _survey(
    store: LogStore, origin: str, start: int, matches: Callable[[AnchorRecord], bool]
) -> tuple[RecordedAnchor | None, bool]:
    """Entries from ``start`` on: the first ``Anchor`` entry that ``matches``, and
    whether any entry is not an ``Anchor`` (something new to anchor)."""
    found: RecordedAnchor | None = None
    fresh = False
    for seq, data in store.iter_entries(origin, start):
        entry = Entry.from_bytes(data) if _ANCHOR_MARK in data else None
        if entry is not None and entry.type == ANCHOR_TYPE:
            if found is None:
                rec = AnchorRecord.from_message(entry.message)
                if matches(rec):
                    found = RecordedAnchor(seq, rec)
        else:
            fresh = True
        if fresh and found is not None:
            break
    return found, fresh


def _lost(
    store: LogStore, origin: str, chain_id: int, contract: str, size: int
) -> tuple[RecordedAnchor, ...]:
    """The ``Anchor`` entries of ``contract`` on ``chain_id`` recording more than the
    chain's latest anchored ``size``: their transactions are no longer on chain. (An
    ``Anchor`` entry follows the tree it records, so they all sit after ``size``.)"""
    return tuple(
        found
        for found in recorded_anchors(store, origin, size)
        if found.record.size > size
        and found.record.chain_id == chain_id
        and found.record.contract.lower() == contract.lower()
    )


def _latest_checkpoint(store: LogStore, origin: str) -> StoredCheckpoint:
    """The latest checkpoint, its signature checked with the log's key: what is put
    on chain is a tree the log's key has signed."""
    info = store.log_info(origin)
    cp = info.checkpoint
    if cp is None:
        raise AnchoringError(f"{origin} has no signed checkpoint to anchor")
    try:
        signed = open_checkpoint(cp.note, parse_vkey(info.vkey), origin)
    except LedgerError as exc:
        raise AnchoringError(f"the latest checkpoint of {origin} does not verify: {exc}") from exc
    if (signed.size, signed.root) != (cp.size, cp.root):
        raise AnchoringError(f"the latest checkpoint of {origin} differs from its note")
    return cp


def _ensure_anchorer(chain: ChainClient, origin: str, log_id: bytes) -> bool:
    """Make sure the sender may anchor the log, registering it if nobody has; returns
    whether this run registered it."""
    owner = chain.log_owner(log_id)
    if owner is None:
        try:
            chain.register_log(log_id, chain.address)
            return True
        except ChainRevertError as exc:
            if exc.error != "LogAlreadyRegistered":
                raise
            owner = chain.log_owner(log_id)
    if chain.is_anchorer(log_id, chain.address):
        return False
    raise AnchoringError(
        f"{origin} (logId 0x{log_id.hex()}) is registered on chain {chain.chain_id} by "
        f"{owner}, and {chain.address} is not one of its anchorers: the owner can allow it "
        f"with addAnchorer(0x{log_id.hex()}, {chain.address}), or use the owner's key"
    )


def _record(record: RecordAnchor, rec: AnchorRecord, what: str) -> int:
    try:
        return record(rec)
    except Exception as exc:
        raise AnchoringError(
            f"{what} (size {rec.size}, tx 0x{rec.tx_hash.hex()} in block {rec.block_number} "
            f"on chain {rec.chain_id}) is on chain, but recording it in the log failed: "
            f"{type(exc).__name__}: {exc}. Nothing is half-written: the next anchoring run "
            "finds the transaction on chain and records it"
        ) from exc


# -- reading and checking anchors -------------------------------------------------


def recorded_anchors(store: LogStore, origin: str, start: int = 0) -> Iterator[RecordedAnchor]:
    """The ``Anchor`` entries of the log from ``start`` on, in order (streamed)."""
    for seq, data in store.iter_entries(origin, start):
        if _ANCHOR_MARK in data:
            entry = Entry.from_bytes(data)
            if entry.type == ANCHOR_TYPE:
                yield RecordedAnchor(seq, AnchorRecord.from_message(entry.message))


ClientFor = Callable[[int, str], ChainClient | None]
"""The client for an anchor contract ``(chain_id, address)``; ``None`` when that chain
can't be checked here (another chain). May raise :class:`AnchoringError` naming why
the contract can't be used (no code at the address): that anchor fails its check."""


@dataclass(frozen=True)
class AnchorCheck:
    """One ``Anchor`` entry checked: ``chain_root`` is ``rootAt(size)`` on its chain
    (``None`` if never anchored or not checked), ``log_root`` the log's root at that
    size; ``problems`` is empty when both equal the recorded root."""

    seq: int
    record: AnchorRecord
    checked_on_chain: bool
    chain_root: bytes | None
    log_root: bytes | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_anchors(
    store: LogStore, origin: str, client_for: ClientFor | None
) -> Iterator[AnchorCheck]:
    """Check every ``Anchor`` entry: the log's root at the recorded size is the recorded
    root, and (with ``client_for``) the contract's ``rootAt(size)`` is too.

    Raises :class:`~ledger.errors.ChainError` if a chain can't be reached."""
    log_id = log_id_for(origin)
    for found in recorded_anchors(store, origin):
        rec, problems = found.record, []
        log_root: bytes | None = None
        if rec.size > found.seq:
            problems.append(
                f"records a tree of {rec.size} entries, more than the log had "
                f"({found.seq}) when it was written"
            )
        else:
            log_root = store.root(origin, rec.size)
            if log_root != rec.root:
                problems.append(
                    f"the log's root at size {rec.size} is 0x{log_root.hex()}, "
                    f"not the recorded 0x{rec.root.hex()}"
                )
        chain_root: bytes | None = None
        checked = False
        if client_for is not None:
            try:
                client = client_for(rec.chain_id, rec.contract)
            except AnchoringError as exc:
                client = None
                problems.append(str(exc))
            if client is not None:
                checked = True
                chain_root = client.root_at(log_id, rec.size)
                if chain_root is None:
                    problems.append(
                        f"size {rec.size} was never anchored in {rec.contract} "
                        f"on chain {rec.chain_id}"
                    )
                elif chain_root != rec.root:
                    problems.append(
                        f"rootAt({rec.size}) on chain {rec.chain_id} is "
                        f"0x{chain_root.hex()}, not the recorded 0x{rec.root.hex()}"
                    )
        yield AnchorCheck(found.seq, rec, checked, chain_root, log_root, tuple(problems))


def reanchored(checks: list[AnchorCheck]) -> dict[int, AnchorCheck]:
    """The anchors whose transaction the chain no longer has (checked on chain, the
    log's root right, but ``rootAt(size)`` unset: a reorg or a restarted node dropped
    it) and that a later anchor of the same contract covers, checked and sound: the
    seq of each such ``Anchor`` entry, mapped to the check of the first later one. The
    later anchor proves on chain a tree that contains the lost one's."""
    out: dict[int, AnchorCheck] = {}
    for i, ch in enumerate(checks):
        if not (ch.checked_on_chain and ch.chain_root is None and ch.log_root == ch.record.root):
            continue
        for later in checks[i + 1 :]:
            same = (later.record.chain_id, later.record.contract.lower()) == (
                ch.record.chain_id,
                ch.record.contract.lower(),
            )
            if same and later.ok and later.checked_on_chain and later.record.size > ch.record.size:
                out[ch.seq] = later
                break
    return out


@dataclass(frozen=True)
class ChainStatus:
    """The chain's latest anchor of a log beside the log: ``log_root`` is the log's
    root at ``size`` (``None`` if the log is shorter), ``recorded`` its ``Anchor``
    entry if there is one."""

    chain_id: int
    contract: str
    size: int
    root: bytes
    log_root: bytes | None
    recorded: RecordedAnchor | None

    @property
    def forked(self) -> bool:
        return self.size > 0 and self.log_root != self.root


def chain_status(store: LogStore, chain: ChainClient, origin: str) -> ChainStatus:
    """Where the chain's latest anchor of ``origin`` stands against the log."""
    contract = _contract(chain)
    chain_id = chain.chain_id
    size, root = chain.latest(log_id_for(origin))
    if size == 0:
        return ChainStatus(chain_id, contract, 0, root, None, None)
    log_root = store.root(origin, size) if size <= store.log_info(origin).size else None
    recorded = None
    for found in recorded_anchors(store, origin, size):
        if found.record.same_anchor(chain_id, contract, size, root):
            recorded = found
            break
    return ChainStatus(chain_id, contract, size, root, log_root, recorded)
