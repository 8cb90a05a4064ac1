"""End-to-end verification of a stored log, as ``kakawari verify`` runs it.

Streams every entry through :class:`ledger.verify.LogVerifier` (canonical bytes,
sequence, signature, stored leaf hash), recomputes the root from the entries and
compares it with the latest signed checkpoint (whose signature is checked against the
checkpoint key fixed in the log's first entry), then checks every stored subtree
hash against its children. Memory stays flat: entries are read in chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass

from .checkpoint import open_checkpoint
from .errors import IntegrityError, LedgerError, NoteError, VerificationError
from .note import parse_vkey
from .parallel import PARALLEL_MIN_ENTRIES, check_chunk, process_pool
from .store import LogStore
from .verify import LogVerifier

Progress = Callable[[int], None]


@dataclass(frozen=True)
class VerifiedLog:
    origin: str
    size: int
    root: bytes
    checkpoint_note: str


def verify_stored_log(
    store: LogStore,
    origin: str,
    progress: Progress | None = None,
    chunk: int = 2000,
    jobs: int = 1,
    parallel_min: int = PARALLEL_MIN_ENTRIES,
) -> VerifiedLog:
    """Verify everything stored for ``origin``.

    With ``jobs`` > 1 (and a log of at least ``parallel_min`` entries) the per-entry
    checks — parsing, canonical form, signature — run in that many worker processes
    while this one reads the log and folds the leaf hashes; the result and the entry
    named on failure are the same as with one process.

    Returns a summary on success. Raises :class:`VerificationError` naming the first
    bad entry's seq (``seq`` is None when the fault is the log as a whole, e.g. a
    checkpoint that doesn't verify), or :class:`~ledger.errors.StoreError` when the
    log can't be read at all.
    """
    try:
        info = store.log_info(origin)
    except IntegrityError as exc:
        raise VerificationError(str(exc), exc.seq) from None
    checkpoint = info.checkpoint
    if checkpoint is None:
        raise VerificationError(f"log {origin} has no signed checkpoint")
    rows = store.iter_entry_rows(origin, 0, checkpoint.size, chunk)
    verifier = LogVerifier(origin)
    if jobs > 1 and checkpoint.size >= parallel_min:
        _verify_parallel(verifier, rows, progress, chunk, jobs)
    else:
        done = 0
        for seq, data, leaf in rows:
            verifier.add(data, leaf)
            done = seq + 1
            if progress is not None and done % chunk == 0:
                progress(done)
    if progress is not None:
        progress(verifier.size)
    if verifier.size != checkpoint.size:
        raise VerificationError(
            f"the checkpoint covers {checkpoint.size} entries, the log has {verifier.size}",
            verifier.size,
        )
    facts = verifier.facts
    assert facts is not None
    if facts.checkpoint_key != info.vkey:
        raise VerificationError("the store's checkpoint key differs from the first entry's", 0)
    try:
        signed = open_checkpoint(checkpoint.note, parse_vkey(facts.checkpoint_key), origin)
    except (NoteError, LedgerError) as exc:
        raise VerificationError(f"the latest checkpoint does not verify: {exc}") from None
    root = verifier.root()
    if (signed.size, signed.root) != (checkpoint.size, root):
        raise VerificationError(
            f"the entries' root at size {checkpoint.size} differs from the signed checkpoint"
        )
    for problem in store.iter_node_mismatches(origin):
        raise VerificationError(str(problem), problem.seq)
    return VerifiedLog(origin, checkpoint.size, root, checkpoint.note)


def _verify_parallel(
    verifier: LogVerifier,
    rows: Iterator[tuple[int, bytes, bytes]],
    progress: Progress | None,
    chunk: int,
    jobs: int,
) -> None:
    """Entry 0 here (it fixes the facts), then chunks of entries to ``jobs`` processes;
    this process checks stored leaf hashes and folds the tree meanwhile. Results are
    taken in log order, so the first bad entry is the one reported."""
    first = next(rows, None)
    if first is None:
        return
    verifier.add(first[1], first[2])
    facts = verifier.facts
    assert facts is not None
    pending: deque[Future[list[bytes]]] = deque()

    def settle(limit: int) -> None:
        while len(pending) > limit:
            pending.popleft().result()  # re-raises the worker's VerificationError

    with process_pool(jobs) as pool:
        try:
            batch: list[bytes] = []
            start = 1
            for seq, data, leaf in rows:
                try:
                    verifier.push_checked(verifier.leaf_of(data, leaf))
                except VerificationError:
                    if batch:  # an earlier entry of this batch may be the first fault
                        pending.append(pool.submit(check_chunk, verifier.origin, facts,
                                                   start, batch))
                    settle(0)
                    raise
                batch.append(data)
                if len(batch) == chunk:
                    pending.append(pool.submit(check_chunk, verifier.origin, facts,
                                               start, batch))
                    batch, start = [], seq + 1
                    settle(2 * jobs)
                    if progress is not None:
                        progress(start)
            if batch:
                pending.append(pool.submit(check_chunk, verifier.origin, facts, start, batch))
            settle(0)
        finally:
            for future in pending:
                future.cancel()
