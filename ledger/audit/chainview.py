"""What the auditor needs from a chain: reads of the anchor contract, nothing else.

:class:`ledger.chain.ChainClient` (web3 or the in-memory fake) satisfies
:class:`AnchorReader`; the audit code never imports web3 itself, so bundles and
receipts verify offline without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from .. import eip712
from ..errors import LedgerError

__all__ = ["AnchorReader", "ClientFor", "ContractError", "log_id"]


class ContractError(LedgerError):
    """The contract an anchor record names can't be used on this chain (no code at the
    address, or code that is not ``KakawariAnchor``): every anchor naming it fails."""


class AnchorReader(Protocol):
    """Reads of ``KakawariAnchor`` (see ``contracts/src/IKakawariAnchor.sol``); every
    method raises :class:`~ledger.errors.ChainError` when the chain can't be read."""

    def latest(self, log_id: bytes) -> tuple[int, bytes]: ...

    def root_at(self, log_id: bytes, size: int) -> bytes | None: ...

    def verify_inclusion(
        self, log_id: bytes, size: int, index: int, leaf_hash: bytes, proof: Sequence[bytes]
    ) -> bool: ...


ClientFor = Callable[[int, str], AnchorReader | None]
"""The reader for the anchor contract ``(chain id, lowercase address)`` an anchor record
names; ``None`` when that chain can't be checked here (another chain id). Raises
:class:`ContractError` when the contract can't be used, and
:class:`~ledger.errors.ChainError` when the chain can't be read."""


def log_id(origin: str) -> bytes:
    """``keccak256(origin)``, the log's id on chain (as :func:`ledger.chain.log_id_for`,
    without importing web3)."""
    return eip712._keccak(origin.encode("utf-8"))
