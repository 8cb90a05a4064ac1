"""Helpers for the fault tests (issue 13): a private anvil node whose blocks the test
controls, an RPC proxy that can go down, and ``kakawari serve`` as a real process."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from eth_account import Account
from web3 import Web3
from web3.providers import HTTPProvider

from tests.conftest import skip_or_fail
from tests.integration.chain_fixtures import ANVIL_BIN, _start_anvil, _stop

KAKAWARI = str(Path(sys.executable).with_name("kakawari"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module", name="own_anvil")
def own_anvil_fixture() -> Iterator[str]:
    """An anvil node for this module alone: its tests mine, snapshot and revert."""
    if not (ANVIL_BIN.is_file() and os.access(ANVIL_BIN, os.X_OK)):
        skip_or_fail(f"anvil binary not found at {ANVIL_BIN}; run scripts/setup (npm ci)")
    proc, url = _start_anvil()
    try:
        yield url
    finally:
        _stop(proc)


def rpc(url: str, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    reply = requests.post(url, json=body, timeout=10).json()
    assert "error" not in reply, reply
    return reply["result"]


def funded_key(url: str) -> str:
    key = "0x" + os.urandom(32).hex()
    rpc(url, "anvil_setBalance", Account.from_key(key).address, hex(10**22))
    return key


def web3(url: str) -> Web3:
    return Web3(HTTPProvider(url, request_kwargs={"timeout": 10}))


class RpcProxy:
    """A JSON-RPC proxy in front of a node. ``down`` makes it drop every connection
    without an answer (as a node that crashed); ``down_after`` goes down right after it
    forwarded a call of that method (a node lost mid-anchor, its transaction sent)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.down = False
        self.down_after: str | None = None
        self.methods: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if proxy.down:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                reply = requests.post(proxy.target, data=body, timeout=30,
                                      headers={"content-type": "application/json"})
                method = body.split(b'"method":', 1)[-1].split(b'"')[1].decode()
                proxy.methods.append(method)
                if proxy.down_after == method:
                    proxy.down, proxy.down_after = True, None
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def proxy_for(url: str) -> Iterator[RpcProxy]:
    proxy = RpcProxy(url)
    try:
        yield proxy
    finally:
        proxy.close()


# -- kakawari serve as a process -------------------------------------------------------


def service_env(data_dir: Path, url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``kakawari`` process on this data directory and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKAWARI_")}
    env.update({"KAKAWARI_DATA_DIR": str(data_dir), "KAKAWARI_DATABASE_URL": url,
                "KAKAWARI_PASSPHRASE": "test-pass", **extra})
    return env


class Server:
    """``kakawari serve`` in its own process group."""

    def __init__(self, env: dict[str, str], workers: int = 1, log: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [KAKAWARI, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env, stdout=out, stderr=out, start_new_session=True)
        if log is not None:
            out.close()  # type: ignore[union-attr]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, f"the server exited: {self.output()}"
            assert time.monotonic() < deadline, f"the server did not start: {self.output()}"
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log else ""

    def kill(self) -> None:
        """kill -9 of the server and its workers."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def serving(env: dict[str, str], workers: int = 1, log: Path | None = None) -> Iterator[Server]:
    server = Server(env, workers, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a ``kakawari`` command to its end."""
    return subprocess.run([KAKAWARI, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
