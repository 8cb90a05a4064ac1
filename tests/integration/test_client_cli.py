"""The command-line client against a running ``kakawari serve`` (SQLite): an admin and
members do the whole lifecycle without a browser, signing locally."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from service.cli import main
from tests.integration.test_serve_workers import free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {**os.environ, "KAKAWARI_DATA_DIR": str(tmp_path / "data"),
           "KAKAWARI_PASSPHRASE": "server-pass", "KAKAWARI_SCRYPT_N": "1024",
           "KAKAWARI_KEY_PASSPHRASE": "member-pass", "KAKAWARI_REGION": "ama"}
    env.pop("KAKAWARI_DATABASE_URL", None)
    kakawari = str(Path(sys.executable).with_name("kakawari"))
    subprocess.run([kakawari, "init", "--region", "ama", "--name", "海士町"], env=env,
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([kakawari, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield url, {**env, "KAKAWARI_SERVER": url}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def run(env: dict[str, str], key: Path, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={**env, "KAKAWARI_KEY": str(key)},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_members_and_admin_do_everything_from_the_command_line(
        server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _, env = server
    admin, alice, bob = (tmp_path / f"{n}.json" for n in ("admin", "alice", "bob"))
    run(env, admin, "key", "from-region", "--region", "ama")
    alice_address = run(env, alice, "key", "new").split()[0]
    bob_address = run(env, bob, "key", "new").split()[0]
    assert run(env, bob, "key", "show") == bob_address
    run(env, alice, "join", "--name", "Alice")
    run(env, bob, "join", "--name", "Bob")
    run(env, admin, "role", "grant", bob_address, "verifier")
    quest = run(env, admin, "quest", "new", "--title", "海ごみ", "--category", "cleanup",
                "--points", "10", "--opens", "2020-01-01", "--closes", "2099-01-01")
    assert json.loads(run(env, admin, "quest", "list", "--open"))["total"] == 1
    claim = run(env, alice, "claim", "--category", "cleanup", "--title", "Beach",
                "--minutes", "60", "--quest", quest, "--details", "private notes")
    run(env, bob, "endorse", claim, "--amount", "2", "--note", "thanks")
    run(env, bob, "review", claim, "--approve", "--reason", "seen it")
    shown = json.loads(run(env, alice, "member", "--points"))
    assert shown["lifetimePoints"] == 5 + 10 + 10 + 2
    assert {ln["kind"] for ln in shown["lines"]} == {"recognition", "endorsement"}
    run(env, admin, "revoke", claim, "--reason", "mistake")
    assert json.loads(run(env, alice, "member", alice_address))["points"] == 0
    card = tmp_path / "card.svg"
    code, link = run(env, admin, "invite", "--label", "佐藤 ハナさん", "--qr", str(card)).split()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", code)
    assert link.endswith(f"/#/signin?region=ama&code={code}")
    assert "<svg" in card.read_text()
    withdrawn = CliRunner().invoke(main, ["uninvite", code.lower().replace("-", " ")],
                                   env={**env, "KAKAWARI_KEY": str(admin)})
    assert withdrawn.exit_code == 0 and ": InvitationRevocation" in withdrawn.stderr
    refused = CliRunner().invoke(main, ["review", claim, "--approve"],
                                 env={**env, "KAKAWARI_KEY": str(alice)})
    assert refused.exit_code == 1 and "verifier" in refused.output
