"""Receipts and bundles against the real anchor contract on py-evm: the contract's
verifyInclusion accepts a receipt's proofs as they are, an altered receipt is refused
offline and on chain, and a bundle's anchors are checked with rootAt."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.receipt import verify_receipt
from ledger.chain import log_id_for
from ledger.entry import origin_for
from ledger.errors import VerificationError
from service.audit.receipts import claim_receipt
from service.audit.verify import audit_bundle
from service.chain import anchor_region
from tests.integration.audit_fixtures import claim_fields, claim_id, cli_env, export_to, run
from tests.integration.chain_fixtures import (
    ChainEnv,
    anvil_url_fixture,  # noqa: F401  (fixture)
    make_env,
)
from tests.integration.service_fixtures import World, database, world

pytestmark = pytest.mark.chain


@pytest.fixture
def anchored(tmp_path: Path) -> Iterator[tuple[World, ChainEnv, str, Any]]:
    env = make_env("pyevm")
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        alice, vera = w.person(), w.person()
        w.domain.submit(w.region, [w.admin.sign("Join", displayName="admin"),
                                   alice.sign("Join", displayName="花子"),
                                   vera.sign("Join", displayName="Vera")])
        w.domain.submit(w.region, [w.admin.sign("Role", member=vera.address, role="verifier",
                                                granted=True)])
        claim = alice.sign("Claim", **claim_fields(w, title="棚田の田植え", minutes=120))
        w.domain.submit(w.region, [claim])
        w.domain.submit(w.region, [vera.sign("Review", claim=claim_id(w, claim), approve=True,
                                             reason="写真で確認")])
        outcome = anchor_region(w.regions, w.domain, env.client(0), w.region)
        assert outcome.status == "anchored"
        yield w, env, claim_id(w, claim), alice


def reader(env: ChainEnv) -> Any:
    client = env.client(0)
    return lambda chain_id, contract: client if chain_id == client.chain_id else None


def test_a_receipt_verifies_offline_and_on_chain(
        anchored: tuple[World, ChainEnv, str, Any]) -> None:
    w, env, claim, alice = anchored
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        receipt = claim_receipt(w.regions.store, conn, w.region, claim, alice.address)
    assert receipt["anchor"] is not None and receipt["points"] == 25
    assert verify_receipt(receipt).claim == claim
    assert verify_receipt(receipt, client_for=reader(env)).checked_on_chain
    # the contract itself takes each proof exactly as the receipt carries it
    client, log_id = env.client(1), log_id_for(origin_for(w.region))
    for item in receipt["entries"]:
        proof = [base64.b64decode(p) for p in item["proof"]]
        leaf = base64.b64decode(item["leafHash"])
        assert client.verify_inclusion(log_id, receipt["size"], item["seq"], leaf, proof)


def test_an_altered_receipt_fails_offline_and_on_chain(
        anchored: tuple[World, ChainEnv, str, Any]) -> None:
    w, env, claim, alice = anchored
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        receipt = claim_receipt(w.regions.store, conn, w.region, claim, alice.address)
    altered = copy.deepcopy(receipt)
    item = altered["entries"][-1]
    item["proof"][0] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(VerificationError, match="not in the signed tree") as info:
        verify_receipt(altered)
    assert info.value.seq == item["seq"]
    proof = [base64.b64decode(p) for p in item["proof"]]
    assert not env.client(0).verify_inclusion(
        log_id_for(origin_for(w.region)), altered["size"], item["seq"],
        base64.b64decode(item["leafHash"]), proof)
    inflated = copy.deepcopy(receipt)
    inflated["points"] = 250
    with pytest.raises(VerificationError, match="no recognition"):
        verify_receipt(inflated, client_for=reader(env))


def test_a_bundle_checks_its_anchors_on_chain(
        anchored: tuple[World, ChainEnv, str, Any], tmp_path: Path) -> None:
    w, env, _, _ = anchored
    report = audit_bundle(export_to(w, tmp_path / "b.zip"), client_for=reader(env))
    assert report.log.anchors == 1 and report.log.anchors_on_chain == 1
    [(_, size, root)] = report.log.chain_latest
    assert root == w.regions.store.root(origin_for(w.region), size)


@pytest.mark.anvil
def test_the_commands_check_on_chain_over_json_rpc(anvil_url: str, tmp_path: Path) -> None:
    env = make_env("anvil", anvil_url)
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        alice = w.person()
        w.domain.submit(w.region, [alice.sign("Join", displayName="花子")])
        claim = alice.sign("Claim", **claim_fields(w))
        w.domain.submit(w.region, [claim])
        anchor_region(w.regions, w.domain, env.client(0), w.region)
        cli = cli_env(w)
        bundle, receipt = tmp_path / "b.zip", tmp_path / "r.json"
        run(cli, "export", "--region", w.region, "--out", str(bundle))
        run(cli, "receipt", "--region", w.region, "--claim", claim_id(w, claim), "--out",
            str(receipt))
    out = run(cli, "audit", "verify", str(bundle), "--rpc", anvil_url).stdout
    assert "1 checked on chain" in out and "chain: latest anchor" in out
    out = run(cli, "audit", "verify-receipt", str(receipt), "--rpc", anvil_url).stdout
    assert "(checked on chain)" in out
    run(cli, "audit", "verify-receipt", str(receipt))  # offline, the same receipt verifies
