"""FakeChainClient: the contracts' rules, in memory (no EVM).

``tests/integration/test_chain_client.py`` runs the same random scenarios against the
real contracts and this fake and requires identical outcomes.
"""

from __future__ import annotations

import os
import random
from contextlib import AbstractContextManager
from typing import Any

import pytest

from ledger import merkle
from ledger.chain import ZERO_HASH, ChainRevertError, log_id_for
from ledger.chain_fake import FakeChain, FakeChainClient, _consistency_shape_ok
from ledger.errors import ChainError

LOG = log_id_for("kakawari/ama")
A, B, C = (f"0x{i:040x}" for i in (0xA, 0xB, 0xC))


def tree(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def refused(error: str) -> AbstractContextManager[Any]:
    return pytest.raises(ChainRevertError, match=rf"\b{error}\(")


@pytest.fixture
def owner() -> FakeChainClient:
    client = FakeChainClient(sender=A)
    client.register_log(LOG, client.address)
    return client


def test_log_id_is_keccak_of_the_origin() -> None:
    assert LOG.hex() == "7485266f509906c4eadc5652d6802f76fb9489aba65ba0ab1915180e4708f42f"


@pytest.mark.parametrize("second", range(2, 40))
def test_consistency_shape_matches_rfc9162_proof_lengths(second: int) -> None:
    leaves = tree(second)
    for first in range(1, second):
        n = len(merkle.consistency_proof(first, leaves))
        assert _consistency_shape_ok(first, second, n), (first, second)
        for wrong in {0, n - 1, n + 1} - {n}:
            assert not _consistency_shape_ok(first, second, wrong), (first, second, wrong)


def test_anchor_rules(owner: FakeChainClient) -> None:
    t = tree(40)
    assert owner.latest(LOG) == (0, ZERO_HASH)
    with refused("MalformedProof"):
        owner.anchor(LOG, 4, merkle.root_hash(t[:4]), [t[0]])
    receipt = owner.anchor(LOG, 5, merkle.root_hash(t[:5]), [])
    assert (receipt.size, receipt.root, receipt.chain_id) == (5, merkle.root_hash(t[:5]), 1337)
    for size in (5, 4, 0):
        with refused("SizeNotIncreasing"):
            owner.anchor(LOG, size, merkle.root_hash(t[:size]), [])
    with refused("ZeroRoot"):
        owner.anchor(LOG, 6, ZERO_HASH, merkle.consistency_proof(5, t[:6]))
    proof = merkle.consistency_proof(5, t[:17])
    for bad in ([], proof[:-1], [*proof, proof[0]]):
        with refused("MalformedProof"):
            owner.anchor(LOG, 17, merkle.root_hash(t[:17]), bad)
    with refused("InconsistentRoot"):
        owner.anchor(LOG, 17, os.urandom(32), proof)
    owner.anchor(LOG, 17, merkle.root_hash(t[:17]), proof)
    assert owner.latest(LOG) == (17, merkle.root_hash(t[:17]))
    assert owner.root_at(LOG, 5) == merkle.root_hash(t[:5])
    assert owner.root_at(LOG, 6) is None


def test_owner_and_anchorer_rules(owner: FakeChainClient) -> None:
    b, c = owner.as_sender(B), owner.as_sender(C)
    t = tree(3)
    with refused("LogAlreadyRegistered"):
        b.register_log(LOG, B)
    with refused("NotLogOwner"):
        b.add_anchorer(LOG, B)
    with refused("NotAnchorer"):
        b.anchor(LOG, 1, t[0], [])
    with refused("LogNotRegistered"):
        b.anchor(log_id_for("kakawari/x"), 1, t[0], [])
    with refused("ZeroAnchorer"):
        owner.add_anchorer(LOG, "0x" + "00" * 20)
    owner.add_anchorer(LOG, B)
    with refused("AlreadyAnchorer"):
        owner.add_anchorer(LOG, B)
    b.anchor(LOG, 1, merkle.root_hash(t[:1]), [])
    with refused("NotLogOwner"):
        b.remove_anchorer(LOG, B)
    owner.remove_anchorer(LOG, B)
    with refused("NotAnchorer"):
        b.anchor(LOG, 3, merkle.root_hash(t), merkle.consistency_proof(1, t))
    with refused("NotAnchorer"):
        owner.remove_anchorer(LOG, C)
    assert owner.log_owner(LOG) == owner.address and c.log_owner(log_id_for("x")) is None


def test_inclusion(owner: FakeChainClient) -> None:
    t = tree(9)
    owner.anchor(LOG, 9, merkle.root_hash(t), [])
    assert owner.verify_inclusion(LOG, 9, 4, t[4], merkle.inclusion_proof(4, t))
    assert not owner.verify_inclusion(LOG, 9, 5, t[4], merkle.inclusion_proof(4, t))
    assert not owner.verify_inclusion(LOG, 7, 4, t[4], merkle.inclusion_proof(4, t[:7]))


def test_badge_rules(owner: FakeChainClient) -> None:
    leaf = os.urandom(32)
    with refused("AccessControlUnauthorizedAccount"):
        owner.as_sender(B).mint_badge(B, "ama", leaf)
    with refused("InvalidRegion"):
        owner.mint_badge(B, "Ama", leaf)
    with refused("ZeroLeafHash"):
        owner.mint_badge(B, "ama", ZERO_HASH)
    token = owner.mint_badge(B, "ama", leaf)
    assert owner.badge(token).region == "ama" and owner.badge(token).leaf_hash == leaf
    with refused("AlreadyMinted"):
        owner.mint_badge(C, "ama", leaf)
    with refused("ERC721NonexistentToken"):
        owner.badge(token + 1)


def test_bad_arguments_raise_chain_error(owner: FakeChainClient) -> None:
    for call in (
        lambda: owner.anchor(b"short", 1, os.urandom(32), []),
        lambda: owner.anchor(LOG, -1, os.urandom(32), []),
        lambda: owner.anchor(LOG, 1, os.urandom(32), [b"x"]),
        lambda: owner.add_anchorer(LOG, "not an address"),
    ):
        with pytest.raises(ChainError):
            call()


def test_clients_on_one_chain_share_state() -> None:
    chain = FakeChain()
    a = FakeChainClient(chain, A)
    with pytest.raises(ChainError, match="no anchor contract"):
        a.latest(LOG)
    deployment = a.deploy_contracts()
    assert deployment.chain_id == chain.chain_id
    a.register_log(LOG, B)
    assert FakeChainClient(chain, C).is_anchorer(LOG, B)


def test_anchor_event_returns_the_receipt_of_an_anchored_size(owner: FakeChainClient) -> None:
    t = tree(9)
    first = owner.anchor(LOG, 4, merkle.root_hash(t[:4]), [])
    second = owner.anchor(LOG, 9, merkle.root_hash(t), merkle.consistency_proof(4, t))
    reader = owner.as_sender(B)
    assert reader.anchor_event(LOG, 4) == first
    assert reader.anchor_event(LOG, 9) == second
    assert first.tx_hash != second.tx_hash and first.block_number < second.block_number
    assert reader.anchor_event(LOG, 5) is None
    assert reader.anchor_event(log_id_for("kakawari/oki"), 4) is None
    assert reader.anchor_address == first.contract
    assert FakeChainClient(FakeChain(), A).anchor_address is None
