"""The chain client: anchors checkpoints and mints recognition badges on an EVM chain.

``ChainClient`` is the small interface the rest of the project uses. Two
implementations share its semantics exactly:

- :class:`Web3ChainClient` talks to ``KakawariAnchor`` and ``RecognitionBadge``
  (``contracts/``) through web3.py, signing every transaction locally with one key. It
  works with an in-process py-evm chain (``EthereumTesterProvider``, see
  :func:`dev_chain`) and with any JSON-RPC node (``HTTPProvider``).
- :class:`ledger.chain_fake.FakeChainClient` keeps the same state in memory, for unit
  tests.

A log is identified on chain by ``log_id_for(origin) = keccak256(origin)``. Every
refusal by a contract is raised as :class:`ChainRevertError` carrying the custom
error's name (``InconsistentRoot``, ``SizeNotIncreasing``, ``MalformedProof``,
``NotAnchorer`` ...) and its arguments, so callers can tell them apart; a node that
can't be reached after bounded retries raises :class:`ChainUnavailableError`. The
contract ABIs and bytecode are loaded from the committed artifacts in
``contracts/artifacts``; nothing is compiled at run time.
"""

from __future__ import annotations

import ast
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import requests
from eth_abi import abi as eth_abi
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import (
    ProviderConnectionError,
    TimeExhausted,
)
from web3.logs import DISCARD
from web3.types import TxParams

from ledger.errors import ChainError

__all__ = [
    "ARTIFACTS_DIR",
    "AnchorReceipt",
    "Badge",
    "ChainClient",
    "ChainRevertError",
    "ChainUnavailableError",
    "Deployment",
    "DevChain",
    "RetryPolicy",
    "Web3ChainClient",
    "dev_chain",
    "load_artifact",
    "log_id_for",
]

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "contracts" / "artifacts"
ARTIFACT_FORMAT = "kakawari-artifact-1"
ZERO_HASH = bytes(32)
_UINT64_MAX = 2**64 - 1
T = TypeVar("T")


class ChainRevertError(ChainError):
    """A contract refused a call: ``error`` is the custom error's name (or ``Error`` /
    ``Panic`` for revert strings and panics, ``Unknown`` if it can't be decoded) and
    ``values`` its named arguments."""

    def __init__(self, error: str, values: dict[str, Any] | None = None) -> None:
        self.error = error
        self.values = dict(values or {})
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())
        super().__init__(f"the contract refused the call: {error}({shown})")


class ChainUnavailableError(ChainError):
    """The chain's JSON-RPC endpoint could not be reached, even after retries."""


@dataclass(frozen=True)
class Deployment:
    """Where the contracts live: chain id, addresses, and the block of the deployment
    (that of the badge, deployed last); the anchor's own block and both deployment
    transactions when known."""

    chain_id: int
    anchor: str
    badge: str
    block: int
    anchor_block: int | None = None
    anchor_tx: bytes | None = None
    badge_tx: bytes | None = None


@dataclass(frozen=True)
class AnchorReceipt:
    """A mined anchor: what the ``Anchor`` log entry records about it."""

    chain_id: int
    contract: str
    tx_hash: bytes
    block_number: int
    size: int
    root: bytes
    gas_used: int


@dataclass(frozen=True)
class Badge:
    """A recognition badge as the contract holds it."""

    token_id: int
    owner: str
    region: str
    leaf_hash: bytes


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for RPC connection failures: up to ``attempts`` tries,
    sleeping ``base_delay * 2**i`` (at most ``max_delay``) seconds between them."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2**attempt))


class ChainClient(Protocol):
    """What the ledger needs from a chain. Every call acts as one sender (``address``).

    All methods raise :class:`ChainRevertError` when a contract refuses, and
    :class:`ChainUnavailableError` when the chain can't be reached.
    """

    @property
    def chain_id(self) -> int: ...

    @property
    def address(self) -> str: ...

    @property
    def anchor_address(self) -> str | None:
        """The checksummed address of the anchor contract, ``None`` before a deployment."""
        ...

    def deploy_contracts(self) -> Deployment:
        """Deploy a fresh anchor and badge contract; the sender is badge admin and minter."""
        ...

    def register_log(self, log_id: bytes, anchorer: str) -> bytes:
        """Register a log (the sender owns it) with a first anchorer; returns the tx hash."""
        ...

    def add_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        """Allow ``anchorer`` to anchor the log (owner only); returns the tx hash."""
        ...

    def remove_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        """Withdraw ``anchorer``'s right to anchor the log (owner only); returns the tx hash."""
        ...

    def log_owner(self, log_id: bytes) -> str | None:
        """The owner of the log, or ``None`` if it is not registered."""
        ...

    def is_anchorer(self, log_id: bytes, account: str) -> bool:
        """Whether ``account`` may anchor the log."""
        ...

    def anchor(
        self, log_id: bytes, size: int, root: bytes, proof: Sequence[bytes]
    ) -> AnchorReceipt:
        """Anchor (size, root) with a consistency proof from the latest anchored tree."""
        ...

    def latest(self, log_id: bytes) -> tuple[int, bytes]:
        """The latest anchored (size, root); ``(0, 32 zero bytes)`` if none."""
        ...

    def root_at(self, log_id: bytes, size: int) -> bytes | None:
        """The root anchored for ``size``, or ``None`` if that size was never anchored."""
        ...

    def anchor_event(self, log_id: bytes, size: int) -> AnchorReceipt | None:
        """The mined transaction that anchored ``size`` for the log (read from the
        contract's ``Anchored`` events), or ``None`` if that size was never anchored.
        Lets a caller that lost a receipt (a crash after sending) find it again."""
        ...

    def verify_inclusion(
        self, log_id: bytes, size: int, index: int, leaf_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        """Whether the proof puts ``leaf_hash`` at ``index`` of the anchored tree of ``size``;
        ``False`` for a size that was never anchored."""
        ...

    def mint_badge(self, to: str, region: str, leaf_hash: bytes) -> int:
        """Mint a soulbound badge for a recognition entry (minter only); returns its id."""
        ...

    def badge(self, token_id: int) -> Badge:
        """The badge with this id; :class:`ChainRevertError` if it does not exist."""
        ...


def log_id_for(origin: str) -> bytes:
    """The on-chain id of a log: keccak256 of its origin string (``kakawari/<region>``)."""
    return bytes(keccak(origin.encode("utf-8")))


@dataclass(frozen=True)
class Artifact:
    """A compiled contract, as written by ``scripts/compile-contracts``."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def load_artifact(name: str) -> Artifact:
    """Load ``contracts/artifacts/<name>.json``; raises :class:`ChainError` if it is
    missing or not an artifact of the expected format."""
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChainError(f"contract artifact {path} can't be read: {exc}") from exc
    if data.get("_format") != ARTIFACT_FORMAT or data.get("contractName") != name:
        raise ChainError(f"{path} is not a {ARTIFACT_FORMAT} artifact of {name}")
    return Artifact(name, data["abi"], data["bytecode"])


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """Selector -> (error name, argument names, argument types) over both contracts."""
    table: dict[bytes, tuple[str, list[str], list[str]]] = {
        bytes.fromhex("08c379a0"): ("Error", ["message"], ["string"]),
        bytes.fromhex("4e487b71"): ("Panic", ["code"], ["uint256"]),
    }
    for name in ("KakawariAnchor", "RecognitionBadge"):
        for item in load_artifact(name).abi:
            if item["type"] != "error":
                continue
            types = [i["type"] for i in item["inputs"]]
            selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
            table[bytes(selector)] = (item["name"], [i["name"] for i in item["inputs"]], types)
    return table


def decode_revert(data: bytes) -> ChainRevertError:
    """Turn revert data into a :class:`ChainRevertError` named after the custom error."""
    entry = _error_table().get(data[:4])
    if entry is None:
        return ChainRevertError("Unknown", {"data": data})
    name, names, types = entry
    try:
        values = eth_abi.decode(types, data[4:])
    except Exception:  # malformed arguments: keep the name, show the raw data
        return ChainRevertError(name, {"data": data})
    shown = [
        to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
    ]
    return ChainRevertError(name, dict(zip(names, shown, strict=True)))


def _revert_data(exc: Exception) -> bytes | None:
    """The revert data carried by a web3 (JSON-RPC) or eth-tester (in-process) error."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    message = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if type(exc).__name__ == "TransactionFailed" and message.startswith(prefix):
        literal = message[len(prefix) :]
        if literal[:2] in ("b'", 'b"'):
            value = ast.literal_eval(literal)
            if isinstance(value, bytes):
                return value
        return b"\x08\xc3\x79\xa0" + eth_abi.encode(["string"], [literal])
    return None


# What a node answers to a transaction it already has (anvil/geth, eth-tester).
_ALREADY_SENT = ("already known", "known transaction", "nonce too low", "invalid transaction nonce")

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ProviderConnectionError,
    ConnectionError,
    TimeoutError,
)


class Web3ChainClient:
    """:class:`ChainClient` over web3.py, signing locally with ``private_key``.

    ``anchor_address``/``badge_address`` point at deployed contracts; leave them
    ``None`` and call :meth:`deploy_contracts` to deploy new ones. RPC connection
    failures are retried per ``retry``; a revert is never retried. Event reads
    (:meth:`anchor_event`) scan from ``from_block`` (the deployment's block, when known)
    in windows of ``log_window`` blocks, newest first, as public RPC endpoints cap the
    range of one ``eth_getLogs``.
    """

    def __init__(
        self,
        w3: Web3,
        private_key: str | bytes,
        anchor_address: str | None = None,
        badge_address: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        receipt_timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        from_block: int = 0,
        log_window: int = 10_000,
    ) -> None:
        self._w3 = w3
        self._from_block = max(0, from_block)
        self._log_window = max(1, log_window)
        self._account = Account.from_key(private_key)
        self._retry = retry or RetryPolicy()
        self._receipt_timeout = receipt_timeout
        self._sleep = sleep
        self._chain_id: int | None = None
        self._anchor = self._contract("KakawariAnchor", anchor_address)
        self._badge = self._contract("RecognitionBadge", badge_address)

    # -- identity --------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc("read the chain id", lambda: self._w3.eth.chain_id))
        return self._chain_id

    @property
    def address(self) -> str:
        return str(self._account.address)

    @property
    def anchor_address(self) -> str | None:
        return None if self._anchor is None else str(self._anchor.address)

    @property
    def badge_address(self) -> str | None:
        return None if self._badge is None else str(self._badge.address)

    @property
    def anchor_contract(self) -> Any:
        """The web3 contract object of ``KakawariAnchor`` (for reading events)."""
        return self._anchors()

    @property
    def badge_contract(self) -> Any:
        """The web3 contract object of ``RecognitionBadge``."""
        return self._badges()

    def deploy_contracts(self) -> Deployment:
        anchor_art = load_artifact("KakawariAnchor")
        badge_art = load_artifact("RecognitionBadge")
        factory = self._w3.eth.contract(abi=anchor_art.abi, bytecode=anchor_art.bytecode)
        anchor_rcpt = self.transact("deploy KakawariAnchor", factory.constructor())
        factory = self._w3.eth.contract(abi=badge_art.abi, bytecode=badge_art.bytecode)
        badge_rcpt = self.transact(
            "deploy RecognitionBadge", factory.constructor(self.address, self.address)
        )
        self._anchor = self._contract("KakawariAnchor", anchor_rcpt["contractAddress"])
        self._badge = self._contract("RecognitionBadge", badge_rcpt["contractAddress"])
        return Deployment(
            chain_id=self.chain_id,
            anchor=str(anchor_rcpt["contractAddress"]),
            badge=str(badge_rcpt["contractAddress"]),
            block=int(badge_rcpt["blockNumber"]),
            anchor_block=int(anchor_rcpt["blockNumber"]),
            anchor_tx=bytes(anchor_rcpt["transactionHash"]),
            badge_tx=bytes(badge_rcpt["transactionHash"]),
        )

    # -- anchor ----------------------------------------------------------------

    def register_log(self, log_id: bytes, anchorer: str) -> bytes:
        fn = self._anchors().functions.registerLog(_bytes32(log_id, "log id"), _address(anchorer))
        return bytes(self.transact("register the log", fn)["transactionHash"])

    def add_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        fn = self._anchors().functions.addAnchorer(_bytes32(log_id, "log id"), _address(anchorer))
        return bytes(self.transact("add an anchorer", fn)["transactionHash"])

    def remove_anchorer(self, log_id: bytes, anchorer: str) -> bytes:
        fn = self._anchors().functions.removeAnchorer(
            _bytes32(log_id, "log id"), _address(anchorer)
        )
        return bytes(self.transact("remove an anchorer", fn)["transactionHash"])

    def log_owner(self, log_id: bytes) -> str | None:
        fn = self._anchors().functions.logOwner(_bytes32(log_id, "log id"))
        owner = str(self.call("read the log owner", fn))
        return None if int(owner, 16) == 0 else to_checksum_address(owner)

    def is_anchorer(self, log_id: bytes, account: str) -> bool:
        fn = self._anchors().functions.isAnchorer(_bytes32(log_id, "log id"), _address(account))
        return bool(self.call("read an anchorer", fn))

    def anchor(
        self, log_id: bytes, size: int, root: bytes, proof: Sequence[bytes]
    ) -> AnchorReceipt:
        contract = self._anchors()
        fn = contract.functions.anchor(
            _bytes32(log_id, "log id"),
            _uint64(size, "size"),
            _bytes32(root, "root"),
            _proof(proof),
        )
        receipt = self.transact("anchor a checkpoint", fn)
        return AnchorReceipt(
            chain_id=self.chain_id,
            contract=str(contract.address),
            tx_hash=bytes(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            size=size,
            root=root,
            gas_used=int(receipt["gasUsed"]),
        )

    def latest(self, log_id: bytes) -> tuple[int, bytes]:
        fn = self._anchors().functions.latest(_bytes32(log_id, "log id"))
        size, root = self.call("read the latest anchor", fn)
        return int(size), bytes(root)

    def root_at(self, log_id: bytes, size: int) -> bytes | None:
        fn = self._anchors().functions.rootAt(_bytes32(log_id, "log id"), _uint64(size, "size"))
        root = bytes(self.call("read an anchored root", fn))
        return None if root == ZERO_HASH else root

    def anchor_event(self, log_id: bytes, size: int) -> AnchorReceipt | None:
        contract = self._anchors()
        log_id, size = _bytes32(log_id, "log id"), _uint64(size, "size")
        event = contract.events.Anchored()
        top = int(self._rpc("read the block number", lambda: self._w3.eth.block_number))
        while top >= self._from_block:
            bottom = max(self._from_block, top - self._log_window + 1)

            def logs(lo: int = bottom, hi: int = top) -> Any:
                return event.get_logs(
                    from_block=lo, to_block=hi, argument_filters={"logId": log_id}
                )

            for log in self._rpc("read the anchor events", logs):
                if int(log["args"]["size"]) != size:
                    continue
                tx_hash = bytes(log["transactionHash"])

                def receipt_of(h: bytes = tx_hash) -> Any:
                    return self._w3.eth.get_transaction_receipt(cast(Any, h))

                receipt = self._rpc("read an anchor transaction", receipt_of)
                return AnchorReceipt(
                    chain_id=self.chain_id,
                    contract=str(contract.address),
                    tx_hash=tx_hash,
                    block_number=int(log["blockNumber"]),
                    size=size,
                    root=bytes(log["args"]["root"]),
                    gas_used=int(receipt["gasUsed"]),
                )
            top = bottom - 1
        return None

    def verify_inclusion(
        self, log_id: bytes, size: int, index: int, leaf_hash: bytes, proof: Sequence[bytes]
    ) -> bool:
        fn = self._anchors().functions.verifyInclusion(
            _bytes32(log_id, "log id"),
            _uint64(size, "size"),
            _uint64(index, "index"),
            _bytes32(leaf_hash, "leaf hash"),
            _proof(proof),
        )
        return bool(self.call("verify an inclusion proof", fn))

    # -- badge -----------------------------------------------------------------

    def mint_badge(self, to: str, region: str, leaf_hash: bytes) -> int:
        badges = self._badges()
        fn = badges.functions.mint(_address(to), region, _bytes32(leaf_hash, "leaf hash"))
        receipt = self.transact("mint a badge", fn)
        for event in badges.events.BadgeMinted().process_receipt(receipt, errors=DISCARD):
            return int(event["args"]["tokenId"])
        raise ChainError("the mint transaction emitted no BadgeMinted event")

    def badge(self, token_id: int) -> Badge:
        f = self._badges().functions
        owner = self.call("read a badge owner", f.ownerOf(token_id))
        region = self.call("read a badge region", f.regionOf(token_id))
        leaf = self.call("read a badge leaf hash", f.leafHashOf(token_id))
        return Badge(token_id, to_checksum_address(owner), str(region), bytes(leaf))

    # -- plumbing --------------------------------------------------------------

    def _contract(self, name: str, address: str | None) -> Any:
        if address is None:
            return None
        checksum = Web3.to_checksum_address(_address(address))
        return self._w3.eth.contract(address=checksum, abi=load_artifact(name).abi)

    def _anchors(self) -> Any:
        if self._anchor is None:
            raise ChainError("no anchor contract address: pass anchor_address or deploy")
        return self._anchor

    def _badges(self) -> Any:
        if self._badge is None:
            raise ChainError("no badge contract address: pass badge_address or deploy")
        return self._badge

    def _rpc(self, what: str, call: Callable[[], T]) -> T:
        """Run ``call``, retrying connection failures with bounded exponential backoff.

        Raises :class:`ChainRevertError` for a contract revert (never retried),
        :class:`ChainUnavailableError` when the retries run out, and
        :class:`ChainError` for any other refusal by the node."""
        attempts = max(1, self._retry.attempts)
        for attempt in range(attempts):
            try:
                return call()
            except _CONNECTION_ERRORS as exc:
                if attempt + 1 == attempts:
                    raise ChainUnavailableError(
                        f"could not {what}: the chain's RPC endpoint did not answer after "
                        f"{attempts} attempts ({type(exc).__name__}: {exc})"
                    ) from exc
                self._sleep(self._retry.delay(attempt))
            except ChainError:
                raise
            except Exception as exc:
                revert = _revert_data(exc)
                if revert is not None:
                    raise decode_revert(revert) from exc
                raise ChainError(f"could not {what}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def call(self, what: str, fn: Any) -> Any:
        """Run a contract view function (a web3 ``ContractFunction``) as this sender;
        ``what`` names the action in error messages."""
        return self._rpc(what, lambda: fn.call({"from": self.address}))

    def transact(self, what: str, fn: Any) -> Any:
        """Send a contract function (or constructor) as a transaction from this key and
        return the mined receipt.

        Gas is estimated first, which surfaces a revert before anything is sent; the
        transaction is signed locally and sent as raw bytes. A send retried after a
        connection failure that the node had in fact received is not an error.
        """
        chain_id = self.chain_id

        def build() -> Any:
            nonce = self._w3.eth.get_transaction_count(self._account.address, "pending")
            return fn.build_transaction(
                {"from": self._account.address, "nonce": nonce, "chainId": chain_id}
            )

        tx = self._rpc(what, build)
        signed = self._account.sign_transaction(tx)
        tx_hash = "0x" + bytes(signed.hash).hex()
        tried = [False]

        def send() -> None:
            try:
                self._w3.eth.send_raw_transaction(signed.raw_transaction)
            except _CONNECTION_ERRORS:
                raise
            except Exception as exc:
                if not (tried[0] and any(k in str(exc).lower() for k in _ALREADY_SENT)):
                    raise
            finally:
                tried[0] = True

        def wait() -> Any:
            try:
                return self._w3.eth.wait_for_transaction_receipt(
                    signed.hash, timeout=self._receipt_timeout
                )
            except TimeExhausted as exc:
                raise ChainError(
                    f"could not {what}: transaction {tx_hash} was not mined "
                    f"within {self._receipt_timeout:g} s"
                ) from exc

        self._rpc(what, send)
        receipt = self._rpc(what, wait)
        if receipt["status"] != 1:
            self._replay(what, tx, int(receipt["blockNumber"]))
            raise ChainError(f"could not {what}: transaction {tx_hash} reverted")
        return receipt

    def _replay(self, what: str, tx: Any, block: int) -> None:
        """Re-run a reverted transaction as a call on its parent block to learn why."""
        call = cast(TxParams, {k: tx[k] for k in ("from", "to", "data", "value") if k in tx})
        self._rpc(what, lambda: self._w3.eth.call(call, max(0, block - 1)))


@dataclass(frozen=True)
class DevChain:
    """An in-process development chain (py-evm through eth-tester). It lives only in
    this process's memory: nothing on it survives a restart."""

    w3: Web3
    private_keys: tuple[str, ...]

    @property
    def private_key(self) -> str:
        return self.private_keys[0]


def dev_chain(accounts: int = 3) -> DevChain:
    """Start an in-process development chain with ``accounts`` freshly generated,
    funded keys (1,000,000 ETH each). For tests and the embedded dev mode only: the
    chain does not survive a restart, so anchors on it prove nothing to anyone else."""
    from eth_keys.datatypes import PrivateKey
    from eth_tester import EthereumTester, PyEVMBackend
    from eth_tester.backends.pyevm.main import generate_genesis_state_for_keys
    from web3 import EthereumTesterProvider

    secrets = [PrivateKey(os.urandom(32)) for _ in range(accounts)]
    backend = PyEVMBackend(genesis_state=generate_genesis_state_for_keys(secrets))
    w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
    # Calls without a sender would run as an unfunded account, which py-evm refuses.
    w3.eth.default_account = secrets[0].public_key.to_checksum_address()
    return DevChain(w3, tuple("0x" + k.to_bytes().hex() for k in secrets))


# -- argument checks (shared with the fake) ----------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ChainError(f"{what} must be 32 bytes, got {type(value).__name__}")
    return value


def _uint64(value: int, what: str) -> int:
    if type(value) is not int or not 0 <= value <= _UINT64_MAX:
        raise ChainError(f"{what} must be an int in 0..2**64-1, got {value!r:.40}")
    return value


def _proof(proof: Sequence[bytes]) -> list[bytes]:
    return [_bytes32(p, f"proof element {i}") for i, p in enumerate(proof)]


def _address(value: str) -> str:
    try:
        return str(to_checksum_address(value))
    except (TypeError, ValueError) as exc:
        raise ChainError(f"not an Ethereum address: {value!r:.50}") from exc
