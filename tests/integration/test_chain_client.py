"""Web3ChainClient: receipts, revert decoding, RPC retries, and parity with the fake.

Tests that take ``chain_env`` run on py-evm and on anvil.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import requests
from eth_abi import abi as eth_abi
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3
from web3.providers import HTTPProvider

from ledger import merkle
from ledger.chain import (
    ChainClient,
    ChainRevertError,
    ChainUnavailableError,
    RetryPolicy,
    Web3ChainClient,
    decode_revert,
    dev_chain,
    log_id_for,
)
from ledger.chain_fake import FakeChain, FakeChainClient
from ledger.errors import ChainError
from tests.integration.chain_fixtures import (  # noqa: F401 (fixtures)
    ChainEnv,
    _free_port,
    anvil_url_fixture,
    chain_env_fixture,
)

LOG = log_id_for("kakawari/ama")
TINY = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.004)


def test_log_id_is_keccak256_of_the_origin() -> None:
    assert log_id_for("kakawari/ama") == bytes(Web3.keccak(text="kakawari/ama"))


def test_anchor_receipt_describes_the_mined_transaction(chain_env: ChainEnv) -> None:
    client = chain_env.client(0)
    client.register_log(LOG, client.address)
    leaves = [bytes([i]) * 32 for i in range(4)]
    receipt = client.anchor(LOG, 4, merkle.root_hash(leaves), [])
    mined = chain_env.w3.eth.get_transaction_receipt(HexBytes(receipt.tx_hash))
    assert receipt.chain_id == chain_env.w3.eth.chain_id == client.chain_id
    assert receipt.contract == chain_env.deployment.anchor
    assert receipt.block_number == mined["blockNumber"]
    assert receipt.gas_used == mined["gasUsed"] > 21000
    assert (receipt.size, receipt.root) == (4, merkle.root_hash(leaves))
    tx = chain_env.w3.eth.get_transaction(receipt.tx_hash)  # type: ignore[arg-type]
    assert tx["from"] == client.address


def test_anchor_event_finds_the_transaction_of_an_anchored_size(chain_env: ChainEnv) -> None:
    client = chain_env.client(0)
    client.register_log(LOG, client.address)
    other = log_id_for("kakawari/oki")
    client.register_log(other, client.address)
    leaves = [bytes([i + 1]) * 32 for i in range(7)]
    first = client.anchor(LOG, 3, merkle.root_hash(leaves[:3]), [])
    client.anchor(other, 3, merkle.root_hash(leaves[1:4]), [])  # same size, another log
    for _ in range(3):  # blocks in between, so a small window has to scan several
        client.register_log(bytes(Web3.keccak(text=str(_))), client.address)
    second = client.anchor(
        LOG, 7, merkle.root_hash(leaves), merkle.consistency_proof(3, leaves)
    )
    # A new client (lost receipts), scanning two blocks per eth_getLogs.
    reader = chain_env.client(1, from_block=chain_env.deployment.block, log_window=2)
    assert reader.anchor_event(LOG, 3) == first
    assert reader.anchor_event(LOG, 7) == second
    assert reader.anchor_event(LOG, 5) is None
    assert reader.anchor_event(log_id_for("kakawari/none"), 3) is None
    assert reader.anchor_event(other, 3) is not None
    assert reader.anchor_event(other, 3).root == merkle.root_hash(leaves[1:4])  # type: ignore[union-attr]
    assert reader.anchor_address == chain_env.deployment.anchor


def test_deployment_names_both_transactions(chain_env: ChainEnv) -> None:
    dep = chain_env.deployment
    assert dep.anchor_tx is not None and dep.badge_tx is not None
    anchor_rcpt = chain_env.w3.eth.get_transaction_receipt(HexBytes(dep.anchor_tx))
    badge_rcpt = chain_env.w3.eth.get_transaction_receipt(HexBytes(dep.badge_tx))
    assert anchor_rcpt["contractAddress"] == dep.anchor
    assert anchor_rcpt["blockNumber"] == dep.anchor_block
    assert (badge_rcpt["contractAddress"], badge_rcpt["blockNumber"]) == (dep.badge, dep.block)


@pytest.mark.chain
def test_a_client_without_contract_addresses_says_so() -> None:
    dev = dev_chain(accounts=1)
    client = Web3ChainClient(dev.w3, dev.private_key)
    with pytest.raises(ChainError, match="no anchor contract address"):
        client.latest(LOG)
    with pytest.raises(ChainError, match="no badge contract address"):
        client.badge(1)
    with pytest.raises(ChainError, match="no anchor contract address"):
        client.anchor_event(LOG, 1)
    assert client.anchor_address is None


@pytest.mark.chain
def test_dev_chain_has_distinct_funded_keys() -> None:
    dev = dev_chain(accounts=2)
    assert len(set(dev.private_keys)) == 2
    for key in dev.private_keys:
        address = Web3ChainClient(dev.w3, key).address
        assert dev.w3.eth.get_balance(address) > 10**18  # type: ignore[arg-type]


# -- revert decoding ---------------------------------------------------------------


def test_decode_revert_names_custom_errors_strings_and_panics() -> None:
    selector = bytes(Web3.keccak(text="SizeNotIncreasing(bytes32,uint64,uint64)"))[:4]
    data = selector + eth_abi.encode(["bytes32", "uint64", "uint64"], [LOG, 5, 3])
    err = decode_revert(data)
    assert (err.error, err.values) == (
        "SizeNotIncreasing",
        {"logId": LOG, "latestSize": 5, "size": 3},
    )
    assert "SizeNotIncreasing(logId=0x7485" in str(err)
    text = bytes.fromhex("08c379a0") + eth_abi.encode(["string"], ["nope"])
    assert decode_revert(text).values == {"message": "nope"}
    panic = bytes.fromhex("4e487b71") + eth_abi.encode(["uint256"], [0x11])
    assert (decode_revert(panic).error, decode_revert(panic).values) == ("Panic", {"code": 17})
    assert decode_revert(b"\xde\xad\xbe\xef").error == "Unknown"
    assert decode_revert(selector + b"\x01").error == "SizeNotIncreasing"


# -- retries -----------------------------------------------------------------------


def _flaky_w3(env: ChainEnv, url: str | None, fail: Callable[[str, int], bool]) -> Web3:
    """A new Web3 on ``env``'s chain whose provider consults ``fail(method, n)`` (n = the
    call's number for that method) and raises a connection error when it says so."""
    if env.backend == "pyevm":
        inner: Any = EthereumTesterProvider(env.w3.provider.ethereum_tester)  # type: ignore[attr-defined]
    else:
        inner = HTTPProvider(url, exception_retry_configuration=None)
    original = inner.make_request
    counts: dict[str, int] = {}

    def make_request(method: str, params: Any) -> Any:
        counts[method] = counts.get(method, 0) + 1
        if fail(method, counts[method]):
            raise requests.exceptions.ConnectionError(f"simulated outage in {method}")
        return original(method, params)

    inner.make_request = make_request
    w3 = Web3(inner)
    w3.eth.default_account = env.w3.eth.default_account
    return w3


def _url(env: ChainEnv, request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("anvil_url") if env.backend == "anvil" else None


def test_connection_errors_are_retried_with_backoff(
    chain_env: ChainEnv, request: pytest.FixtureRequest
) -> None:
    # The first try of each step fails: chain id, send, receipt.
    steps = {"eth_chainId", "eth_sendRawTransaction", "eth_getTransactionReceipt"}
    w3 = _flaky_w3(chain_env, _url(chain_env, request), lambda m, n: m in steps and n == 1)
    sleeps: list[float] = []
    dep = chain_env.deployment
    client = Web3ChainClient(
        w3, chain_env.keys[0], dep.anchor, dep.badge, retry=TINY, sleep=sleeps.append
    )
    client.register_log(LOG, client.address)
    assert client.log_owner(LOG) == client.address
    assert sleeps == [0.001, 0.001, 0.001]


def test_retries_are_bounded_and_then_say_what_failed(
    chain_env: ChainEnv, request: pytest.FixtureRequest
) -> None:
    w3 = _flaky_w3(chain_env, _url(chain_env, request), lambda method, n: method == "eth_call")
    sleeps: list[float] = []
    dep = chain_env.deployment
    client = Web3ChainClient(
        w3, chain_env.keys[0], dep.anchor, dep.badge, retry=TINY, sleep=sleeps.append
    )
    with pytest.raises(ChainUnavailableError, match=r"read the latest anchor.*after 3 attempts"):
        client.latest(LOG)
    assert sleeps == [0.001, 0.002]


def test_a_resent_transaction_the_node_already_had_is_not_an_error(
    chain_env: ChainEnv, request: pytest.FixtureRequest
) -> None:
    url = _url(chain_env, request)
    inner_w3 = _flaky_w3(chain_env, url, lambda method, n: False)
    provider: Any = inner_w3.provider
    deliver = provider.make_request
    state = {"sends": 0}

    def deliver_then_drop(method: str, params: Any) -> Any:
        if method == "eth_sendRawTransaction":
            state["sends"] += 1
        response = deliver(method, params)
        if method == "eth_sendRawTransaction" and state["sends"] == 1:
            raise requests.exceptions.ConnectionError("answer lost")
        return response

    provider.make_request = deliver_then_drop
    w3 = Web3(provider)
    dep = chain_env.deployment
    client = Web3ChainClient(w3, chain_env.keys[0], dep.anchor, dep.badge, retry=TINY)
    nonce = chain_env.w3.eth.get_transaction_count(client.address)  # type: ignore[arg-type]
    client.register_log(LOG, client.address)
    assert state["sends"] == 2
    assert chain_env.w3.eth.get_transaction_count(client.address) == nonce + 1  # type: ignore[arg-type]
    assert chain_env.client(0).log_owner(LOG) == client.address


def test_reverts_are_not_retried(chain_env: ChainEnv, request: pytest.FixtureRequest) -> None:
    calls: list[str] = []

    def record(method: str, n: int) -> bool:
        calls.append(method)
        return False

    w3 = _flaky_w3(chain_env, _url(chain_env, request), record)
    dep = chain_env.deployment
    client = Web3ChainClient(w3, chain_env.keys[0], dep.anchor, dep.badge, retry=TINY)
    with pytest.raises(ChainRevertError, match="LogNotRegistered"):
        client.anchor(LOG, 1, bytes(range(32)), [])
    assert calls.count("eth_estimateGas") == 1
    assert "eth_sendRawTransaction" not in calls


def test_an_unreachable_endpoint_raises_chain_unavailable() -> None:
    w3 = Web3(
        HTTPProvider(
            f"http://127.0.0.1:{_free_port()}",
            exception_retry_configuration=None,
            request_kwargs={"timeout": 2},
        )
    )
    sleeps: list[float] = []
    client = Web3ChainClient(w3, "0x" + "11" * 32, retry=TINY, sleep=sleeps.append)
    with pytest.raises(ChainUnavailableError, match="did not answer after 3 attempts"):
        _ = client.chain_id
    assert sleeps == [0.001, 0.002]


# -- parity with the fake ----------------------------------------------------------


def _outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        result = call()
    except ChainRevertError as exc:
        return ("refused", exc.error, exc.values)
    if hasattr(result, "size") and hasattr(result, "root"):
        return ("ok", result.size, result.root)
    return ("ok", result)


def _script(rng: random.Random, addresses: list[str], n_ops: int) -> list[tuple[Any, ...]]:
    logs = [log_id_for("kakawari/ama"), log_id_for("kakawari/oki")]
    leaves = [rng.randbytes(32) for _ in range(300)]
    ops: list[tuple[Any, ...]] = [
        ("register", 0, addresses[0], log, 1, 0.0, leaves) for log in logs
    ]
    for _ in range(n_ops):
        actor = 0 if rng.random() < 0.6 else rng.randrange(1, 3)
        other = rng.choice(addresses)
        log = rng.choice(logs)
        kind = rng.choice(
            ["register", "add", "remove", "anchor", "anchor", "anchor", "read", "mint", "badge"]
        )
        ops.append((kind, actor, other, log, rng.randrange(1, 65), rng.random(), leaves))
    return ops


def _apply(client: ChainClient, op: tuple[Any, ...]) -> tuple[Any, ...]:
    kind, _, other, log, size, coin, leaves = op

    def tx() -> Any:
        if kind == "register":
            client.register_log(log, other)
        elif kind == "add":
            client.add_anchorer(log, other)
        elif kind == "remove" and other != client.address:
            client.remove_anchorer(log, other)
        elif kind == "anchor":
            old, _root = client.latest(log)
            new = min(old + size % 9, len(leaves))  # mostly growing, sometimes not
            proof = merkle.consistency_proof(old, leaves[:new])
            root = merkle.root_hash(leaves[:new])
            if coin < 0.2 and proof:
                proof = proof[:-1]
            elif coin < 0.4:
                root = bytes(reversed(root))
            return client.anchor(log, new, root, proof)
        elif kind == "read":
            index = int(coin * size)
            path = merkle.inclusion_proof(index, leaves[:size])
            event = client.anchor_event(log, size)
            return (
                client.latest(log),
                client.root_at(log, size),
                None if event is None else (event.size, event.root),
                client.verify_inclusion(log, size, index, leaves[index], path),
                client.log_owner(log),
                client.is_anchorer(log, other),
            )
        elif kind == "mint":
            return client.mint_badge(other, "ama" if coin < 0.8 else "A", leaves[size - 1])
        elif kind == "badge":
            return client.badge(1 + int(coin * 6))
        return None

    return _outcome(tx)


def test_the_fake_behaves_like_the_contracts(chain_env: ChainEnv) -> None:
    rng = random.Random(11)
    addresses = [chain_env.address(i) for i in range(3)]
    real = [chain_env.client(i) for i in range(3)]
    fake_chain = FakeChain(chain_id=chain_env.w3.eth.chain_id)
    fake = [FakeChainClient(fake_chain, a) for a in addresses]
    fake[0].deploy_contracts()
    results = []
    for op in _script(rng, addresses, 120):
        actor = op[1]
        expected, got = _apply(real[actor], op), _apply(fake[actor], op)
        assert got == expected, (op[:5], expected, got)
        results.append(expected[0:2])
    # The script must exercise both acceptance and refusal.
    assert ("ok",) in {r[:1] for r in results} and ("refused",) in {r[:1] for r in results}
    refused = {r[1] for r in results if r[0] == "refused"}
    expected_refusals = {"SizeNotIncreasing", "NotAnchorer", "MalformedProof", "InconsistentRoot"}
    assert expected_refusals <= refused, refused
