"""One error tree for the ledger package.

Every exception raised on purpose by ``ledger`` derives from :class:`LedgerError`, so a
caller can catch one type; the subclasses say which layer refused and why. Messages
say what was expected, so they can be shown to an operator as they are.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof (or its inputs) is invalid."""


class CanonicalError(LedgerError):
    """A value can't be put into canonical form (RFC 8785 / the entry format)."""


class EntryError(LedgerError):
    """An entry is malformed: wrong fields, types, sizes or not in canonical form."""


class TypedDataError(LedgerError):
    """An EIP-712 message does not match its declared type."""


class SignatureError(LedgerError):
    """A signature is malformed, or was not made by the expected signer."""


class NoteError(LedgerError):
    """A signed note or checkpoint is malformed or its signature does not verify."""


class TileError(LedgerError):
    """A tile, entry bundle or tile path is malformed, or does not match the tree."""


class KeyStoreError(LedgerError):
    """A sealed key can't be opened (wrong passphrase, damaged file) or stored."""


class StoreError(LedgerError):
    """The log store refused an operation (unknown log, conflict, bad range)."""


class StoreUnavailableError(StoreError):
    """The database can't do it now, through no fault of the request: it is busy (a
    lock held too long), full, read-only, or the connection was lost. ``reason`` is one
    of ``busy``, ``full``, ``read-only``, ``connection-lost``, ``unavailable``. When it
    happened during a commit, whether the commit took effect is unknown."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class IntegrityError(StoreError):
    """The stored log does not match its hashes or its last signed checkpoint."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class ChainError(LedgerError):
    """The chain refused a transaction or could not be reached."""


class VerificationError(LedgerError):
    """An entry of a log failed verification; ``seq`` names it (None: the log as a whole)."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message if seq is None else f"entry {seq}: {message}")
        self.seq = seq
        self.reason = message
