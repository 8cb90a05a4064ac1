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
    yield from _serve(tmp_path, {"KAKAWARI_SCRYPT_N": "1024"})


@pytest.fixture
def server_defaults(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A server at the production scrypt cost: members' passphrases are tested on it."""
    yield from _serve(tmp_path, {})


def _serve(tmp_path: Path, extra: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``extra`` may name a database (``KAKAWARI_DATABASE_URL``); by default the data
    directory's SQLite file."""
    env = {**{k: v for k, v in os.environ.items()
              if k not in ("KAKAWARI_SCRYPT_N", "KAKAWARI_DATABASE_URL")},
           "KAKAWARI_DATA_DIR": str(tmp_path / "data"),
           "KAKAWARI_PASSPHRASE": "server-pass", **extra,
           "KAKAWARI_KEY_PASSPHRASE": "member-pass", "KAKAWARI_REGION": "ama"}
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


def test_the_office_issues_a_recovery_code_from_the_command_line(
        server_defaults: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """``kakawari recover AMA-0002``: the web admin page's signed Recovery entry, from
    the command line; her old passphrase and sign-ins stop working, the code sets a new
    passphrase on the same account (production scrypt cost throughout)."""
    url, env = server_defaults
    admin, ken = tmp_path / "admin.json", tmp_path / "ken.json"
    run(env, admin, "key", "from-region", "--region", "ama")
    run(env, admin, "join", "--name", "事務局")
    ken_address = run(env, ken, "key", "new").split()[0]
    run(env, ken, "join", "--name", "Ken")
    code, _ = run(env, admin, "invite", "--label", "佐藤 ハナさん").split()
    joined = httpx.post(f"{url}/v1/regions/ama/accounts", timeout=60, json={
        "code": code, "displayName": "佐藤 ハナ", "passphrase": "umi to yama"})
    assert joined.status_code == 201, joined.text
    hana, number = joined.json()["address"], joined.json()["number"]
    token = {"Authorization": f"Bearer {joined.json()['token']}"}
    assert httpx.get(f"{url}/v1/regions/ama/notices", headers=token).status_code == 200

    # by her member number as she reads it out (any case, a space for the hyphen)
    qr = tmp_path / "recovery.svg"
    issued = CliRunner().invoke(main, ["recover", number.lower().replace("-", " "),
                                       "--qr", str(qr)],
                                env={**env, "KAKAWARI_KEY": str(admin)},
                                catch_exceptions=False)
    assert issued.exit_code == 0, issued.output
    assert ": Recovery" in issued.stderr
    recovery, link = issued.stdout.split()[-2:]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", recovery)
    assert link == f"{url}/#/recover?region=ama&code={recovery}"
    assert "<svg" in qr.read_text()
    entries = httpx.get(f"{url}/v1/regions/ama/entries", params={"start": 0, "limit": 1000}
                        ).json()["entries"]
    recoveries = [json.loads(e["entry"]) for e in entries if '"Recovery"' in e["entry"]]
    assert len(recoveries) == 1, recoveries

    # her sign-ins ended, her old passphrase no longer works
    assert httpx.get(f"{url}/v1/regions/ama/notices", headers=token).status_code == 401
    old = httpx.post(f"{url}/v1/regions/ama/accounts/login", timeout=60,
                     json={"member": number, "passphrase": "umi to yama"})
    assert old.status_code in (401, 403) and old.json()["code"] == "passphrase-replaced"
    # the code (typed in lower case) sets a new one: the same account
    again = httpx.post(f"{url}/v1/regions/ama/accounts/recover", timeout=60,
                       json={"code": recovery.lower(), "passphrase": "yama to umi no shima"})
    assert again.status_code == 200, again.text
    assert again.json()["address"] == hana and again.json()["number"] == number
    login = httpx.post(f"{url}/v1/regions/ama/accounts/login", timeout=60,
                       json={"member": number, "passphrase": "yama to umi no shima"})
    assert login.status_code == 200 and login.json()["address"] == hana

    # refused as on the web: a member with her own wallet, a number nobody has
    wallet = CliRunner().invoke(main, ["recover", ken_address],
                                env={**env, "KAKAWARI_KEY": str(admin)})
    assert wallet.exit_code != 0 and "wallet" in wallet.output.lower(), wallet.output
    nobody = CliRunner().invoke(main, ["recover", "AMA-0999"],
                                env={**env, "KAKAWARI_KEY": str(admin)})
    assert nobody.exit_code == 3 and "no member AMA-0999" in nobody.output
    by_ken = CliRunner().invoke(main, ["recover", number], env={**env, "KAKAWARI_KEY": str(ken)})
    assert by_ken.exit_code != 0 and "admin" in by_ken.output.lower(), by_ken.output
