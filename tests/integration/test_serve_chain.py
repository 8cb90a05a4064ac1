"""`kakawari serve` mints badges on the configured chain: the app finds the deployment
record of KAKAWARI_CHAIN_RPC_URL's chain and uses its badge contract; a configured
chain that can't be used is reported and left out, and the service still runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from web3 import HTTPProvider, Web3

from service.api.app import _configured_chain
from service.chain import badge_chain
from service.cli import main
from service.config import Settings
from tests.integration.chain_fixtures import anvil_url_fixture  # noqa: F401  (fixture)


def funded_key(url: str) -> str:
    key = "0x" + os.urandom(32).hex()
    Web3(HTTPProvider(url)).provider.make_request(  # type: ignore[arg-type]
        "anvil_setBalance", [Account.from_key(key).address, hex(10**22)])
    return key


@pytest.mark.anvil
def test_the_configured_chain_mints_badges(tmp_path: Path, anvil_url: str) -> None:
    key = funded_key(anvil_url)
    env = {"KAKAWARI_DATA_DIR": str(tmp_path), "KAKAWARI_PASSPHRASE": "pw",
           "KAKAWARI_SCRYPT_N": "1024", "KAKAWARI_CHAIN_PRIVATE_KEY": key,
           "KAKAWARI_CHAIN_RPC_URL": anvil_url}
    settings = Settings(data_dir=tmp_path, chain_rpc_url=anvil_url, chain_private_key=key)
    assert _configured_chain(settings) is None  # configured, but nothing deployed yet
    result = CliRunner().invoke(main, ["chain", "deploy"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    found = badge_chain(settings)
    assert found is not None
    client, badge = found
    member = Account.create().address
    token = client.mint_badge(member, "ama", b"\x07" * 32)
    held = client.badge(token)
    assert held.owner.lower() == member.lower() and held.leaf_hash == b"\x07" * 32
    assert badge.lower() in result.output.lower()


def test_no_chain_configured_means_no_badges(tmp_path: Path) -> None:
    assert badge_chain(Settings(data_dir=tmp_path)) is None
    unreachable = Settings(data_dir=tmp_path, chain_rpc_url="http://127.0.0.1:9",
                           chain_private_key="0x" + "11" * 32)
    assert _configured_chain(unreachable) is None  # reported in the log, service runs
