"""Verifying an audit bundle offline, in one streaming pass over its entries.

:func:`verify_bundle` checks, using nothing but the bundle (and, when given, an older
bundle and a chain):

1. every entry: canonical bytes, its place in the log, its EIP-712 message and
   signature, service-written types signed by the region's service key
   (:class:`ledger.verify.LogVerifier`);
2. the signer's authority at that point in the log: admins for role, quest, policy,
   revocation, reinstatement, invitation and cancellation entries, verifiers for
   reviews, as granted and withdrawn by the log's own ``Role`` entries (:mod:`.authority`);
3. the RFC 9162 root of the entries against the signed checkpoint, whose Ed25519
   signature must verify with the checkpoint key fixed by entry 0 (or the key the
   auditor pins);
4. every ``Anchor`` entry: the tree it records is a prefix of this one (the root of the
   first ``size`` entries is the recorded root), and ``anchors.json`` lists exactly
   these entries;
5. with an older bundle: its own entries match its signed checkpoint, every one of them
   is byte for byte the entry at the same place here, and the RFC 9162 consistency
   proof between the two signed checkpoints, built from this bundle's entries,
   verifies (§2.1.4.2) — a history rewritten and re-signed is named at its first
   changed entry;
6. with a chain: ``rootAt(size)`` of every recorded anchor is the recorded root, and
   the contract's latest anchor of the log, when this bundle covers it, is this
   tree's root at that size.

An ``observer`` sees every entry that passed, in order, and may refuse one (the
service recomputes the points there). The first failure raises
:class:`~ledger.errors.VerificationError` with the entry's ``seq`` (``None`` when it
is the bundle as a whole) and a plain reason; memory stays flat: only the right edge
of the tree, the role holders and the anchor records are kept.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from .. import merkle, subtree
from ..checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from ..entry import Entry
from ..errors import LedgerError, ProofError, VerificationError
from ..note import parse_vkey
from ..parallel import PARALLEL_MIN_ENTRIES, check_chunk, process_pool
from ..verify import LogVerifier, RegionFacts
from .authority import Authority
from .bundle import ANCHORS, CHECKPOINT, ENTRIES, BundleReader
from .chainview import AnchorReader, ClientFor, ContractError, log_id

__all__ = [
    "ANCHOR_FIELDS",
    "BundleSummary",
    "EntryObserver",
    "Progress",
    "verify_bundle",
]

ANCHOR_FIELDS = ("chainId", "contract", "txHash", "blockNumber", "size", "root")
"""The fields of an ``Anchor`` message an anchor record repeats (with its ``seq``)."""

Progress = Callable[[int, int], None]
"""``progress(entries done, entries in all)``."""

_PROGRESS_EVERY = 2048


class EntryObserver(Protocol):
    """Sees each entry once it passed every ledger check, in log order."""

    def entry(self, entry: Entry) -> None:
        """May raise :class:`VerificationError` naming ``entry.seq``."""

    def finish(self) -> None:
        """After the last entry; may raise :class:`VerificationError`."""


@dataclass
class BundleSummary:
    """What a verified bundle holds."""

    origin: str
    size: int
    root: bytes
    checkpoint: str
    facts: RegionFacts
    types: dict[str, int]
    anchors: int
    anchors_on_chain: int = 0
    chain_latest: list[tuple[str, int, bytes]] = field(default_factory=list)
    previous_size: int | None = None
    notes: list[str] = field(default_factory=list)


def verify_bundle(
    bundle: BundleReader,
    *,
    previous: BundleReader | None = None,
    vkey: str | None = None,
    client_for: ClientFor | None = None,
    observer: EntryObserver | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    parallel_min: int = PARALLEL_MIN_ENTRIES,
    chunk: int = 1024,
) -> BundleSummary:
    """Verify ``bundle`` (see the module docs). ``vkey`` pins the region's checkpoint
    key; ``client_for`` gives readers of anchor contracts (``--rpc``).

    With ``jobs`` > 1 (and a bundle of at least ``parallel_min`` entries) each entry's
    own checks (canonical form, signature) run in ``jobs - 1`` worker processes and
    this one, which does the rest in log order, on entries whose checks have come back;
    the result, and the fault named first, are the same as with one process. Entries
    are handed out ``chunk`` at a time.

    Raises :class:`VerificationError` for the first fault found, and
    :class:`~ledger.errors.ChainError` when a chain was asked for and can't be read.
    """
    run = _Run(bundle, previous, vkey, client_for, observer, progress)
    return run.run(jobs if run.size >= parallel_min else 1, chunk)


# -- the tree's right edge, keeping the nodes a consistency proof needs ----------------


class _Edge:
    def __init__(self, wanted: set[subtree.Node] | None = None) -> None:
        self.edge: list[tuple[subtree.Node, bytes]] = []
        self.size = 0
        self.wanted = wanted or set()
        self.nodes: dict[subtree.Node, bytes] = {}

    def push(self, leaf: bytes) -> None:
        node = (0, self.size)
        if node in self.wanted:
            self.nodes[node] = leaf
        for done, value in subtree.append_leaf(self.edge, self.size, leaf):
            if done in self.wanted:
                self.nodes[done] = value
        self.size += 1

    def root(self) -> bytes:
        return subtree.root_from(self.size, dict(self.edge))


# -- pieces read before the pass ------------------------------------------------------


def _fail(reason: str, seq: int | None = None) -> VerificationError:
    return VerificationError(reason, seq)


def _unsigned_checkpoint(note: str, what: str) -> Checkpoint:
    """The body of a signed note, parsed but not yet verified (to plan the pass)."""
    cut = note.find("\n\n")
    try:
        if cut < 0:
            raise LedgerError("no blank line before the signatures")
        return parse_checkpoint(note[: cut + 1])
    except LedgerError as exc:
        raise _fail(f"{what} is not a signed checkpoint: {exc}") from None


def _anchor_records(bundle: BundleReader, size: int) -> list[dict[str, Any]]:
    data = bundle.json(ANCHORS)
    if not isinstance(data, list):
        raise _fail("anchors.json must be a JSON array of anchor records")
    last = -1
    for rec in data:
        ok = isinstance(rec, dict) and set(rec) == {"seq", *ANCHOR_FIELDS}
        if not ok or not all(isinstance(rec[k], int) for k in ("seq", "size")):
            raise _fail(f"anchors.json: malformed record {rec!r:.200}")
        if not last < rec["seq"] < size:
            raise _fail(f"anchors.json: record of entry {rec['seq']} is out of order or "
                        "beyond the log")
        last = rec["seq"]
    return data


@dataclass
class _Older:
    """The older bundle: its signed size and root, and its entries to compare."""

    size: int
    root: bytes
    lines: Iterator[bytes]


def _older(prev: BundleReader, origin: str) -> _Older:
    if prev.manifest.origin != origin:
        raise _fail(f"the older bundle is of log {prev.manifest.origin}, not {origin}")
    note = prev.text(CHECKPOINT)
    first = next(prev.lines(ENTRIES), b"")
    try:
        genesis = Entry.from_bytes(first)
        key = parse_vkey(genesis.message["checkpointKey"])
        cp = open_checkpoint(note, key, origin)
    except (LedgerError, KeyError, TypeError) as exc:
        raise _fail(f"the older bundle's checkpoint does not verify: {exc}") from None
    edge, count = _Edge(), 0
    for data in prev.lines(ENTRIES):
        if count == cp.size:
            break
        edge.push(merkle.leaf_hash(data))
        count += 1
    if count != cp.size or edge.root() != cp.root:
        raise _fail("the older bundle's entries do not match its own signed checkpoint")
    return _Older(cp.size, cp.root, prev.lines(ENTRIES))


@dataclass
class _ChainPlan:
    """What the chain says, read before the pass and compared as entries arrive."""

    problems: dict[int, str] = field(default_factory=dict)  # anchor entry seq -> fault
    checked: set[int] = field(default_factory=set)
    latest: list[tuple[str, int, bytes]] = field(default_factory=list)


def _chain_plan(records: list[dict[str, Any]], client_for: ClientFor, origin: str) -> _ChainPlan:
    plan, lid = _ChainPlan(), log_id(origin)
    readers: dict[tuple[int, str], AnchorReader | ContractError | None] = {}
    for rec in records:
        key = (int(rec["chainId"]), str(rec["contract"]).lower())
        if key not in readers:
            try:
                readers[key] = client_for(*key)
            except ContractError as exc:
                readers[key] = exc
            reader = readers[key]
            if reader is not None and not isinstance(reader, ContractError):
                size, root = reader.latest(lid)
                if size:
                    plan.latest.append((key[1], size, root))
        reader = readers[key]
        if reader is None:
            continue
        plan.checked.add(rec["seq"])
        if isinstance(reader, ContractError):
            plan.problems[rec["seq"]] = str(reader)
            continue
        on_chain = reader.root_at(lid, rec["size"])
        if on_chain is None:
            plan.problems[rec["seq"]] = (
                f"size {rec['size']} was never anchored in {key[1]} on chain {key[0]}")
        elif "0x" + on_chain.hex() != rec["root"]:
            plan.problems[rec["seq"]] = (
                f"rootAt({rec['size']}) on chain {key[0]} is 0x{on_chain.hex()}, "
                f"not the recorded {rec['root']}")
    return plan


# -- the pass ---------------------------------------------------------------------------


class _Run:
    def __init__(self, bundle: BundleReader, previous: BundleReader | None, vkey: str | None,
                 client_for: ClientFor | None, observer: EntryObserver | None,
                 progress: Progress | None) -> None:
        self.bundle, self.vkey, self.observer, self.progress = bundle, vkey, observer, progress
        self.origin = bundle.manifest.origin
        self.note = bundle.text(CHECKPOINT)
        self.cp = _unsigned_checkpoint(self.note, "checkpoint.note")
        if (self.cp.origin, self.cp.size, self.cp.root) != (
                self.origin, bundle.manifest.size, bundle.manifest.root):
            raise _fail("manifest.json and checkpoint.note name different trees")
        self.size = self.cp.size
        self.records = _anchor_records(bundle, self.size)
        self.older = _older(previous, self.origin) if previous is not None else None
        self.chain = (_chain_plan(self.records, client_for, self.origin)
                      if client_for is not None else None)
        self.roots: dict[int, bytes] = {}
        self.wanted = {r["size"] for r in self.records if r["size"] <= self.size}
        if self.chain is not None:
            self.wanted |= {s for _, s, _ in self.chain.latest if s <= self.size}
        nodes: set[subtree.Node] | None = None
        if self.older is not None:
            self.wanted.add(self.older.size)
            if 0 < self.older.size < self.size:
                nodes = set(subtree.consistency_nodes(self.older.size, self.size))
        self.edge = _Edge(nodes) if nodes else None
        self.verifier = LogVerifier(self.origin)
        self.authority: Authority | None = None
        self.types: Counter[str] = Counter()
        self.next_record = 0

    def run(self, jobs: int, chunk: int) -> BundleSummary:
        if self.size == 0:
            raise _fail("the checkpoint is of an empty log: there is nothing to verify")
        if self.older is not None and self.older.size > self.size:
            raise _fail(f"the log shrank: the older bundle has {self.older.size} entries, "
                        f"this one {self.size}", self.size)
        lines = self.bundle.lines(ENTRIES)
        count = self._pass(lines) if jobs <= 1 else self._pass_parallel(lines, jobs, chunk)
        if count < self.size:
            raise _fail(f"the bundle ends after {count} entries, but its checkpoint covers "
                        f"{self.size}: entry {count} and after are missing", count)
        if self.progress is not None:
            self.progress(count, self.size)
        return self._finish()

    def _too_many(self) -> VerificationError:
        return _fail(f"the bundle has more entries than its checkpoint covers ({self.size})",
                     self.size)

    def _pass(self, lines: Iterator[bytes]) -> int:
        """Every entry checked here, in order; returns how many there were."""
        count = 0
        for data in lines:
            if count == self.size:
                raise self._too_many()
            self._entry(count, data)
            count += 1
        return count

    def _pass_parallel(self, lines: Iterator[bytes], jobs: int, chunk: int) -> int:
        """Entry 0 here (it fixes the facts the others are checked with); then chunks of
        ``chunk`` entries are checked by ``jobs - 1`` worker processes and, whenever the
        oldest chunk is not back yet, by this process too (so that ``jobs`` processes
        are busy, and not more); checked chunks are folded in here strictly in log
        order, so a chunk's fault is raised after every earlier entry passed."""
        first = next(lines, None)
        if first is None:
            return 0
        self._entry(0, first)
        facts = self.verifier.facts
        assert facts is not None
        workers = max(jobs - 1, 1)
        # (first seq, entries, their checks, whether a worker has them), in log order
        pending: deque[tuple[int, list[bytes], Future[list[bytes]], bool]] = deque()
        read, remote, exhausted, surplus = 1, 0, False, False

        def next_chunk() -> tuple[int, list[bytes]] | None:
            nonlocal read, exhausted, surplus
            batch = list(islice(lines, chunk))
            if len(batch) < chunk:
                exhausted = True
            if read + len(batch) > self.size:  # entries beyond the checkpoint
                batch = batch[: self.size - read]
                exhausted = surplus = True
            start, read = read, read + len(batch)
            return (start, batch) if batch else None

        def here(start: int, batch: list[bytes]) -> Future[list[bytes]]:
            done: Future[list[bytes]] = Future()
            try:
                done.set_result(check_chunk(self.origin, facts, start, batch))
            except VerificationError as exc:
                done.set_exception(exc)
            return done

        with process_pool(workers) as pool:
            try:
                while True:
                    while not exhausted and remote < 4 * workers:
                        got = next_chunk()
                        if got is not None:
                            future = pool.submit(check_chunk, self.origin, facts, *got)
                            pending.append((*got, future, True))
                            remote += 1
                    if not pending:
                        break
                    start, datas, future, at_worker = pending[0]
                    if not future.done() and not exhausted and len(pending) < 8 * workers:
                        got = next_chunk()  # rather than wait, check the next chunk here
                        if got is not None:
                            pending.append((*got, here(*got), False))
                        continue
                    pending.popleft()
                    remote -= at_worker
                    digests = future.result()  # re-raises the chunk's VerificationError
                    for offset, (data, digest) in enumerate(zip(datas, digests, strict=True)):
                        self._entry(start + offset, data, checked=digest)
            finally:
                for _, _, future, _ in pending:
                    future.cancel()
        if surplus:
            raise self._too_many()
        return read

    def _entry(self, seq: int, data: bytes, *, checked: bytes | None = None) -> None:
        """The next entry; ``checked``: its own checks passed in a worker already,
        which computed this signing digest."""
        if checked is not None:
            leaf = merkle.leaf_hash(data)
            self.verifier.push_checked(leaf)
            entry = Entry.from_checked_bytes(data, checked)
            if self.edge is not None:
                self.edge.push(leaf)
        elif self.edge is not None:
            leaf = merkle.leaf_hash(data)
            entry = self.verifier.add(data, leaf)
            self.edge.push(leaf)
        else:
            entry = self.verifier.add(data)
        if seq == 0:
            self._start()
        if self.older is not None and seq < self.older.size and next(self.older.lines) != data:
            raise _fail(f"differs from entry {seq} of the older bundle: the history the older "
                        "checkpoint signed has been rewritten", seq)
        assert self.authority is not None
        self.authority.check(entry)
        if entry.type == "Anchor":
            self._anchor(entry)
        if self.observer is not None:
            self.observer.entry(entry)
        self.types[entry.type] += 1
        size = seq + 1
        if size in self.wanted:
            self.roots[size] = self.verifier.root()
        if self.progress is not None and size % _PROGRESS_EVERY == 0:
            self.progress(size, self.size)

    def _start(self) -> None:
        """After entry 0: the region's keys are known; check the checkpoint's signature."""
        facts = self.verifier.facts
        assert facts is not None
        if self.vkey is not None and self.vkey != facts.checkpoint_key:
            raise _fail(f"the region's first entry names checkpoint key "
                        f"{facts.checkpoint_key}, not the key you gave", 0)
        try:
            signed = open_checkpoint(self.note, parse_vkey(facts.checkpoint_key), self.origin)
        except LedgerError as exc:
            raise _fail("the checkpoint's signature does not verify with the region's "
                        f"checkpoint key (entry 0): {exc}") from None
        assert signed == self.cp
        self.authority = Authority(facts)

    def _anchor(self, entry: Entry) -> None:
        seq, m = entry.seq, entry.message
        rec = self.records[self.next_record] if self.next_record < len(self.records) else None
        if rec is None or rec["seq"] != seq or any(rec[k] != m[k] for k in ANCHOR_FIELDS):
            raise _fail("anchors.json does not list this Anchor entry as it is", seq)
        self.next_record += 1
        if m["size"] > seq:
            raise _fail(f"records an anchored tree of {m['size']} entries, more than the log "
                        f"had ({seq}) when it was written", seq)
        root = self.roots.get(m["size"]) if m["size"] else merkle.root_hash([])
        if root is None or "0x" + root.hex() != m["root"]:
            raise _fail(f"records root {m['root']} for size {m['size']}, but the log's root at "
                        "that size is another: the anchored tree is not this log", seq)
        if self.chain is not None and seq in self.chain.problems:
            raise _fail(f"the chain disagrees: {self.chain.problems[seq]}", seq)

    def _finish(self) -> BundleSummary:
        root = self.verifier.root()
        if root != self.cp.root:
            raise _fail(f"the root of the bundle's {self.size} entries is {root.hex()}; the "
                        f"signed checkpoint says {self.cp.root.hex()}")
        if self.next_record != len(self.records):
            seq = self.records[self.next_record]["seq"]
            raise _fail("anchors.json lists an anchor here, but this entry is no Anchor "
                        "entry", seq)
        facts = self.verifier.facts
        assert facts is not None
        summary = BundleSummary(self.origin, self.size, root, self.note, facts,
                                dict(self.types), len(self.records))
        if self.older is not None:
            self._consistent(root)
            summary.previous_size = self.older.size
        if self.chain is not None:
            self._chain_latest(summary)
        if self.observer is not None:
            self.observer.finish()
        return summary

    def _consistent(self, root: bytes) -> None:
        assert self.older is not None
        old, new = self.older.size, self.size
        try:
            proof = (subtree.consistency_from(old, new, self.edge.nodes)
                     if self.edge is not None else [])
            merkle.verify_consistency(old, new, self.older.root, root, proof)
        except (ProofError, KeyError) as exc:
            raise _fail(f"the two checkpoints are not consistent (RFC 9162 §2.1.4): {exc}",
                        None) from None

    def _chain_latest(self, summary: BundleSummary) -> None:
        assert self.chain is not None
        summary.anchors_on_chain = len(self.chain.checked)
        summary.chain_latest = list(self.chain.latest)
        for contract, size, root in self.chain.latest:
            if size > self.size:
                summary.notes.append(
                    f"{contract} has anchored {size} entries, more than this bundle holds; "
                    "a newer export covers them")
            elif self.roots.get(size) != root:
                raise _fail(f"the latest anchor in {contract} ({size} entries, root "
                            f"0x{root.hex()}) is not this log's tree at that size: the log "
                            "anchored on chain has forked from this one")

