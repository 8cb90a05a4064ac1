"""Chain fixtures: an in-process py-evm chain and a real anvil node over JSON-RPC.

Import the fixtures into a test module (``from tests.integration.chain_fixtures import
anvil_url_fixture, chain_env_fixture``); tests ask for ``anvil_url`` and ``chain_env``.
``chain_env`` is parametrised over both backends, so every test that takes it runs once
on py-evm (eth-tester) and once on anvil. The anvil binary comes from the npm package
``@foundry-rs/anvil-linux-amd64`` (``scripts/setup`` installs it); when it is missing
the anvil tests skip locally and fail in CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from eth_account import Account
from web3 import Web3
from web3.providers import HTTPProvider

from ledger.chain import ChainRevertError, Deployment, Web3ChainClient, dev_chain
from tests.conftest import REPO, skip_or_fail

ANVIL_BIN = REPO / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ANVIL_START_TIMEOUT = 30.0
BACKENDS = [
    pytest.param("pyevm", marks=pytest.mark.chain, id="pyevm"),
    pytest.param("anvil", marks=pytest.mark.anvil, id="anvil"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rpc_ready(url: str) -> bool:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        return "result" in requests.post(url, json=body, timeout=1).json()
    except (requests.RequestException, ValueError):
        return False


def _start_anvil() -> tuple[subprocess.Popen[bytes], str]:
    """Start anvil on a free localhost port and wait until it answers JSON-RPC."""
    last_error = ""
    for _ in range(3):  # a port taken between choosing and binding: try another
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [str(ANVIL_BIN), "--silent", "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + ANVIL_START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _rpc_ready(url):
                return proc, url
            time.sleep(0.05)
        _stop(proc)
        last_error = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
    pytest.fail(f"anvil did not answer JSON-RPC within {ANVIL_START_TIMEOUT:g} s: {last_error}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session", name="anvil_url")
def anvil_url_fixture() -> Iterator[str]:
    """The JSON-RPC URL of an anvil node started for this test session."""
    if not (ANVIL_BIN.is_file() and os.access(ANVIL_BIN, os.X_OK)):
        skip_or_fail(f"anvil binary not found at {ANVIL_BIN}; run scripts/setup (npm ci)")
    proc, url = _start_anvil()
    try:
        yield url
    finally:
        _stop(proc)


@dataclass
class ChainEnv:
    """A chain with freshly deployed contracts and three funded keys: ``keys[0]``
    deployed them (badge admin and minter); the others are plain accounts."""

    backend: str
    w3: Web3
    keys: tuple[str, ...]
    deployment: Deployment

    def client(self, i: int = 0, **kwargs: Any) -> Web3ChainClient:
        return Web3ChainClient(
            self.w3, self.keys[i], self.deployment.anchor, self.deployment.badge, **kwargs
        )

    def address(self, i: int) -> str:
        return str(Account.from_key(self.keys[i]).address)


def make_env(backend: str, url: str | None = None) -> ChainEnv:
    if backend == "pyevm":
        dev = dev_chain(accounts=3)
        w3, keys = dev.w3, dev.private_keys
    else:
        assert url is not None
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
        keys = tuple("0x" + os.urandom(32).hex() for _ in range(3))
        for key in keys:
            address = Account.from_key(key).address
            w3.provider.make_request("anvil_setBalance", [address, hex(10**24)])  # type: ignore[arg-type]
    deployment = Web3ChainClient(w3, keys[0]).deploy_contracts()
    return ChainEnv(backend, w3, keys, deployment)


@pytest.fixture(params=BACKENDS, name="chain_env")
def chain_env_fixture(request: pytest.FixtureRequest) -> ChainEnv:
    """Fresh contracts on py-evm or on the session's anvil node."""
    backend = request.param
    url = request.getfixturevalue("anvil_url") if backend == "anvil" else None
    return make_env(backend, url)


@contextlib.contextmanager
def reverts(error: str, **values: Any) -> Iterator[None]:
    """Expect a :class:`ChainRevertError` named ``error`` (and these argument values)."""
    with pytest.raises(ChainRevertError) as info:
        yield
    assert info.value.error == error, str(info.value)
    for name, value in values.items():
        assert info.value.values[name] == value, (name, info.value.values)


def node_available() -> bool:
    """Whether Node.js is on PATH (for the recompile check)."""
    return shutil.which("node") is not None
