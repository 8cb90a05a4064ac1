"""KakawariAnchor and RecognitionBadge on chain, on py-evm and on anvil.

Every on-chain test takes ``chain_env`` and so runs on both backends. Trees, roots and
proofs come from ``ledger.merkle``, the reference the contract must agree with.
"""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3.logs import DISCARD

from ledger import merkle
from ledger.chain import ZERO_HASH, ChainRevertError, load_artifact, log_id_for
from ledger.errors import ProofError
from tests.conftest import REPO, skip_or_fail
from tests.integration.chain_fixtures import (  # noqa: F401 (fixtures)
    ChainEnv,
    anvil_url_fixture,
    chain_env_fixture,
    node_available,
    reverts,
)

LOG = log_id_for("kakawari/ama")
ARTIFACTS = ("KakawariAnchor", "RecognitionBadge")


def leaves(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def registered(env: ChainEnv, log_id: bytes = LOG) -> Any:
    owner = env.client(0)
    owner.register_log(log_id, owner.address)
    return owner


# -- artifacts ---------------------------------------------------------------------


def _source_path(unit: str) -> Any:
    return REPO / unit if unit.startswith("contracts/") else REPO / "node_modules" / unit


@pytest.mark.parametrize("name", ARTIFACTS)
def test_artifact_metadata_matches_every_source_file(name: str) -> None:
    data = json.loads((REPO / "contracts" / "artifacts" / f"{name}.json").read_text())
    metadata = json.loads(data["metadata"])
    package = json.loads((REPO / "package.json").read_text())
    assert data["compiler"]["version"].startswith(package["dependencies"]["solc"] + "+")
    assert metadata["settings"]["evmVersion"] == "cancun"
    assert metadata["settings"]["optimizer"]["enabled"] is True
    if not (REPO / "node_modules" / "@openzeppelin" / "contracts").is_dir():
        skip_or_fail("node_modules missing: run scripts/setup (npm ci)")
    for unit, info in metadata["sources"].items():
        content = _source_path(unit).read_bytes()
        assert "0x" + keccak(content).hex() == info["keccak256"], (
            f"{unit} changed since {name}.json was compiled: run scripts/compile-contracts"
        )


def test_every_source_is_compiled_into_an_artifact() -> None:
    units: set[str] = set()
    for name in ARTIFACTS:
        data = json.loads((REPO / "contracts" / "artifacts" / f"{name}.json").read_text())
        units |= set(json.loads(data["metadata"])["sources"])
    for path in (REPO / "contracts" / "src").glob("*.sol"):
        assert f"contracts/src/{path.name}" in units, f"{path.name} is in no artifact"


def test_recompiling_gives_the_committed_artifacts() -> None:
    if not node_available() or not (REPO / "node_modules" / "solc").is_dir():
        skip_or_fail("node and the npm solc are needed: run scripts/setup")
    result = subprocess.run(
        [str(REPO / "scripts" / "compile-contracts"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_deployed_code_is_the_artifacts_runtime_code(chain_env: ChainEnv) -> None:
    for name, address in (
        ("KakawariAnchor", chain_env.deployment.anchor),
        ("RecognitionBadge", chain_env.deployment.badge),
    ):
        code = chain_env.w3.eth.get_code(address)  # type: ignore[arg-type]
        expected = json.loads((REPO / "contracts" / "artifacts" / f"{name}.json").read_text())
        assert "0x" + bytes(code).hex() == expected["deployedBytecode"]


# -- anchoring ---------------------------------------------------------------------


def test_first_anchor_needs_no_proof_and_emits_anchored(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    tree = leaves(5)
    root = merkle.root_hash(tree)
    receipt = client.anchor(LOG, 5, root, [])
    assert client.latest(LOG) == (5, root)
    assert client.root_at(LOG, 5) == root
    tx = chain_env.w3.eth.get_transaction_receipt(receipt.tx_hash)
    events = client.anchor_contract.events.Anchored().process_receipt(tx, errors=DISCARD)
    assert [(e["args"]["logId"], e["args"]["size"], e["args"]["root"]) for e in events] == [
        (LOG, 5, root)
    ]


def test_first_anchor_with_a_proof_is_malformed(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    tree = leaves(4)
    with reverts("MalformedProof", latestSize=0, size=4):
        client.anchor(LOG, 4, merkle.root_hash(tree), [tree[0]])


def test_valid_extensions_are_accepted_and_every_root_stays_readable(
    chain_env: ChainEnv,
) -> None:
    client = registered(chain_env)
    tree = leaves(300, seed=1)
    sizes = [1, 2, 3, 4, 7, 8, 9, 16, 17, 31, 64, 100, 128, 129, 255, 256, 300]
    old = 0
    for size in sizes:
        proof = merkle.consistency_proof(old, tree[:size])
        receipt = client.anchor(LOG, size, merkle.root_hash(tree[:size]), proof)
        assert receipt.size == size and receipt.gas_used > 21000
        old = size
    assert client.latest(LOG) == (300, merkle.root_hash(tree))
    for size in sizes:
        assert client.root_at(LOG, size) == merkle.root_hash(tree[:size])
    assert client.root_at(LOG, 5) is None
    assert client.root_at(LOG, 301) is None


@pytest.mark.parametrize("size", [5, 3, 0])
def test_smaller_or_equal_size_is_refused(chain_env: ChainEnv, size: int) -> None:
    client = registered(chain_env)
    tree = leaves(5)
    client.anchor(LOG, 5, merkle.root_hash(tree), [])
    with reverts("SizeNotIncreasing", latestSize=5, size=size):
        client.anchor(LOG, size, merkle.root_hash(tree[:size]), [])
    assert client.latest(LOG) == (5, merkle.root_hash(tree))


def test_size_zero_is_refused_on_a_fresh_log(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    with reverts("SizeNotIncreasing", latestSize=0, size=0):
        client.anchor(LOG, 0, merkle.root_hash([]), [])


def test_zero_root_is_refused(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    with reverts("ZeroRoot", logId=LOG):
        client.anchor(LOG, 3, ZERO_HASH, [])


def test_inconsistent_roots_are_refused(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    tree = leaves(20, seed=2)
    client.anchor(LOG, 6, merkle.root_hash(tree[:6]), [])
    # A well-formed proof for the real extension, offered with another root.
    forged = leaves(11, seed=3)
    with reverts("InconsistentRoot", size=11, root=merkle.root_hash(forged)):
        client.anchor(LOG, 11, merkle.root_hash(forged), merkle.consistency_proof(6, tree[:11]))
    # A tree that rewrites history: its own proof is valid, but not from our root.
    rewritten = [*tree[:2], os.urandom(32), *tree[3:11]]
    with reverts("InconsistentRoot", size=11):
        client.anchor(LOG, 11, merkle.root_hash(rewritten), merkle.consistency_proof(6, rewritten))
    # A correct root with one proof element flipped.
    proof = merkle.consistency_proof(6, tree[:11])
    proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    with reverts("InconsistentRoot"):
        client.anchor(LOG, 11, merkle.root_hash(tree[:11]), proof)
    assert client.latest(LOG) == (6, merkle.root_hash(tree[:6]))
    client.anchor(LOG, 11, merkle.root_hash(tree[:11]), merkle.consistency_proof(6, tree[:11]))


def test_malformed_proofs_are_refused(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    tree = leaves(40, seed=4)
    client.anchor(LOG, 13, merkle.root_hash(tree[:13]), [])
    root = merkle.root_hash(tree[:37])
    proof = merkle.consistency_proof(13, tree[:37])
    for bad in ([], proof[:-1], [*proof, proof[-1]], proof[1:]):
        with reverts("MalformedProof", latestSize=13, size=37):
            client.anchor(LOG, 37, root, bad)
    client.anchor(LOG, 37, root, proof)


def test_unknown_sender_is_refused(chain_env: ChainEnv) -> None:
    registered(chain_env)
    stranger = chain_env.client(1)
    with reverts("NotAnchorer", logId=LOG, account=stranger.address):
        stranger.anchor(LOG, 1, leaves(1)[0], [])
    other_log = log_id_for("kakawari/other")
    with reverts("LogNotRegistered", logId=other_log):
        stranger.anchor(other_log, 1, leaves(1)[0], [])


def test_only_the_owner_manages_anchorers(chain_env: ChainEnv) -> None:
    owner = registered(chain_env)
    helper, stranger = chain_env.client(1), chain_env.client(2)
    assert owner.log_owner(LOG) == owner.address
    assert owner.log_owner(log_id_for("kakawari/none")) is None
    with reverts("LogAlreadyRegistered", owner=owner.address):
        stranger.register_log(LOG, stranger.address)
    with reverts("NotLogOwner", sender=stranger.address):
        stranger.add_anchorer(LOG, stranger.address)
    with reverts("NotLogOwner", sender=helper.address):
        helper.remove_anchorer(LOG, owner.address)
    with reverts("ZeroAnchorer"):
        owner.add_anchorer(LOG, "0x" + "00" * 20)
    owner.add_anchorer(LOG, helper.address)
    with reverts("AlreadyAnchorer", anchorer=helper.address):
        owner.add_anchorer(LOG, helper.address)
    assert owner.is_anchorer(LOG, helper.address)
    tree = leaves(3)
    helper.anchor(LOG, 2, merkle.root_hash(tree[:2]), [])
    owner.remove_anchorer(LOG, helper.address)
    assert not owner.is_anchorer(LOG, helper.address)
    with reverts("NotAnchorer", account=helper.address):
        helper.anchor(LOG, 3, merkle.root_hash(tree), merkle.consistency_proof(2, tree))
    with reverts("NotAnchorer", account=stranger.address):
        owner.remove_anchorer(LOG, stranger.address)
    owner.anchor(LOG, 3, merkle.root_hash(tree), merkle.consistency_proof(2, tree))


def test_consistency_check_agrees_with_python_on_random_pairs(chain_env: ChainEnv) -> None:
    rng = random.Random(5)
    owner = chain_env.client(0)
    for case in range(24):
        log_id = log_id_for(f"kakawari/pair-{case}")
        owner.register_log(log_id, owner.address)
        new = rng.randint(2, 70)
        old = rng.randint(1, new - 1)
        tree = leaves(new, seed=100 + case)
        old_root, new_root = merkle.root_hash(tree[:old]), merkle.root_hash(tree)
        owner.anchor(log_id, old, old_root, [])
        proof = merkle.consistency_proof(old, tree)
        mutation = rng.choice(["none", "flip", "drop", "add", "root"])
        if mutation == "flip":
            i = rng.randrange(len(proof))
            proof[i] = bytes([proof[i][0] ^ 0x80]) + proof[i][1:]
        elif mutation == "drop":
            proof.pop(rng.randrange(len(proof)))
        elif mutation == "add":
            proof.insert(rng.randrange(len(proof) + 1), rng.randbytes(32))
        elif mutation == "root":
            new_root = rng.randbytes(32)
        try:
            merkle.verify_consistency(old, new, old_root, new_root, proof)
            expected = True
        except ProofError:
            expected = False
        try:
            owner.anchor(log_id, new, new_root, proof)
            accepted = True
        except ChainRevertError as exc:
            assert exc.error in ("MalformedProof", "InconsistentRoot"), str(exc)
            accepted = False
        assert accepted == expected, (old, new, mutation)


# -- inclusion ---------------------------------------------------------------------


def _mutations(rng: random.Random, index: int, size: int, proof: list[bytes]) -> list[Any]:
    """(index, proof) pairs: the valid one and ways of getting it wrong."""
    cases: list[Any] = [(index, proof)]
    if proof:
        flipped = list(proof)
        i = rng.randrange(len(flipped))
        flipped[i] = bytes([flipped[i][0] ^ 1]) + flipped[i][1:]
        cases += [(index, flipped), (index, proof[:-1]), (index, list(reversed(proof)))]
    cases += [(index, [*proof, rng.randbytes(32)]), ((index + 1) % size, proof), (size, proof)]
    return cases


def test_verify_inclusion_agrees_with_python_on_random_trees(chain_env: ChainEnv) -> None:
    rng = random.Random(6)
    client = registered(chain_env)
    tree = leaves(200, seed=7)
    old = 0
    for size in sorted(rng.sample(range(1, 201), 6)):
        root = merkle.root_hash(tree[:size])
        client.anchor(LOG, size, root, merkle.consistency_proof(old, tree[:size]))
        old = size
        for index in rng.sample(range(size), min(size, 4)):
            proof = merkle.inclusion_proof(index, tree[:size])
            for idx, path in _mutations(rng, index, size, proof):
                try:
                    merkle.verify_inclusion(tree[index], idx, size, path, root)
                    expected = True
                except ProofError:
                    expected = False
                got = client.verify_inclusion(LOG, size, idx, tree[index], path)
                assert got == expected, (size, index, idx, len(path))


def test_verify_inclusion_against_a_size_never_anchored_is_false(chain_env: ChainEnv) -> None:
    client = registered(chain_env)
    tree = leaves(8)
    client.anchor(LOG, 8, merkle.root_hash(tree), [])
    assert client.verify_inclusion(LOG, 8, 2, tree[2], merkle.inclusion_proof(2, tree))
    # Size 6 was never anchored: a valid proof for it still answers false, no revert.
    assert not client.verify_inclusion(LOG, 6, 2, tree[2], merkle.inclusion_proof(2, tree[:6]))
    assert not client.verify_inclusion(
        log_id_for("kakawari/none"), 8, 2, tree[2], merkle.inclusion_proof(2, tree)
    )


# -- badge -------------------------------------------------------------------------

ERC165, ERC721, ERC721_METADATA, ERC5192 = "01ffc9a7", "80ac58cd", "5b5e139f", "b45a3c0e"


def _mint(env: ChainEnv, to: str, region: str = "ama", leaf: bytes | None = None) -> Any:
    minter = env.client(0)
    leaf = leaf or os.urandom(32)
    fn = minter.badge_contract.functions.mint(to, region, leaf)
    return minter.transact("mint", fn), leaf


def test_badge_mint_is_locked_and_readable(chain_env: ChainEnv) -> None:
    member = chain_env.address(1)
    receipt, leaf = _mint(chain_env, member)
    badge = chain_env.client(0).badge_contract
    (minted,) = badge.events.BadgeMinted().process_receipt(receipt, errors=DISCARD)
    token = minted["args"]["tokenId"]
    assert (minted["args"]["to"], minted["args"]["region"], minted["args"]["leafHash"]) == (
        member,
        "ama",
        leaf,
    )
    locked_events = badge.events.Locked().process_receipt(receipt, errors=DISCARD)
    assert [e["args"]["tokenId"] for e in locked_events] == [token]
    f = badge.functions
    assert f.locked(token).call() is True
    assert f.ownerOf(token).call() == member and f.balanceOf(member).call() == 1
    assert f.regionOf(token).call() == "ama" and f.leafHashOf(token).call() == leaf
    assert f.tokenOfLeaf(leaf).call() == token
    uri = f.tokenURI(token).call()
    prefix = "data:application/json;base64,"
    assert uri.startswith(prefix)
    meta = json.loads(base64.b64decode(uri[len(prefix) :]))
    attributes = {a["trait_type"]: a["value"] for a in meta["attributes"]}
    assert attributes == {"region": "ama", "origin": "kakawari/ama", "leafHash": "0x" + leaf.hex()}
    assert meta["name"] == f"Kakawari recognition #{token}"
    assert chain_env.client(0).badge(token).leaf_hash == leaf


def test_only_the_minter_mints(chain_env: ChainEnv) -> None:
    stranger = chain_env.client(1)
    with reverts("AccessControlUnauthorizedAccount", account=stranger.address):
        stranger.mint_badge(stranger.address, "ama", os.urandom(32))
    assert chain_env.client(0).mint_badge(stranger.address, "ama", os.urandom(32)) == 1


def test_badge_cannot_be_transferred_or_approved(chain_env: ChainEnv) -> None:
    holder, other = chain_env.client(1), chain_env.address(2)
    token = chain_env.client(0).mint_badge(holder.address, "ama", os.urandom(32))
    f = holder.badge_contract.functions
    attempts = [
        f.transferFrom(holder.address, other, token),
        f.safeTransferFrom(holder.address, other, token),
        f.approve(other, token),
        f.setApprovalForAll(other, True),
    ]
    for fn in attempts:
        with reverts("Soulbound"):
            holder.transact("try a transfer", fn)
    admin = chain_env.client(0)
    with reverts("Soulbound"):
        admin.transact(
            "transfer as admin",
            admin.badge_contract.functions.transferFrom(holder.address, other, token),
        )
    assert f.ownerOf(token).call() == holder.address
    assert f.getApproved(token).call() == "0x" + "00" * 20


def test_badge_supports_erc165_erc721_and_erc5192(chain_env: ChainEnv) -> None:
    f = chain_env.client(0).badge_contract.functions
    for interface in (ERC165, ERC721, ERC721_METADATA, ERC5192):
        assert f.supportsInterface(bytes.fromhex(interface)).call() is True, interface
    assert f.supportsInterface(bytes.fromhex("ffffffff")).call() is False


def test_badge_mint_rules_and_revocation(chain_env: ChainEnv) -> None:
    minter, member = chain_env.client(0), chain_env.address(1)
    leaf = os.urandom(32)
    for region in ("", "-ama", "ama-", "Ama", "a" * 33, "ama_x", "海士"):
        with reverts("InvalidRegion"):
            minter.mint_badge(member, region, leaf)
    with reverts("ZeroLeafHash"):
        minter.mint_badge(member, "ama", ZERO_HASH)
    token = minter.mint_badge(member, "a" * 32, leaf)
    with reverts("AlreadyMinted", leafHash=leaf, tokenId=token):
        minter.mint_badge(member, "ama", leaf)
    with reverts("ERC721InvalidReceiver"):
        minter.mint_badge("0x" + "00" * 20, "ama", os.urandom(32))
    with reverts("AccessControlUnauthorizedAccount"):
        chain_env.client(1).transact(
            "revoke", chain_env.client(1).badge_contract.functions.revoke(token)
        )
    minter.transact("revoke", minter.badge_contract.functions.revoke(token))
    with reverts("ERC721NonexistentToken", tokenId=token):
        minter.badge(token)
    with reverts("ERC721NonexistentToken", tokenId=token):
        minter.call("locked", minter.badge_contract.functions.locked(token))
    assert minter.mint_badge(member, "ama", leaf) == token + 1


def test_artifacts_load_with_their_abi() -> None:
    names = {item.get("name") for item in load_artifact("KakawariAnchor").abi}
    assert {"registerLog", "anchor", "latest", "rootAt", "verifyInclusion"} <= names
    assert {"InconsistentRoot", "SizeNotIncreasing", "MalformedProof", "NotAnchorer"} <= names
