"""An in-memory :class:`~ledger.chain.ChainClient` with the contracts' semantics.

:class:`FakeChain` is one simulated chain; each :class:`FakeChainClient` acts on it as
one sender. The rules and the order in which they are checked mirror
``KakawariAnchor`` and ``RecognitionBadge`` exactly, and refusals raise the same
:class:`~ledger.chain.ChainRevertError` names and arguments, so unit tests of code
that anchors or mints can run without an EVM. Consistency and inclusion proofs are
checked with :mod:`ledger.merkle`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger import merkle
from ledger.chain import (
    ZERO_HASH,
    AnchorReceipt,
    Badge,
    ChainRevertError,
    Deployment,
    _address,
    _bytes32,
    _proof,
    _uint64,
)
from ledger.errors import ChainError, ProofError

__all__ = ["FAKE_CHAIN_ID", "FakeChain", "FakeChainClient"]

FAKE_CHAIN_ID = 1337
DEFAULT_SENDER = "0x00000000000000000000000000000000000000A1"
MINTER_ROLE = bytes(keccak(b"MINTER_ROLE"))
_REGION_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")


@dataclass
class _Log:
    owner: str
    anchorers: set[str] = field(default_factory=set)
    latest_size: int = 0
    roots: dict[int, bytes] = field(default_factory=dict)
    events: dict[int, AnchorReceipt] = field(default_factory=dict)  # the Anchored events


@dataclass
class _Contracts:
    anchor: str
    badge: str
    minters: set[str]
    logs: dict[bytes, _Log] = field(default_factory=dict)
    badges: dict[int, Badge] = field(default_factory=dict)
    token_of_leaf: dict[bytes, int] = field(default_factory=dict)
    last_token: int = 0


class FakeChain:
    """One simulated chain: a block counter and the latest deployment of the contracts."""

    def __init__(self, chain_id: int = FAKE_CHAIN_ID) -> None:
        self.chain_id = chain_id
        self.block = 0
        self._counter = 0
        self.contracts: _Contracts | None = None

    def mine(self) -> tuple[int, bytes]:
        """A new block number and a unique transaction hash."""
        self.block += 1
        self._counter += 1
        return self.block, bytes(keccak(b"fake-tx" + self._counter.to_bytes(8, "big")))

    def new_address(self) -> str:
        self._counter += 1
        return str(
            to_checksum_address(keccak(b"fake-contract" + self._counter.to_bytes(8, "big"))[-20:])
        )


class FakeChainClient:
    """A sender on a :class:`FakeChain`. Without ``chain``, a new chain is made and the
    contracts are deployed on it, with this sender as badge admin and minter."""

    def __init__(self, chain: FakeChain | None = None, sender: str = DEFAULT_SENDER) -> None:
        self._sender = _address(sender)
        self._chain = chain or FakeChain()
        if chain is None:
            self.deploy_contracts()

    def as_sender(self, sender: str) -> FakeChainClient:
        """Another client on the same chain, acting as ``sender``."""
        return FakeChainClient(self._chain, sender)

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    @property
    def address(self) -> str:
        return self._sender

    @property
    def anchor_address(self) -> str | None:
        c = self._chain.contracts
        return None if c is None else c.anchor

    def deploy_contracts(self) -> Deployment:
        c = _Contracts(self._chain.new_address(), self._chain.new_address(), {self._sender})
        self._chain.contracts = c
        anchor_block, anchor_tx = self._chain.mine()
        block, badge_tx = self._chain.mine()
        return Deployment(self.chain_id, c.anchor, c.badge, block, anchor_block, anchor_tx,
                          badge_tx)

    # -- anchor ----------------------------------------------------------------

    def register_log(self, log_id: bytes, anchorer: str) -> bytes:
        logs = self._deployed().logs
        log_id, anchorer = _bytes32(log_id, "log id"), _address(anchorer)
        if log_id in logs:
            raise _revert("LogAlreadyRegistered", logId=log_id, owner=logs[log_id].owner)
        if int(anchorer, 16) == 0:
            raise _revert("ZeroAnchorer")
        logs[log_id] = _Log(self._sender, {anchorer})
        return self._chain.mine()[1]

    def add_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        log, anchorer = self._owned(log_id), _address(anchorer)
        if int(anchorer, 16) == 0:
            raise _revert("ZeroAnchorer")
        if anchorer in log.anchorers:
            raise _revert("AlreadyAnchorer", logId=log_id, anchorer=anchorer)
        log.anchorers.add(anchorer)
        return self._chain.mine()[1]

    def remove_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        log, anchorer = self._owned(log_id), _address(anchorer)
        if anchorer not in log.anchorers:
            raise _revert("NotAnchorer", logId=log_id, account=anchorer)
        log.anchorers.discard(anchorer)
        return self._chain.mine()[1]

    def log_owner(self, log_id: bytes) -> str | None:
        log = self._deployed().logs.get(_bytes32(log_id, "log id"))
        return None if log is None else log.owner

    def is_anchorer(self, log_id: bytes, account: str) -> bool:
        log = self._deployed().logs.get(_bytes32(log_id, "log id"))
        return log is not None and _address(account) in log.anchorers

    def anchor(
        self, log_id: bytes, size: int, root: bytes, proof: Sequence[bytes]
    ) -> AnchorReceipt:
        contracts = self._deployed()
        log_id, size = _bytes32(log_id, "log id"), _uint64(size, "size")
        root, path = _bytes32(root, "root"), _proof(proof)
        log = contracts.logs.get(log_id)
        if log is None:
            raise _revert("LogNotRegistered", logId=log_id)
        if self._sender not in log.anchorers:
            raise _revert("NotAnchorer", logId=log_id, account=self._sender)
        old = log.latest_size
        if size <= old:
            raise _revert("SizeNotIncreasing", logId=log_id, latestSize=old, size=size)
        if root == ZERO_HASH:
            raise _revert("ZeroRoot", logId=log_id)
        if old == 0 and path:
            raise _revert("MalformedProof", logId=log_id, latestSize=old, size=size)
        if old != 0:
            if not _consistency_shape_ok(old, size, len(path)):
                raise _revert("MalformedProof", logId=log_id, latestSize=old, size=size)
            try:
                merkle.verify_consistency(old, size, log.roots[old], root, path)
            except ProofError:
                raise _revert("InconsistentRoot", logId=log_id, size=size, root=root) from None
        log.latest_size = size
        log.roots[size] = root
        block, tx_hash = self._chain.mine()
        receipt = AnchorReceipt(self.chain_id, contracts.anchor, tx_hash, block, size, root, 0)
        log.events[size] = receipt
        return receipt

    def latest(self, log_id: bytes) -> tuple[int, bytes]:
        log = self._deployed().logs.get(_bytes32(log_id, "log id"))
        if log is None or log.latest_size == 0:
            return 0, ZERO_HASH
        return log.latest_size, log.roots[log.latest_size]

    def root_at(self, log_id: bytes, size: int) -> bytes | None:
        log = self._deployed().logs.get(_bytes32(log_id, "log id"))
        return None if log is None else log.roots.get(_uint64(size, "size"))

    def anchor_event(self, log_id: bytes, size: int) -> AnchorReceipt | None:
        log = self._deployed().logs.get(_bytes32(log_id, "log id"))
        return None if log is None else log.events.get(_uint64(size, "size"))

    def verify_inclusion(
        self, log_id: bytes, size: int, index: int, leaf_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        _uint64(index, "index")
        path, leaf = _proof(proof), _bytes32(leaf_hash, "leaf hash")
        root = self.root_at(log_id, size)
        if root is None:
            return False
        try:
            merkle.verify_inclusion(leaf, index, size, path, root)
        except ProofError:
            return False
        return True

    # -- badge -----------------------------------------------------------------

    def mint_badge(self, to: str, region: str, leaf_hash: bytes) -> int:
        c = self._deployed()
        to, leaf_hash = _address(to), _bytes32(leaf_hash, "leaf hash")
        if self._sender not in c.minters:
            raise _revert(
                "AccessControlUnauthorizedAccount", account=self._sender, neededRole=MINTER_ROLE
            )
        if not (isinstance(region, str) and region.isascii() and _REGION_RE.fullmatch(region)):
            raise _revert("InvalidRegion")
        if leaf_hash == ZERO_HASH:
            raise _revert("ZeroLeafHash")
        if leaf_hash in c.token_of_leaf:
            raise _revert("AlreadyMinted", leafHash=leaf_hash, tokenId=c.token_of_leaf[leaf_hash])
        if int(to, 16) == 0:
            raise _revert("ERC721InvalidReceiver", receiver=to)
        c.last_token += 1
        c.badges[c.last_token] = Badge(c.last_token, to, region, leaf_hash)
        c.token_of_leaf[leaf_hash] = c.last_token
        self._chain.mine()
        return c.last_token

    def badge(self, token_id: int) -> Badge:
        found = self._deployed().badges.get(token_id)
        if found is None:
            raise _revert("ERC721NonexistentToken", tokenId=token_id)
        return found

    # -- plumbing --------------------------------------------------------------

    def _deployed(self) -> _Contracts:
        if self._chain.contracts is None:
            raise ChainError("no anchor contract address: pass anchor_address or deploy")
        return self._chain.contracts

    def _owned(self, log_id: bytes) -> _Log:
        log_id = _bytes32(log_id, "log id")
        log = self._deployed().logs.get(log_id)
        if log is None:
            raise _revert("LogNotRegistered", logId=log_id)
        if log.owner != self._sender:
            raise _revert("NotLogOwner", logId=log_id, sender=self._sender)
        return log


def _revert(error: str, **values: object) -> ChainRevertError:
    return ChainRevertError(error, values)


def _consistency_shape_ok(first: int, second: int, length: int) -> bool:
    """Whether a consistency proof of ``length`` elements has the shape RFC 9162
    §2.1.4.2 needs from ``first`` to ``second`` leaves (0 < first < second): the
    same walk as the contract's, over the indices only."""
    if length == 0:
        return False
    remaining = length - (0 if first & (first - 1) == 0 else 1)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    for _ in range(remaining):
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        fn, sn = fn >> 1, sn >> 1
    return sn == 0
