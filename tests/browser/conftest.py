"""End-to-end tests in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright for Python; no browser is downloaded) against a `kakawari` server the
tests start on a free localhost port with a fresh data directory and SQLite.

Wallet users get an injected EIP-1193 provider backed by a local key that really
signs (ethers v6 from node_modules: personal_sign, eth_signTypedData_v4). Every page
must load without console errors, and no request may leave localhost: each context
routes every request and aborts (and records) any other host.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ledger import eip712
from tests.conftest import REPO, skip_or_fail

CHROMIUM = Path(os.environ.get("KAKAWARI_CHROMIUM", "/usr/bin/chromium"))
ETHERS = REPO / "node_modules" / "ethers" / "dist" / "ethers.umd.min.js"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = ("127.0.0.1", "localhost")
PASSPHRASE = "browser-test-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    region: str
    admin_key: bytes
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(REPO / ".venv" / "bin" / "kakawari"), *args],
                              env=env or self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def cli_status(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command and return however it ended."""
        return subprocess.run([str(REPO / ".venv" / "bin" / "kakawari"), *args],
                              env=self.env, capture_output=True, text=True, timeout=120)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body.decode()


@pytest.fixture(scope="session")
def browser_ready() -> None:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (scripts/setup installs Debian's chromium)")
    if not ETHERS.exists():
        skip_or_fail(f"{ETHERS} is missing (npm ci)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[dev]')")


def start_server(tmp: Path, admin: str | None, *, seed: tuple[int, int] | None = None,
                 prepare: Callable[[Path], None] | None = None,
                 extra_env: dict[str, str] | None = None,
                 ) -> Iterator[Server]:
    """Region `ama` in a fresh data directory under ``tmp`` (first admin: ``admin``, or
    a key the operator's data directory keeps when None), optionally seeded with demo
    activity ``(members, claims)`` or by ``prepare(data directory)`` (entries written
    in this process before the server starts), served by uvicorn on a free port, with
    ``extra_env`` (e.g. an SMTP server) besides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKAWARI_")}
    env.update({
        "KAKAWARI_DATA_DIR": str(tmp / "data"), "KAKAWARI_PASSPHRASE": PASSPHRASE,
        "KAKAWARI_CHAIN_ID": "31337",  # scrypt at its production cost: the walletless path
    })
    env.update(extra_env or {})
    kakawari = str(REPO / ".venv" / "bin" / "kakawari")
    init = [kakawari, "init", "--region", "ama", "--name", "海士町"]
    subprocess.run(init + (["--admin", admin] if admin else []), env=env, check=True,
                   capture_output=True, timeout=120)
    if seed is not None:
        subprocess.run([kakawari, "demo", "seed", "--region", "ama", "--members", str(seed[0]),
                        "--claims", str(seed[1])], env=env, check=True, capture_output=True,
                       timeout=300)
    if prepare is not None:
        prepare(tmp / "data")
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "service.api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", env, "ama", b"", process, log)
    deadline = time.monotonic() + 90  # a loaded machine (two CPUs shared) starts slowly
    while True:
        try:
            if srv.get("/v1/health")["status"] == "ok":
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    try:
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An empty region whose first admin is a wallet key the test holds."""
    admin_key = secrets.token_bytes(32)
    for srv in start_server(tmp_path_factory.mktemp("kakawari-browser"),
                            eip712.address_of(admin_key)):
        srv.admin_key = admin_key
        yield srv


PROVIDER = """
(() => {
  const wallet = new ethers.Wallet(%(key)s);
  const address = wallet.address.toLowerCase();
  const calls = [];
  const refuse = (msg) => Object.assign(new Error(msg), { code: 4100 });
  window.__walletCalls = calls;
  window.ethereum = {
    isKakawariTestWallet: true,
    async request({ method, params }) {
      calls.push(method);
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [address];
        case 'eth_chainId':
          return '0x7a69';
        case 'personal_sign': {
          const [data, from] = params;
          if (from.toLowerCase() !== address) throw refuse('unknown account');
          return wallet.signMessage(ethers.getBytes(data));
        }
        case 'eth_signTypedData_v4': {
          const [from, json] = params;
          if (from.toLowerCase() !== address) throw refuse('unknown account');
          const data = JSON.parse(json);
          const types = { ...data.types };
          delete types.EIP712Domain;
          return wallet.signTypedData(data.domain, types, data.message);
        }
        default:
          throw Object.assign(new Error('unsupported method ' + method), { code: 4200 });
      }
    },
  };
})();
"""


@dataclass
class Actor:
    """One person's browser context and page, with what went wrong on it."""

    name: str
    page: Any
    context: Any
    address: str | None = None
    console_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    allow_failed_loads: int = 0

    @contextlib.contextmanager
    def expecting_refusal(self, count: int = 1) -> Iterator[None]:
        """A step that provokes a refusal from the API: the browser logs the failed
        load as a console error, which is expected here (and only here)."""
        self.allow_failed_loads += count
        yield

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # Toasts come and go; leave them out of the picture of the page. (Through the
        # CSSOM: the page's CSP refuses inline style sheets.)
        self.page.evaluate("window.scrollTo(0, 0); document.getElementById('toasts')"
                           ".style.display = 'none'")
        # A phone's bottom bar stays on screen as one scrolls; in a picture of the whole
        # page it belongs at the bottom, not across the middle.
        self.page.evaluate("document.getElementById('nav').style.position = 'static'")
        self.page.screenshot(path=str(path), full_page=True)
        # nothing sticks out sideways (a phone would scroll the whole page)
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
        self.page.evaluate("document.getElementById('toasts').style.display = '';"
                           "document.getElementById('nav').style.position = ''")
        return path

    def check_clean(self) -> None:
        errors = list(self.console_errors)
        failed = [e for e in errors if e.startswith("Failed to load resource")]
        others = [e for e in errors if not e.startswith("Failed to load resource")]
        assert not others, f"console errors on {self.name}'s pages: {others}"
        assert len(failed) <= self.allow_failed_loads, (
            f"unexpected failed requests on {self.name}'s pages: {failed}")
        assert not self.outside, f"requests that left localhost: {self.outside}"


@pytest.fixture(scope="module")
def browser(browser_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def actors(browser: Any, server: Server) -> Iterator[Any]:
    made: list[Actor] = []

    def make(name: str, *, key: bytes | None = None, locale: str = "en-US",
             viewport: tuple[int, int] = (1280, 900)) -> Actor:
        context = browser.new_context(locale=locale, accept_downloads=True,
                                      viewport={"width": viewport[0], "height": viewport[1]},
                                      service_workers="block")
        actor = Actor(name, None, context)

        def route(r: Any) -> None:
            host = r.request.url.split("/")[2].split(":")[0] if "://" in r.request.url else ""
            if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                r.continue_()
            else:
                actor.outside.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        if key is not None:
            context.add_init_script(path=str(ETHERS))
            context.add_init_script(script=PROVIDER % {"key": json.dumps("0x" + key.hex())})
            actor.address = eip712.address_of(key)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: actor.console_errors.append(m.text)
                if m.type == "error" else None)
        page.on("pageerror", lambda e: actor.console_errors.append(f"pageerror: {e}"))
        actor.page = page
        made.append(actor)
        return actor

    yield make
    for actor in made:
        actor.context.close()
