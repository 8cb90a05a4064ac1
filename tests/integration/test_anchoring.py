"""Anchoring end to end.

- The flow (``service.chain.anchor_region`` over ``ledger.anchoring``) with a
  Web3ChainClient on py-evm and on anvil, on a SQL store with the recognition domain.
- The commands against a real anvil node (py-evm can't be reached over ``--rpc``):
  ``init`` + ``demo seed`` + ``chain deploy`` + ``anchor`` → ``latest`` on chain equals
  the root of the signed checkpoint; more activity and ``anchor`` again (consistency
  proof) → ``latest`` follows; ``anchors`` lists and checks both; ``verify`` and
  ``rebuild --check`` still pass. Then a crash between transaction and record, a fork,
  an unreachable node, and an account that may not anchor the log.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.providers import HTTPProvider

from ledger.anchoring import AnchoringError, check_anchors, recorded_anchors
from ledger.chain import Web3ChainClient, log_id_for
from ledger.checkpoint import open_checkpoint
from ledger.entry import origin_for
from ledger.note import parse_vkey
from service.chain import anchor_region
from service.cli import main
from service.domain import Domain, snapshot
from tests.integration.chain_fixtures import (  # noqa: F401 (fixtures)
    ChainEnv,
    _free_port,
    anvil_url_fixture,
    chain_env_fixture,
)
from tests.integration.databases import SQL_ENGINES, database
from tests.integration.service_fixtures import world

ORIGIN = "kakawari/ama"
LOG_ID = log_id_for(ORIGIN)


# -- the flow, on py-evm and anvil ---------------------------------------------------------


def test_anchor_region_on_a_real_chain(chain_env: ChainEnv, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, f"sqlite:///{tmp_path / 'svc.db'}") as w:
        people = [w.person() for _ in range(4)]
        w.domain.submit("ama", [p.sign("Join", displayName=f"p{i}") for i, p in
                                enumerate(people)])
        client = chain_env.client(0)
        store = w.regions.store
        signed = store.latest_checkpoint(ORIGIN)
        assert signed is not None and signed.size == 5

        first = anchor_region(w.regions, w.domain, client, "ama")
        assert (first.status, first.registered, first.anchor.size) == ("anchored", True, 5)
        assert client.latest(LOG_ID) == (signed.size, signed.root)
        assert first.anchor.contract == chain_env.deployment.anchor
        assert first.gas_used is not None and first.gas_used > 21_000

        # more activity; the recording of the next anchor fails once (a crash)
        w.domain.submit("ama", [p.sign("Profile", member=p.address, displayName="x",
                                       resident=True) for p in people])
        size_before = store.log_info(ORIGIN).size
        original = Domain.service_append

        def crash(self: Domain, region: str, type_: str, *a: Any, **k: Any) -> Any:
            raise RuntimeError("the database went away")

        monkeypatch.setattr(Domain, "service_append", crash)
        with pytest.raises(AnchoringError, match="recording it in the log failed"):
            anchor_region(w.regions, w.domain, client, "ama")
        assert store.log_info(ORIGIN).size == size_before  # nothing half-recorded
        on_chain = client.latest(LOG_ID)
        assert on_chain == (size_before, store.root(ORIGIN, size_before))

        # the next run, by a new client that never saw the receipt, records it
        monkeypatch.setattr(Domain, "service_append", original)
        later = chain_env.client(0, from_block=chain_env.deployment.block, log_window=3)
        nonce = chain_env.w3.eth.get_transaction_count(client.address)  # type: ignore[arg-type]
        second = anchor_region(w.regions, w.domain, later, "ama")
        assert second.status == "recovered" and second.anchor.size == size_before
        assert chain_env.w3.eth.get_transaction_count(client.address) == nonce  # type: ignore[arg-type]
        assert anchor_region(w.regions, w.domain, later, "ama").status == "already-anchored"

        checks = list(check_anchors(store, ORIGIN, lambda cid, addr: later))
        assert [(c.record.size, c.ok, c.checked_on_chain) for c in checks] == [
            (5, True, True), (size_before, True, True)]
        engine = store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            live = snapshot(conn, "ama")
        w.domain.rebuild("ama")
        with engine.connect() as conn:
            assert snapshot(conn, "ama") == live  # Anchor entries rebuild like live


# -- the commands, on anvil ---------------------------------------------------------------


def _funded_key(url: str) -> str:
    key = "0x" + os.urandom(32).hex()
    w3 = Web3(HTTPProvider(url))
    w3.provider.make_request(  # type: ignore[arg-type]
        "anvil_setBalance", [Account.from_key(key).address, hex(10**22)])
    return key


@pytest.fixture(params=SQL_ENGINES)
def env(request: pytest.FixtureRequest, tmp_path: Path, anvil_url: str
        ) -> Iterator[dict[str, str]]:
    with database(request.param, tmp_path) as url:
        yield {
            "KAKAWARI_DATA_DIR": str(tmp_path / "data"),
            "KAKAWARI_DATABASE_URL": url,
            "KAKAWARI_PASSPHRASE": "correct horse battery staple",
            "KAKAWARI_SCRYPT_N": "1024",
            "KAKAWARI_CHAIN_PRIVATE_KEY": _funded_key(anvil_url),
            "KAKAWARI_CHAIN_RPC_URL": "",
        }


def run(env: dict[str, str], *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def signed_checkpoint(env: dict[str, str]) -> Any:
    show = json.loads(run(env, "region", "show", "ama", "--json").stdout)
    note = run(env, "checkpoint", "--region", "ama").stdout
    return open_checkpoint(note, parse_vkey(show["vkey"]), ORIGIN)


def chain_client(url: str, env: dict[str, str], anchor: str) -> Web3ChainClient:
    return Web3ChainClient(Web3(HTTPProvider(url)), env["KAKAWARI_CHAIN_PRIVATE_KEY"], anchor)


@pytest.mark.anvil
def test_deploy_anchor_extend_list_verify(env: dict[str, str], anvil_url: str) -> None:
    run(env, "init", "--region", "ama", "--name", "海士町")
    run(env, "demo", "seed", "--region", "ama", "--members", "6", "--claims", "8")

    # no chain configured: a clear message, exit 3, nothing else affected
    none = run(env, "anchor", "--region", "ama", code=3).stderr
    assert "no chain configured" in none and "KAKAWARI_CHAIN_RPC_URL" in none
    assert "KAKAWARI_CHAIN_PRIVATE_KEY" in none
    assert "development chain" in run(env, "anchor", "--region", "ama", "--rpc", "dev",
                                      code=3).stderr

    deployed = json.loads(run(env, "chain", "deploy", "--rpc", anvil_url, "--json").stdout)
    record_file = Path(env["KAKAWARI_DATA_DIR"], "deployments", "31337.json")
    assert deployed["record"] == str(record_file) and deployed["development"] is True
    record = json.loads(record_file.read_text())
    assert record["chainId"] == deployed["chainId"] == 31337
    anchor_address = record["contracts"]["KakawariAnchor"]["address"]
    assert anchor_address == deployed["anchor"]
    assert record["contracts"]["RecognitionBadge"]["address"] == deployed["badge"]
    code = Web3(HTTPProvider(anvil_url)).eth.get_code(anchor_address)
    assert record["contracts"]["KakawariAnchor"]["deployedBytecodeKeccak256"] == \
        "0x" + keccak(bytes(code)).hex()
    again = run(env, "chain", "deploy", "--rpc", anvil_url, code=3).stderr
    assert "already deployed" in again and "--replace" in again

    env = {**env, "KAKAWARI_CHAIN_RPC_URL": anvil_url}
    first_cp = signed_checkpoint(env)
    first = json.loads(run(env, "anchor", "--region", "ama", "--json").stdout)
    assert (first["status"], first["registered"]) == ("anchored", True)
    assert (first["size"], first["root"]) == (first_cp.size, "0x" + first_cp.root.hex())
    assert first["seq"] == first_cp.size and first["contract"] == anchor_address
    chain = chain_client(anvil_url, env, anchor_address)
    assert chain.latest(LOG_ID) == (first_cp.size, first_cp.root)
    assert json.loads(record_file.read_text())["logs"][ORIGIN]["owner"] == chain.address
    assert json.loads(run(env, "anchor", "--region", "ama", "--json").stdout)["status"] == \
        "already-anchored"

    run(env, "demo", "seed", "--region", "ama", "--members", "3", "--claims", "4")
    second_cp = signed_checkpoint(env)
    assert second_cp.size > first_cp.size + 1
    out = run(env, "anchor", "--region", "ama").stdout
    assert f"anchored {ORIGIN} at size {second_cp.size}" in out
    for label in ("chain id:  31337", f"contract:  {anchor_address}", "tx hash:   0x",
                  "block:", f"size:      {second_cp.size}",
                  f"root:      0x{second_cp.root.hex()}", "gas:"):
        assert label in out, label
    assert chain.latest(LOG_ID) == (second_cp.size, second_cp.root)
    assert chain.root_at(LOG_ID, first_cp.size) == first_cp.root

    listed = json.loads(run(env, "anchors", "--region", "ama", "--json").stdout)
    assert listed["ok"] is True
    assert [(a["seq"], a["size"], a["ok"], a["checkedOnChain"]) for a in listed["anchors"]] == [
        (first_cp.size, first_cp.size, True, True), (second_cp.size, second_cp.size, True, True)]
    assert listed["chain"]["size"] == second_cp.size
    assert listed["chain"]["recordedAt"] == second_cp.size
    text = run(env, "anchors", "--region", "ama").stdout
    assert "2 anchors, 0 mismatched" in text and text.count(": ok") == 2
    assert "2 anchors, 0 mismatched" in run(env, "anchors", "--region", "ama", "--offline").stdout

    assert "ok:" in run(env, "verify", "--region", "ama").stdout
    assert "identical" in run(env, "rebuild", "--region", "ama", "--check").stdout


@pytest.mark.anvil
def test_a_crash_after_the_transaction_is_recorded_by_the_next_run(
    env: dict[str, str], anvil_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**env, "KAKAWARI_CHAIN_RPC_URL": anvil_url}
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "demo", "seed", "--region", "ama", "--members", "4", "--claims", "3")
    run(env, "chain", "deploy")
    cp = signed_checkpoint(env)
    original = Domain.service_append

    def crash(self: Domain, region: str, type_: str, *a: Any, **k: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Domain, "service_append", crash)
    err = run(env, "anchor", "--region", "ama", code=3).stderr
    assert "is on chain, but recording it in the log failed" in err and "disk full" in err
    assert signed_checkpoint(env).size == cp.size
    monkeypatch.setattr(Domain, "service_append", original)
    out = run(env, "anchor", "--region", "ama").stdout
    assert "recorded an anchor that was on chain but not in the log" in out
    assert "gas:       - (no transaction sent)" in out
    listed = json.loads(run(env, "anchors", "--region", "ama", "--json").stdout)
    assert [(a["size"], a["ok"]) for a in listed["anchors"]] == [(cp.size, True)]


@pytest.mark.anvil
def test_a_forked_log_is_refused_and_nothing_is_sent(
    env: dict[str, str], anvil_url: str, tmp_path: Path
) -> None:
    env = {**env, "KAKAWARI_CHAIN_RPC_URL": anvil_url}
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "demo", "seed", "--region", "ama", "--members", "4", "--claims", "3")
    run(env, "chain", "deploy")
    run(env, "anchor", "--region", "ama")
    anchored = json.loads(run(env, "anchors", "--region", "ama", "--json").stdout)["chain"]

    # another service with its own log for the same region id, on the same contract
    other = {**env, "KAKAWARI_DATA_DIR": str(tmp_path / "other"),
             "KAKAWARI_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    run(other, "init", "--region", "ama", "--name", "Ama")
    run(other, "demo", "seed", "--region", "ama", "--members", "9", "--claims", "9")
    records = Path(other["KAKAWARI_DATA_DIR"], "deployments")
    records.mkdir()
    (records / "31337.json").write_text(
        Path(env["KAKAWARI_DATA_DIR"], "deployments", "31337.json").read_text())
    size = signed_checkpoint(other).size
    fork = run(other, "anchor", "--region", "ama", code=1).stderr
    assert "forked" in fork and "Nothing was sent" in fork
    assert signed_checkpoint(other).size == size  # nothing recorded
    listed = json.loads(run(other, "anchors", "--region", "ama", "--json", code=1).stdout)
    assert listed["chain"]["forked"] is True and listed["ok"] is False
    after = json.loads(run(env, "anchors", "--region", "ama", "--json").stdout)["chain"]
    assert after == anchored  # the chain did not move


@pytest.mark.anvil
def test_an_account_that_may_not_anchor_gets_a_clear_error(
    env: dict[str, str], anvil_url: str
) -> None:
    env = {**env, "KAKAWARI_CHAIN_RPC_URL": anvil_url}
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "chain", "deploy")
    record = json.loads(Path(env["KAKAWARI_DATA_DIR"], "deployments", "31337.json").read_text())
    owner_key = _funded_key(anvil_url)
    owner = chain_client(anvil_url, {"KAKAWARI_CHAIN_PRIVATE_KEY": owner_key},
                         record["contracts"]["KakawariAnchor"]["address"])
    owner.register_log(LOG_ID, owner.address)  # somebody else registered it first
    size = signed_checkpoint(env).size
    err = run(env, "anchor", "--region", "ama", code=3).stderr
    assert f"registered on chain 31337 by {owner.address}" in err
    assert "not one of its anchorers" in err and "addAnchorer" in err
    assert signed_checkpoint(env).size == size
    owner.add_anchorer(LOG_ID, Account.from_key(env["KAKAWARI_CHAIN_PRIVATE_KEY"]).address)
    out = json.loads(run(env, "anchor", "--region", "ama", "--json").stdout)
    assert (out["status"], out["registered"]) == ("anchored", False)


@pytest.mark.anvil
def test_an_unreachable_node_records_nothing(env: dict[str, str], anvil_url: str) -> None:
    run(env, "init", "--region", "ama", "--name", "Ama")
    run(env, "chain", "deploy", "--rpc", anvil_url)
    size = signed_checkpoint(env).size
    dead = f"http://127.0.0.1:{_free_port()}"
    err = run(env, "anchor", "--region", "ama", "--rpc", dead, code=3).stderr
    assert "did not answer after 5 attempts" in err
    assert signed_checkpoint(env).size == size
    assert "no anchors recorded" in run(env, "anchors", "--region", "ama", "--offline").stdout


@pytest.mark.anvil
def test_the_key_can_come_from_a_keystore(env: dict[str, str], anvil_url: str,
                                          tmp_path: Path) -> None:
    key = env["KAKAWARI_CHAIN_PRIVATE_KEY"]
    keystore = tmp_path / "deployer.json"
    sealed = Account.encrypt(key, env["KAKAWARI_PASSPHRASE"], kdf="pbkdf2", iterations=1000)
    keystore.write_text(json.dumps(sealed))
    ks_env = {**env, "KAKAWARI_CHAIN_PRIVATE_KEY": "", "KAKAWARI_CHAIN_KEYSTORE": str(keystore)}
    ks_env.pop("KAKAWARI_CHAIN_PRIVATE_KEY")
    out = json.loads(run(ks_env, "chain", "deploy", "--rpc", anvil_url, "--json").stdout)
    assert out["deployer"] == Account.from_key(key).address
    wrong = {**ks_env, "KAKAWARI_PASSPHRASE": "wrong"}
    err = run(wrong, "chain", "deploy", "--rpc", anvil_url, "--replace", code=3).stderr
    assert "can't be unlocked with the key-encryption passphrase" in err
    nokey = {k: v for k, v in ks_env.items() if k != "KAKAWARI_CHAIN_KEYSTORE"}
    assert "no account to send transactions" in run(
        nokey, "chain", "deploy", "--rpc", anvil_url, code=3).stderr


def test_recorded_anchors_of_a_log_without_any(tmp_path: Path) -> None:
    with world(tmp_path, f"sqlite:///{tmp_path / 'svc.db'}") as w:
        assert list(recorded_anchors(w.regions.store, origin_for("ama"))) == []
