"""End-to-end verification of a stored log, as ``kakawari verify`` runs it.

Streams every entry through :class:`ledger.verify.LogVerifier` (canonical bytes,
sequence, signature, stored leaf hash), recomputes the root from the entries and
compares it with the latest signed checkpoint (whose signature is checked against the
checkpoint key fixed in the log's first entry), then checks every stored subtree
hash against its children. Memory stays flat: entries are read in chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .checkpoint import open_checkpoint
from .errors import IntegrityError, LedgerError, NoteError, VerificationError
from .note import parse_vkey
from .store import LogStore

Progress = Callable[[int], None]


@dataclass(frozen=True)
class VerifiedLog:
    origin: str
    size: int
    root: bytes
    checkpoint_note: str


def verify_stored_log(
    store: LogStore, origin: str, progress: Progress | None = None, chunk: int = 2000
) -> VerifiedLog:
    """Verify everything stored for ``origin``.

    Returns a summary on success. Raises :class:`VerificationError` naming the first
    bad entry's seq (``seq`` is None when the fault is the log as a whole, e.g. a
    checkpoint that doesn't verify), or :class:`~ledger.errors.StoreError` when the
    log can't be read at all.
    """
    from .verify import LogVerifier

    try:
        info = store.log_info(origin)
    except IntegrityError as exc:
        raise VerificationError(str(exc), exc.seq) from None
    checkpoint = info.checkpoint
    if checkpoint is None:
        raise VerificationError(f"log {origin} has no signed checkpoint")
    verifier = LogVerifier(origin)
    done = 0
    for seq, data, leaf in store.iter_entry_rows(origin, 0, checkpoint.size, chunk):
        verifier.add(data, leaf)
        done = seq + 1
        if progress is not None and done % chunk == 0:
            progress(done)
    if progress is not None:
        progress(done)
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
